import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Partnership
from policies.basis import basis_words, due_basis
from policies.calendar import WorkingCalendar, calendar_for
from policies.models import Policy
from policies.runtime.clock import anchor_time, compute_due
from policies.runtime.conditions import Facts, condition_value

PARTNERSHIP_DEFAULT_DAYS = 5


def _moment(text: str, what: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{what}: {text!r} is not an ISO 8601 date and time, e.g. 2026-05-02T10:00+01:00") from None
    if moment.tzinfo is None:
        raise CommandError(f"{what}: {text!r} has no UTC offset; add one, e.g. +00:00 or Z")
    if not 1900 <= moment.year <= 9000:
        raise CommandError(f"{what}: {text!r} is out of range; use a date between 1900 and 9000")
    return moment


class Command(BaseCommand):
    help = (
        "Print every deadline rule of a policy with its due time, one JSON object per line; basis says what the "
        "due time rests on (policy, reading or partnership_default; null when the file gives none)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--raised", required=True, help="When the dispute was raised (ISO 8601 with offset).")
        parser.add_argument(
            "--enter",
            action="append",
            default=[],
            metavar="STAGE=ISO",
            help="When a stage was entered; repeat for each stage.",
        )
        parser.add_argument("--immediate-harm", action="store_true")
        parser.add_argument("--subject", choices=["child", "adult"], default="child")
        parser.add_argument("--partnership", help="Use this partnership's calendar (default: the first using it).")

    def handle(self, *args, slug, raised, enter, immediate_harm, subject, partnership=None, **options):
        policy = Policy.objects.filter(slug=slug).first()
        if policy is None or policy.current_version is None:
            raise CommandError(f"no policy with slug {slug!r}; load it with load_policies first")
        version = policy.current_version
        raised_at = _moment(raised, "--raised")
        entries = {version.start_stage: raised_at}
        known = set(version.stages.values_list("number", flat=True))
        for item in enter:
            stage, sep, when = item.partition("=")
            if not sep or not stage.strip().isdecimal():
                raise CommandError(f"--enter {item!r}: expected STAGE=ISO, e.g. --enter 3=2026-05-06T09:00+01:00")
            if int(stage) not in known:
                raise CommandError(f"--enter {item!r}: policy {slug} has no stage {stage}")
            entries[int(stage)] = _moment(when, f"--enter {stage}")
        calendar, default_days = self._calendar(policy, partnership)
        # Only what the command is told is known; a rule on anything else is listed, as it may apply.
        facts = Facts(immediate_harm=immediate_harm, subject_kind=subject)
        for rule in version.deadline_rules.all():
            if condition_value(rule.condition, facts) is False:
                continue
            anchor_at = anchor_time(rule, raised_at, entries)
            due = compute_due(rule, anchor_at, calendar, default_days) if anchor_at else None
            basis = basis_words(due_basis(rule))
            line = {
                "rule": rule.name,
                "stages": rule.stages,
                "anchor": rule.anchor,
                "kind": rule.kind,
                "length": default_days if rule.partnership_default else rule.length,
                "due": due.isoformat() if due else None,
                "basis": basis.kind or None,
                # The policy's words in quotation marks with where they are; a reading or a default never.
                "basis_text": basis.line,
            }
            self.stdout.write(json.dumps(line))

    def _calendar(self, policy: Policy, slug: str | None) -> tuple[WorkingCalendar, int]:
        if slug:
            partnership = Partnership.objects.filter(slug=slug).first()
            if partnership is None:
                raise CommandError(f"--partnership: no partnership {slug!r}")
        else:
            partnership = policy.partnerships.first()
        if partnership is None:
            return WorkingCalendar(), PARTNERSHIP_DEFAULT_DAYS
        return calendar_for(partnership), partnership.default_stage_working_days
