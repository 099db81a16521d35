#!/usr/bin/env bash
# `make restore BACKUP=FILE`: load a backup made by `make backup` into an EMPTY database, then give the app's role
# its rights again. It never overwrites: a database that already has tables is refused.
#
#   createdb -O OWNER escalation_restored                     (an empty database, owned by the owner role)
#   DATABASE_URL=postgres://OWNER:PASSWORD@HOST/escalation_restored \
#   APP_DATABASE_URL=postgres://escalation_app:PASSWORD@HOST/escalation_restored  make restore BACKUP=FILE
#
# Objects are restored as the connecting role (the owner), whoever owned them before; the audit trail's
# triggers come back with them. Without APP_DATABASE_URL the grants are left for `manage.py create_app_role`.
set -euo pipefail
file=${1:?usage: scripts/restore.sh BACKUP_FILE}
url=${DATABASE_URL:?set DATABASE_URL to the owner\'s URL of the empty database to restore into}
PYTHON=${PYTHON:-python}
cd "$(dirname "$0")/.."

pg_restore --list "$file" >/dev/null
tables=$(psql --dbname="$url" --no-psqlrc --tuples-only --no-align \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [[ "$tables" != 0 ]]; then
  echo "restore: refused: the database already has $tables tables; restore into a new, empty database" >&2
  exit 1
fi
pg_restore --dbname="$url" --no-owner --no-privileges --exit-on-error --single-transaction "$file"
echo "restore: $file restored"
if [[ -n "${APP_DATABASE_URL:-}" ]]; then
  "$PYTHON" manage.py create_app_role
fi
