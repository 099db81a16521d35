#!/usr/bin/env bash
# `make backup`: the whole database in one file, written with pg_dump's custom format (compressed, restored with
# pg_restore). Everything the app keeps is in the database: disputes, deadlines, the audit trail and the written
# records' PDFs (stored as the snapshots' bytes); there are no uploaded files to copy beside it.
#
#   DATABASE_URL=postgres://OWNER:PASSWORD@HOST/NAME make backup           backups/escalation-<UTC time>.dump
#   make backup BACKUP_DIR=/srv/backups     or BACKUP_FILE=/path/file.dump
#
# Run it as the owner of the tables (or any role that may read them all). The file is readable by you alone and
# holds special-category data: keep it encrypted and as safe as the database itself.
set -euo pipefail
url=${DATABASE_URL:?set DATABASE_URL to the database to back up (the owner\'s URL)}
dir=${BACKUP_DIR:-backups}
file=${BACKUP_FILE:-$dir/escalation-$(date -u +%Y%m%dT%H%M%SZ).dump}
umask 077
mkdir -p "$(dirname "$file")"
# Written beside its final name and moved there only once complete and readable: never a half backup.
partial="$file.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --dbname="$url" --file="$partial"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$file"
echo "backup: $file ($(du -h "$file" | cut -f1))"
