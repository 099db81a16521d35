"""The Celery app: Redis as broker, configured from Django settings (CELERY_*, escalation/settings/deadlines.py).

Run a worker with `celery -A escalation worker` and the scheduler with `celery -A escalation beat`.
"""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.local")

app = Celery("escalation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["escalation"])


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_stale_connections(**kwargs) -> None:
    """A connection dropped by the database would otherwise fail every later task on this worker."""
    close_old_connections()
