#!/bin/sh
# The one place each process of the app is started and checked, used alike by the Docker image (its entrypoint),
# docker-compose.yml and `make stack`, so what the tests start is what production starts.
#
#   scripts/service.sh build          collect static files for the manifest storage (the image runs it at build)
#   scripts/service.sh migrate        migrate as the owner, give the app's role its rights, load the seed policies
#   scripts/service.sh web|worker|beat|mailcatcher
#   scripts/service.sh health web|worker|beat|mailcatcher      exit 0 when healthy (compose healthchecks)
#
# Python is $PYTHON (default: python). The web server listens on $BIND (default 0.0.0.0:8000).
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
BIND=${BIND:-0.0.0.0:8000}
# A worker's name: unique per host (%h is the host name), so several workers on one machine need their own.
WORKER_NAME=${WORKER_NAME:-worker}
BEAT_PIDFILE=${BEAT_PIDFILE:-/tmp/escalation-beat.pid}

health() {
  case "$1" in
    web)
      # /healthz answers when the process is up; /readyz also says whether deadlines are being swept.
      exec "$PYTHON" -c "import sys, urllib.request
host, port = '$BIND'.rsplit(':', 1)
host = '127.0.0.1' if host in ('0.0.0.0', '') else host
with urllib.request.urlopen(f'http://{host}:{port}/healthz', timeout=5) as response:
    sys.exit(0 if response.status == 200 else 1)" ;;
    worker)
      # Answers over the broker, so a worker cut off from Redis is unhealthy too.
      exec "$PYTHON" -m celery -A escalation inspect ping --timeout 5 --destination "$WORKER_NAME@$(uname -n)" ;;
    beat)
      [ -s "$BEAT_PIDFILE" ] && kill -0 "$(cat "$BEAT_PIDFILE")" ;;
    mailcatcher)
      listen=${MAIL_LISTEN:-0.0.0.0:1025}
      exec "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', ${listen##*:}), timeout=5).close()" ;;
    *) echo "service.sh: health of what? web, worker, beat or mailcatcher" >&2; exit 2 ;;
  esac
}

ACCESS_LOG_FORMAT='{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", "status": "%(s)s", "duration_ms": "%(M)s", "request_id": "%({x-request-id}o)s"}'

case "${1:-}" in
  build)
    # Settings that need nothing secret: only what collectstatic's manifest storage needs.
    DJANGO_SETTINGS_MODULE=escalation.settings.build exec "$PYTHON" manage.py collectstatic --no-input -v 0 ;;
  migrate)
    # Runs with DATABASE_URL set to the owner's URL; APP_DATABASE_URL is the URL web, worker and beat use.
    "$PYTHON" manage.py migrate --no-input
    "$PYTHON" manage.py create_app_role
    exec "$PYTHON" manage.py load_policies ;;
  web)
    # The access log names no address and no query string (a register search can hold a child's name): the
    # method, the path, the status, the time taken and the request id that the app's own log lines carry.
    exec "$PYTHON" -m gunicorn escalation.wsgi --bind "$BIND" --workers "${WEB_WORKERS:-3}" \
      --timeout "${WEB_TIMEOUT:-60}" --access-logfile - --access-logformat "$ACCESS_LOG_FORMAT" ;;
  worker)
    # No gossip, mingle or event heartbeats: the app uses none of them, and after a Redis restart their
    # channels failed to restart (kombu's "'NoneType' object has no attribute ..."), which can stop a worker.
    # Remote control stays on: `health worker` asks over it, and it recovers a worker after a Redis restart
    # (escalation/settings/deadlines.py says how).
    exec "$PYTHON" -m celery -A escalation worker --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency "${WORKER_CONCURRENCY:-2}" -n "$WORKER_NAME@%h" \
      --without-gossip --without-mingle --without-heartbeat ;;
  beat)
    # The schedule itself is kept in the database (CELERY_BEAT_SCHEDULER), so a restart loses no run. A pid file
    # left by a beat that died would stop the next one starting (in a container it names pid 1, alive again).
    rm -f "$BEAT_PIDFILE"
    exec "$PYTHON" -m celery -A escalation beat --loglevel "${CELERY_LOG_LEVEL:-INFO}" --pidfile "$BEAT_PIDFILE" ;;
  mailcatcher)
    # For trying the stack: prints every e-mail instead of sending it.
    exec "$PYTHON" -m aiosmtpd -n -l "${MAIL_LISTEN:-0.0.0.0:1025}" ;;
  health)
    health "${2:-}" ;;
  *)
    echo "usage: scripts/service.sh build|migrate|web|worker|beat|mailcatcher|health NAME" >&2
    exit 2 ;;
esac
