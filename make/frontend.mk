# Front-end assets: GOV.UK Frontend and accessible-autocomplete, pinned in package.json, vendored into static/govuk/.
# Included from the top-level Makefile (`include make/frontend.mk`); run from the repository root.
#
#   make frontend        npm ci (when node_modules is missing or older than the lock file),
#                        then scripts/vendor_frontend.sh -> static/govuk/ (committed)
#   make frontend-check  fail if static/govuk/ differs from what the pinned package produces
#   make frontend-clean  remove node_modules/
#
# Nothing here is needed to run the app: static/govuk/ is committed, so `make run` works without Node.

FRONTEND_NPM ?= npm
FRONTEND_STAMP := node_modules/govuk-frontend/package.json

.PHONY: frontend frontend-check frontend-clean

$(FRONTEND_STAMP): package.json package-lock.json
	$(FRONTEND_NPM) ci --no-audit --no-fund
	@touch $@

frontend: $(FRONTEND_STAMP)
	sh scripts/vendor_frontend.sh

frontend-check: $(FRONTEND_STAMP)
	@tmp=$$(mktemp -d) && \
	VENDOR_DEST="$$tmp/govuk" sh scripts/vendor_frontend.sh >/dev/null && \
	if diff -r "$$tmp/govuk" static/govuk >/dev/null; then \
		rm -rf "$$tmp"; echo "frontend-check: static/govuk is up to date"; \
	else \
		diff -rq "$$tmp/govuk" static/govuk; rm -rf "$$tmp"; \
		echo "frontend-check: static/govuk is out of date - run 'make frontend'" >&2; exit 1; \
	fi

frontend-clean:
	rm -rf node_modules
