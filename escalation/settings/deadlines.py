"""Celery, the deadline sweep and notification delivery: every schedule is defined here, nowhere else.

With REDIS_URL set, Celery beat sends the periodic tasks below and a worker runs them. With no
REDIS_URL (the embedded default), `manage.py serve` runs the sweep, the delivery run and the records
catch-up in a background thread. Either way the database is the truth: deadlines are rows swept every
minute, e-mails are outbox rows, written records owed are pending snapshots, and no task carries a long ETA.
"""

import os

from celery.schedules import crontab

REDIS_URL = os.environ.get("REDIS_URL", "")

#: How often the deadline sweep and the e-mail delivery run (seconds). Tests shorten them.
DEADLINE_SWEEP_SECONDS = float(os.environ.get("DEADLINE_SWEEP_SECONDS", "60"))
NOTIFICATION_DELIVERY_SECONDS = float(os.environ.get("NOTIFICATION_DELIVERY_SECONDS", "60"))
#: How often written records left pending (their task lost, or Redis down at the time) are drawn (seconds).
RECORD_CATCH_UP_SECONDS = float(os.environ.get("RECORD_CATCH_UP_SECONDS", "60"))
#: Deadlines handled per transaction by the sweep.
DEADLINE_SWEEP_BATCH_SIZE = int(os.environ.get("DEADLINE_SWEEP_BATCH_SIZE", "1000"))
#: How many Celery tasks the sweep hands its owed notices to, to be written by workers at once.
DEADLINE_TELLERS = int(os.environ.get("DEADLINE_TELLERS", "2"))

#: E-mail delivery: a claimed row is left alone for the lease; failures back off from the base,
#: doubling up to the cap; after the last attempt the address is given up on and marked.
EMAIL_DELIVERY_LEASE_SECONDS = int(os.environ.get("EMAIL_DELIVERY_LEASE_SECONDS", "300"))
EMAIL_RETRY_BASE_SECONDS = int(os.environ.get("EMAIL_RETRY_BASE_SECONDS", "60"))
EMAIL_RETRY_MAX_SECONDS = int(os.environ.get("EMAIL_RETRY_MAX_SECONDS", "3600"))
EMAIL_MAX_ATTEMPTS = int(os.environ.get("EMAIL_MAX_ATTEMPTS", "20"))
#: A task waits for its retry itself only up to this long; longer waits are left to the every-minute
#: delivery run, so no message sits in Redis past its visibility timeout.
EMAIL_TASK_RETRY_MAX_SECONDS = 600

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Beat runs in UTC: deadlines are UTC instants and interval schedules do not care about clock changes.
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# A worker killed mid-task (SIGKILL, out of memory) must not lose the message: acknowledge after the
# task, give the message back when the worker is lost, and hold one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# After a Redis restart keep reconnecting for ever rather than giving up after 100 tries.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any countdown a task sets (EMAIL_TASK_RETRY_MAX_SECONDS).
    "visibility_timeout": 3600,
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "health_check_interval": 10,
}
# Publishing while Redis is down gives up within a second; the outbox row is still there for the next run.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Remote control stays on. Besides answering `scripts/service.sh health worker`, its pub/sub connection is what
# notices a Redis restart and makes the worker reconnect afresh. Without it, an acknowledgement that fails while
# Redis is down leaves kombu counting that message as unacknowledged for ever, and a worker holding one message at a
# time never takes another (tests/escalation/test_celery_reliability.py stops sweeping that way).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = True

# The schedule lives in the database (django-celery-beat, shown in the admin as "Periodic tasks"), so a beat
# restart keeps each task's last run: a daily run that fell due while beat was down runs when it comes back.
# Beat writes the entries below into it at start; escalation/beat.py says why it is not the stock scheduler.
CELERY_BEAT_SCHEDULER = "escalation.beat:DatabaseScheduler"
# Write each task's last run to the database as soon as it is sent, so a beat killed straight afterwards
# neither loses nor repeats it.
CELERY_BEAT_SYNC_EVERY = 1
#: The daily retention run, at a fixed time in UTC (an hour when nobody is working).
RETENTION_HOUR_UTC = int(os.environ.get("RETENTION_HOUR_UTC", "2"))
RETENTION_MINUTE_UTC = int(os.environ.get("RETENTION_MINUTE_UTC", "30"))


def _every(seconds: float) -> dict:
    # The database holds whole seconds. A run left waiting behind a backlog is useless once the next one is due.
    return {"schedule": max(round(seconds), 1), "options": {"expire_seconds": int(max(5 * seconds, 10))}}


CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {"task": "escalation.sweep_deadlines", **_every(DEADLINE_SWEEP_SECONDS)},
    "deliver-notifications": {"task": "escalation.deliver_due", **_every(NOTIFICATION_DELIVERY_SECONDS)},
    "render-pending-records": {"task": "escalation.render_pending_records", **_every(RECORD_CATCH_UP_SECONDS)},
    # Once a day at a fixed time: removal needs no particular hour, only that it is never skipped.
    "apply-retention": {
        "task": "escalation.apply_retention",
        "schedule": crontab(minute=RETENTION_MINUTE_UTC, hour=RETENTION_HOUR_UTC),
    },
    # Every hour: expired sessions go, and with them any abandoned draft of a dispute they held.
    "clear-sessions": {"task": "escalation.clear_sessions", "schedule": crontab(minute=15)},
}
