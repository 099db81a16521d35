"""Celery beat's scheduler: django-celery-beat's database scheduler, made to catch up on every missed run.

The stock scheduler only loads a daily (crontab) task when the clock is within two hours of the task's hour.
Beat restarted at 10:00 after missing the 02:30 retention run would then wait until about 00:30 the next
day, and run it then, early. Loading every enabled task instead lets beat see at once that the run is due
(its last run is in the database) and send it on its own day. The schedule here is a handful of rows, so
the optimisation is worth nothing.

Named in CELERY_BEAT_SCHEDULER (escalation/settings/deadlines.py); imported by beat only, after Django is set up.
"""

from django.db.models import Q
from django_celery_beat.schedulers import DatabaseScheduler as StockDatabaseScheduler


class DatabaseScheduler(StockDatabaseScheduler):
    def _get_crontab_exclude_query(self) -> Q:
        return Q(pk__in=[])
