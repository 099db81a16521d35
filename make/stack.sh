#!/usr/bin/env bash
# Starts Redis, a mail catcher, a Celery worker, Celery beat and gunicorn against $DATABASE_URL, prefixing
# each one's output with its name; Ctrl-C (or any one of them stopping) stops them all. Run by `make stack`,
# under scripts/with_postgres.sh, which provides the database.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
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

export DJANGO_SETTINGS_MODULE=escalation.settings.local
export DEBUG=${DEBUG:-0}
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend EMAIL_HOST=127.0.0.1 EMAIL_PORT=$MAIL_PORT
export SITE_URL="http://$HOST:$PORT"

pids=()
names=()
stop() {
  trap - INT TERM EXIT
  echo "stack: stopping ${names[*]}"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  echo "stack: stopped"
}
trap stop INT TERM EXIT

# start NAME COMMAND...: run it in the background, its output prefixed with [NAME].
start() {
  local name=$1
  shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=("$!")
  names+=("$name")
}

# Redis keeps nothing on disk: the database is the truth, and the next sweep redoes anything Redis lost.
start redis "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$VAR"
start mail "$PY" -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT"
"$PY" - <<PYTHON
import time, redis
client = redis.Redis(port=$REDIS_PORT, socket_connect_timeout=1)
for _ in range(100):
    try:
        client.ping()
        break
    except redis.RedisError:
        time.sleep(0.1)
else:
    raise SystemExit("stack: redis-server did not start")
PYTHON

"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py load_policies
if [[ "${STACK_DEMO:-1}" == 1 ]]; then "$PY" manage.py load_demo; fi
"$PY" manage.py collectstatic --no-input -v 0

start worker "$BIN/celery" -A escalation worker --loglevel INFO --concurrency 2
start beat "$BIN/celery" -A escalation beat --loglevel INFO -s "$VAR/celerybeat-schedule"
start web "$BIN/gunicorn" escalation.wsgi --bind "$HOST:$PORT" --workers 2 --access-logfile -

"$PY" - <<PYTHON
import django
django.setup()
from escalation.management.commands.serve import demo_login_lines
print("stack: web app  http://$HOST:$PORT/   (gunicorn)")
print("stack: e-mail   printed by the mail catcher, lines marked [mail] (127.0.0.1:$MAIL_PORT)")
print("stack: deadlines swept every minute by Celery beat and the worker (Redis on 127.0.0.1:$REDIS_PORT)")
print("stack: the database is throw-away unless you set DATABASE_URL; Ctrl-C stops everything")
print("\n".join(demo_login_lines()))
PYTHON

# Whichever stops first (or Ctrl-C) stops the rest.
set +e
wait -n "${pids[@]}"
echo "stack: a process stopped (exit $?)"
