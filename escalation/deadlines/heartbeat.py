"""When scheduled work last ran: one row per job, written around each run, read by /readyz and the register.

Deadlines are only enforced while something sweeps them, so the sweep records when it starts and when it
finishes. A sweep that stops (the worker is down, beat is down, Redis is unreachable, the sweep keeps
failing) leaves `last_finished_at` behind, and /readyz reports it within two sweep intervals.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from escalation.deadlines.sweep import SweepResult, sweep

#: The job name of the deadline sweep, whoever runs it (the Celery task or `manage.py serve`'s thread).
DEADLINE_SWEEP = "deadline-sweep"


class JobHeartbeat(models.Model):
    """One scheduled job's last start and last finish. Holds no personal data."""

    name = models.CharField(max_length=50, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "escalation"

    def __str__(self) -> str:
        return self.name


def started(job: str, at: datetime.datetime) -> None:
    JobHeartbeat.objects.update_or_create(name=job, defaults={"last_started_at": at})


def finished(job: str, at: datetime.datetime) -> None:
    JobHeartbeat.objects.update_or_create(name=job, defaults={"last_finished_at": at})


def sweep_with_heartbeat(*, now: datetime.datetime, tell: bool = True) -> SweepResult:
    """Run the deadline sweep as at `now`, recording its start and, only if it succeeds, its finish (`tell`: as
    `sweep`'s)."""
    started(DEADLINE_SWEEP, now)
    result = sweep(now=now, tell=tell)
    finished(DEADLINE_SWEEP, timezone.now())
    return result


def last_sweep_finished_at() -> datetime.datetime | None:
    """When a deadline sweep last finished, or None if none has."""
    return JobHeartbeat.objects.filter(name=DEADLINE_SWEEP).values_list("last_finished_at", flat=True).first()


@dataclass(frozen=True)
class SweepHealth:
    last_finished_at: datetime.datetime | None
    #: How stale the last finish may be: two sweep intervals.
    limit_seconds: float
    seconds_since: float | None

    @property
    def healthy(self) -> bool:
        return self.seconds_since is not None and self.seconds_since <= self.limit_seconds


def sweep_health(*, now: datetime.datetime, interval_seconds: float) -> SweepHealth:
    """Whether the sweep finished within two intervals of `now`: one late run is allowed, two are not."""
    finished_at = last_sweep_finished_at()
    since = None if finished_at is None else max((now - finished_at).total_seconds(), 0.0)
    return SweepHealth(last_finished_at=finished_at, limit_seconds=2 * interval_seconds, seconds_since=since)
