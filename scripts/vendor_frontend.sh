#!/bin/sh
# Vendor GOV.UK Frontend into static/govuk/ so Django serves it at /static/govuk/...
# (and accessible-autocomplete into static/govuk/accessible-autocomplete/, see the end)
#
#   node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css -> static/govuk/govuk-frontend.min.css
#   node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js  -> static/govuk/govuk-frontend.min.js
#   node_modules/govuk-frontend/dist/govuk/assets/{images,manifest.json} -> static/govuk/assets/
#
# The output is committed, so the app runs without Node; `make frontend` regenerates it after
# `npm ci`. Run from anywhere; it works relative to the repository root.
#
# What is changed on the way:
#   * The compiled CSS points at /assets/...; those URLs are made relative (assets/...), so they
#     resolve to /static/govuk/assets/... whatever STATIC_URL is, and ManifestStaticFilesStorage
#     (whitenoise) can fingerprint them.
#   * sourceMappingURL comments are removed (the .map files are not vendored, and
#     ManifestStaticFilesStorage fails collectstatic on a reference to a missing file).
#   * The GDS Transport typeface is removed: its licence restricts it to services on gov.uk and
#     this service is not one. Text falls back to the Design System's own fallback stack
#     (arial, sans-serif). If the service is ever hosted on gov.uk, set KEEP_GDS_TRANSPORT=1 to
#     keep the font and vendor the font files too.
#
# Environment:
#   VENDOR_DEST         output folder (default: static/govuk) - `make frontend-check` uses a temp dir
#   KEEP_GDS_TRANSPORT  1 to keep the GDS Transport @font-face rules and font files (default: 0)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG="$ROOT/node_modules/govuk-frontend"
SRC="$PKG/dist/govuk"
DEST=${VENDOR_DEST:-"$ROOT/static/govuk"}
KEEP_GDS_TRANSPORT=${KEEP_GDS_TRANSPORT:-0}

if [ ! -f "$SRC/govuk-frontend.min.css" ] || [ ! -f "$SRC/govuk-frontend.min.js" ]; then
    echo "vendor_frontend: $SRC not found - run 'npm ci' first (or 'make frontend')." >&2
    exit 1
fi

VERSION=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG/package.json" | head -n 1)
PINNED=$(sed -n 's/^[[:space:]]*"govuk-frontend":[[:space:]]*"\([^"]*\)".*/\1/p' "$ROOT/package.json" | head -n 1)
if [ "$VERSION" != "$PINNED" ]; then
    echo "vendor_frontend: node_modules has govuk-frontend $VERSION but package.json pins $PINNED - run 'npm ci'." >&2
    exit 1
fi

rm -rf "$DEST"
mkdir -p "$DEST/assets"

# Images (the CSS refers to assets/images/govuk-crest.svg) and the web app manifest.
cp -R "$SRC/assets/images" "$DEST/assets/images"
cp "$SRC/assets/manifest.json" "$DEST/assets/manifest.json"

HEADER="GOV.UK Frontend $VERSION (MIT licence), vendored by scripts/vendor_frontend.sh - do not edit; run 'make frontend'."

# CSS
{
    printf '/* %s */\n' "$HEADER"
    if [ "$KEEP_GDS_TRANSPORT" = "1" ]; then
        sed -e 's|url(/assets/|url(assets/|g' \
            -e 's|/\*# sourceMappingURL=[^*]*\*/||g' \
            "$SRC/govuk-frontend.min.css"
    else
        sed -e 's|url(/assets/|url(assets/|g' \
            -e 's|/\*# sourceMappingURL=[^*]*\*/||g' \
            -e 's|/\*! Copyright (c) 2011 by Margaret Calvert[^*]*\*/||g' \
            -e 's|@font-face{font-family:GDS Transport;[^}]*}||g' \
            -e 's|font-family:GDS Transport,|font-family:|g' \
            "$SRC/govuk-frontend.min.css"
    fi
} > "$DEST/govuk-frontend.min.css"

# JS (an ES module: import { initAll } from "./govuk-frontend.min.js")
{
    printf '/* %s */\n' "$HEADER"
    sed -e 's|//# sourceMappingURL=.*$||' "$SRC/govuk-frontend.min.js"
} > "$DEST/govuk-frontend.min.js"

if [ "$KEEP_GDS_TRANSPORT" = "1" ]; then
    cp -R "$SRC/assets/fonts" "$DEST/assets/fonts"
elif grep -q 'GDS Transport' "$DEST/govuk-frontend.min.css"; then
    echo "vendor_frontend: 'GDS Transport' still in the CSS - the sed patterns need updating for $VERSION." >&2
    exit 1
fi

# Every url(...) in the CSS must now be relative and point at a vendored file.
for ref in $(grep -o 'url([^)]*)' "$DEST/govuk-frontend.min.css" | sed -e 's/^url(//' -e 's/)$//' -e 's/^["'\'']//' -e 's/["'\'']$//' | sort -u); do
    case "$ref" in
        data:*) continue ;;
        /*|http:*|https:*) echo "vendor_frontend: absolute URL left in CSS: $ref" >&2; exit 1 ;;
    esac
    if [ ! -f "$DEST/$ref" ]; then
        echo "vendor_frontend: CSS refers to missing file $ref" >&2
        exit 1
    fi
done
if grep -q 'sourceMappingURL' "$DEST/govuk-frontend.min.css" "$DEST/govuk-frontend.min.js"; then
    echo "vendor_frontend: sourceMappingURL comment left behind." >&2
    exit 1
fi

# accessible-autocomplete (GOV.UK's accessible autocomplete, MIT), for the agency and person pickers:
# static/govuk/accessible-autocomplete/, its UMD build (window.accessibleAutocomplete) and its CSS, as published.
AA_PKG="$ROOT/node_modules/accessible-autocomplete"
AA_VERSION=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$AA_PKG/package.json" | head -n 1)
AA_PINNED=$(sed -n 's/^[[:space:]]*"accessible-autocomplete":[[:space:]]*"\([^"]*\)".*/\1/p' "$ROOT/package.json" | head -n 1)
if [ "$AA_VERSION" != "$AA_PINNED" ]; then
    echo "vendor_frontend: node_modules has accessible-autocomplete $AA_VERSION but package.json pins $AA_PINNED - run 'npm ci'." >&2
    exit 1
fi
AA_HEADER="accessible-autocomplete $AA_VERSION (MIT licence), vendored by scripts/vendor_frontend.sh - do not edit; run 'make frontend'."
mkdir -p "$DEST/accessible-autocomplete"
{
    printf '/* %s */\n' "$AA_HEADER"
    sed -e 's|/\*# sourceMappingURL=[^*]*\*/||g' "$AA_PKG/dist/accessible-autocomplete.min.css"
} > "$DEST/accessible-autocomplete/accessible-autocomplete.min.css"
{
    printf '/* %s */\n' "$AA_HEADER"
    sed -e 's|//# sourceMappingURL=.*$||' "$AA_PKG/dist/accessible-autocomplete.min.js"
} > "$DEST/accessible-autocomplete/accessible-autocomplete.min.js"
if grep -q 'sourceMappingURL' "$DEST/accessible-autocomplete/"*; then
    echo "vendor_frontend: sourceMappingURL comment left behind in accessible-autocomplete." >&2
    exit 1
fi

printf '%s\n' "$VERSION" > "$DEST/VERSION.txt"
echo "vendor_frontend: GOV.UK Frontend $VERSION -> ${DEST#"$ROOT"/}"
