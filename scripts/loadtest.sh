#!/usr/bin/env bash
# The load test (`make loadtest`): gunicorn + PostgreSQL + Redis + a Celery worker on generated data, driven by
# Locust (headless) at 50 and then 200 simulated people; prints requests per second, p50/p95/p99 per page and the
# error rate for each. Each person signs in once (Argon2, deliberately slow: about a second of CPU each here), so
# people start LOADTEST_SPAWN_RATE a second and the figures are counted from when all have started (Locust's
# --reset-stats) for LOADTEST_SECONDS: pages of people at work, not a stampede of sign-ins. Run under scripts/with_postgres.sh, which provides the throw-away database. Traffic goes to
# 127.0.0.1 only; every process it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
DISPUTES=${LOADTEST_DISPUTES:-100000}
PARTNERSHIPS=${LOADTEST_PARTNERSHIPS:-5}
SECONDS_EACH=${LOADTEST_SECONDS:-60}
USERS=${LOADTEST_USERS:-50 200}
WORKERS=${LOADTEST_GUNICORN_WORKERS:-4}
SPAWN_RATE=${LOADTEST_SPAWN_RATE:-2}
PORT=${LOADTEST_PORT:-8010}
REDIS_PORT=${LOADTEST_REDIS_PORT:-6391}
VAR=var/loadtest

if [[ -z "${DATABASE_URL:-}" || "${DATABASE_URL}" != postgres* ]]; then
  echo "loadtest: needs PostgreSQL; run it with 'make loadtest' (scripts/with_postgres.sh provides one)" >&2
  exit 1
fi
REDIS_SERVER=$(command -v redis-server || true)
[[ -n "$REDIS_SERVER" ]] || { echo "loadtest: redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
mkdir -p "$VAR"

export DJANGO_SETTINGS_MODULE=escalation.settings.local DEBUG=0
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
export SITE_URL="http://127.0.0.1:$PORT"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$VAR" >"$VAR/redis.log" 2>&1 &
pids+=("$!")

"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py load_policies >/dev/null
"$PY" manage.py collectstatic --no-input -v 0
echo "loadtest: generating $DISPUTES disputes in $PARTNERSHIPS partnerships"
"$PY" manage.py generate_disputes "$DISPUTES" --partnerships "$PARTNERSHIPS"
"$PY" loadtest/prepare.py "$VAR/accounts.json" --users 200

"$BIN/celery" -A escalation worker --loglevel WARNING --concurrency 1 >"$VAR/worker.log" 2>&1 &
pids+=("$!")
"$BIN/gunicorn" escalation.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" --timeout 60 \
  --access-logfile /dev/null --error-logfile "$VAR/gunicorn.log" &
pids+=("$!")
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/sign-in/" && break
  sleep 0.2
done

for users in $USERS; do
  echo
  echo "loadtest: $users simulated people for ${SECONDS_EACH}s (gunicorn, $WORKERS workers; $DISPUTES disputes)"
  LOADTEST_ACCOUNTS="$VAR/accounts.json" "$BIN/locust" -f loadtest/locustfile.py --headless \
    --host "http://127.0.0.1:$PORT" --users "$users" --spawn-rate "$SPAWN_RATE" \
    --run-time "$((SECONDS_EACH + users / SPAWN_RATE))s" --stop-timeout 10 --reset-stats --csv "$VAR/users-$users" --only-summary >"$VAR/locust-$users.log" 2>&1 || true
  "$PY" loadtest/summary.py "$VAR/users-${users}_stats.csv"
done
