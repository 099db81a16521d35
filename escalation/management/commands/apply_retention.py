import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agencies.models import Partnership
from escalation.privacy.retention import apply_retention
from policies.calendar import LONDON


def parse_moment(text: str, what: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{what}: {text!r} is not an ISO 8601 date and time, e.g. 2032-05-02T10:00+01:00") from None
    if moment.tzinfo is None:
        raise CommandError(f"{what}: {text!r} has no UTC offset; add one, e.g. +00:00 or Z")
    return moment


class Command(BaseCommand):
    help = (
        "List (--dry-run) or remove closed and withdrawn disputes older than their partnership's retention "
        "period. The audit trail is kept and records each removal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be removed; change nothing.")
        parser.add_argument("--now", help="Judge age as at this moment (ISO 8601 with offset); default: now.")
        parser.add_argument("--partnership", help="Only this partnership (its slug).")

    def handle(self, *args, dry_run: bool, now: str | None, partnership: str | None, **options):
        moment = parse_moment(now, "--now") if now else timezone.now()
        partnerships = Partnership.objects.all()
        if partnership:
            partnerships = partnerships.filter(slug=partnership)
            if not partnerships.exists():
                raise CommandError(f"--partnership: no partnership {partnership!r}")
        runs = apply_retention(now=moment, dry_run=dry_run, partnerships=partnerships)
        total = failed = 0
        for run in runs:
            if not run.removals:
                continue
            cutoff = run.cutoff.astimezone(LONDON)
            self.stdout.write(
                f"{run.partnership.name} (kept {run.partnership.retention_days} days; finished before "
                f"{cutoff:%d %B %Y %H:%M}):"
            )
            for removal in run.removals:
                if removal.error:
                    outcome, failed = f"NOT removed: {removal.error}", failed + 1
                elif dry_run:
                    outcome = "would be removed"
                else:
                    outcome = "removed" if removal.removed else "skipped (no longer past retention)"
                total += 1
                closed = removal.closed_at.astimezone(LONDON)
                self.stdout.write(f"  {removal.reference}  {removal.state} {closed:%d %B %Y}  {outcome}")
        verb = "would be removed" if dry_run else "processed"
        self.stdout.write(f"{total} dispute(s) past retention {verb}.")
        if failed:
            raise CommandError(f"{failed} dispute(s) could not be removed; see above.")
