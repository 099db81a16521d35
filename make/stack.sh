#!/usr/bin/env bash
# Prepares the database, then runs Redis, a mail catcher, two Celery workers, Celery beat and gunicorn under
# scripts/supervise.py: each one's output is prefixed with its name, a process that stops is started again on
# its own (with growing waits), and only Ctrl-C stops them all. Nothing here deletes data. Run by `make stack`,
# under scripts/with_postgres.sh, which provides the database (a throw-away cluster unless you set DATABASE_URL).
#
# Database roles, as in production: DATABASE_URL is the owner's (migrations run as it); the app's processes
# connect as APP_DATABASE_URL's role, which `manage.py create_app_role` makes and which can only add to and read
# the audit trail. Each process is started by scripts/service.sh, the same commands the Docker image runs.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
HOST=${STACK_HOST:-127.0.0.1}
PORT=${STACK_PORT:-8000}  # not PORT: with_postgres.sh uses that name for the database
REDIS_PORT=${STACK_REDIS_PORT:-6380}
MAIL_PORT=${STACK_MAIL_PORT:-1025}
VAR=var/stack

if [[ -z "${DATABASE_URL:-}" || "${DATABASE_URL}" != postgres* ]]; then
  echo "stack: needs PostgreSQL; run it with 'make stack' (scripts/with_postgres.sh provides one)" >&2
  exit 1
fi
REDIS_SERVER=$(command -v redis-server || true)
if [[ -z "$REDIS_SERVER" ]]; then
  echo "stack: redis-server is not installed (apt-get install redis-server)" >&2
  exit 1
fi
mkdir -p "$VAR"

export PYTHON=$PY
export DJANGO_SETTINGS_MODULE=escalation.settings.local
export DEBUG=${DEBUG:-0}
export EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend EMAIL_HOST=127.0.0.1 EMAIL_PORT=$MAIL_PORT
export SITE_URL="http://$HOST:$PORT"
OWNER_URL=$DATABASE_URL
# The app's role: its own name, on the owner's database (the throw-away cluster trusts local connections).
export APP_DATABASE_URL=${APP_DATABASE_URL:-$("$PY" -c '
import sys
from urllib.parse import urlsplit, urlunsplit
url = urlsplit(sys.argv[1])
host = url.hostname + (f":{url.port}" if url.port else "")
print(urlunsplit(url._replace(netloc=f"escalation_app:stack-only-app-password@{host}")))' "$OWNER_URL")}

# Redis starts with the others below: an e-mail queued while setting up waits in the outbox for the first
# delivery run.
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
DATABASE_URL=$OWNER_URL scripts/service.sh migrate
export DATABASE_URL=$APP_DATABASE_URL
if [[ "${STACK_DEMO:-1}" == 1 ]]; then "$PY" manage.py load_demo; fi
scripts/service.sh build

"$PY" - <<PYTHON
import django
django.setup()
from escalation.management.commands.serve import demo_login_lines
print("stack: web app  http://$HOST:$PORT/   (gunicorn)")
print("stack: e-mail   printed by the mail catcher, lines marked [mail] (127.0.0.1:$MAIL_PORT)")
print("stack: deadlines swept every minute by Celery beat and two workers (Redis on 127.0.0.1:$REDIS_PORT)")
print("stack: a process that stops is started again; Ctrl-C stops everything")
print("stack: the database is throw-away unless you set DATABASE_URL")
print("\n".join(demo_login_lines()))
PYTHON

# Redis keeps nothing on disk: the database is the truth, and the next sweep redoes anything Redis lost.
exec "$PY" scripts/supervise.py \
  "redis=$REDIS_SERVER --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no --dir $VAR" \
  "mail=env MAIL_LISTEN=127.0.0.1:$MAIL_PORT scripts/service.sh mailcatcher" \
  "worker1=env WORKER_NAME=worker1 scripts/service.sh worker" \
  "worker2=env WORKER_NAME=worker2 scripts/service.sh worker" \
  "beat=env BEAT_PIDFILE=$VAR/beat.pid scripts/service.sh beat" \
  "web=env BIND=$HOST:$PORT WEB_WORKERS=2 scripts/service.sh web"
