"""Run one deadline sweep by hand and print what it did as one JSON line."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from escalation.deadlines.sweep import sweep


def aware_moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--now: '{value}' is not an ISO 8601 date and time, e.g. 2026-03-30T17:01:00+01:00"
        ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CommandError(f"--now: '{value}' has no time zone; add one, e.g. {value}+00:00 or {value}Z")
    return moment


class Command(BaseCommand):
    help = "Record every deadline reminder and breach due now (or at --now) and queue their notifications."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", help="Sweep as at this moment (ISO 8601 with a time zone). Default: the clock.")

    def handle(self, *args, **options) -> None:
        now = aware_moment(options["now"]) if options["now"] else timezone.now()
        result = sweep(now=now)
        self.stdout.write(json.dumps(result.as_dict()))
