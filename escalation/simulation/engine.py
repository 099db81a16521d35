"""Playing a scenario: each step through the app's own services at its moment, the deadline sweep in between.

Everything happens inside one transaction that is always rolled back, so nothing is kept: no dispute, no person,
no audit event, no e-mail (mail and records are queued only after a commit, which never comes). Services are
given each step's moment as `now`, so no clock is moved.

Between steps, and after the last one up to `until`, the sweep runs at every moment a reminder or a breach of the
dispute falls due, in time order: a reminder at its moment, a breach at the first whole minute after the due
moment (the sweep runs every minute and a deadline is still met at its due moment). It uses the sweep's own
functions (`escalation.deadlines.sweep`) on the simulated dispute's rows only, so the partnerships that exist are
never touched, not even inside the rolled-back transaction.

The output is one JSON object per line, in time order, each derived from the rows the run wrote: stage visits,
audit events, deadline rows, outbox rows, record snapshots and access grants. Person labels are the scenario's
own (`raising.manager`); times are ISO 8601 in London time.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from escalation.access.models import DisputeAccess
from escalation.audit.models import AuditEvent
from escalation.deadlines import sweep as deadline_sweep
from escalation.deadlines.models import Deadline
from escalation.disputes import deadline_changes, services
from escalation.disputes.models import Dispute, StageVisit
from escalation.notifications import outbox
from escalation.notifications.models import Notification
from escalation.records.models import RecordSnapshot
from escalation.simulation.scenario import (
    RaiseStep,
    Scenario,
    ScenarioError,
    Step,
    parse_scenario,
)
from escalation.simulation.world import PolicySource, World, build_world, resolve_policy
from policies.basis import due_basis
from policies.calendar import LONDON
from policies.models import PolicyVersion
from policies.runtime import ActionRefused
from policies.vocabulary import DisputeState, Strength

#: Why a step is refused when the raise was.
NO_DISPUTE = "there is no dispute: the raise step was refused"

#: The order of lines at the same moment from the same step or sweep.
RANK = {
    "step": 0,
    "immediate_harm_flagged": 1,
    "escalation_proposed": 1,
    "escalation_declined": 1,
    "escalated_no_response": 1,
    "stage_entered": 2,
    "awaiting_confirmation": 2,
    "confirmed": 2,
    "rejected": 2,
    "resolved": 2,
    "decision_recorded": 2,
    "withdrawn": 2,
    "met": 3,
    "deadline_set": 4,
    "reminded": 5,
    "breached": 5,
    "notified": 6,
    "access_granted": 7,
    "record": 8,
}


class _Discard(Exception):
    """Ends the throw-away transaction, carrying out what was played."""

    def __init__(self, lines: list[dict]):
        self.lines = lines


def london(moment: datetime.datetime | None) -> str | None:
    return moment.astimezone(LONDON).isoformat() if moment is not None else None


def next_minute(moment: datetime.datetime) -> datetime.datetime:
    """The first whole minute after `moment`: when a sweep that runs every minute first finds it passed."""
    return moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)


def _day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(LONDON).date()


@dataclass
class _Line:
    at: datetime.datetime
    seq: int
    rank: int
    tiebreak: tuple
    data: dict[str, Any]

    def output(self) -> dict[str, Any]:
        return {"at": london(self.at), **self.data}


@dataclass
class Run:
    """One play of a scenario in its world: the dispute, the lines so far and what has been seen of the rows."""

    world: World
    scenario: Scenario
    dispute: Dispute | None = None
    clock: datetime.datetime | None = None
    lines: list[_Line] = field(default_factory=list)
    seq: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    deadlines: dict[int, tuple] = field(default_factory=dict)
    tried: set[tuple] = field(default_factory=set)

    # Output ----------------------------------------------------------------------------------------------------

    def add(self, at: datetime.datetime, event: str, tiebreak: tuple, data: dict[str, Any]) -> None:
        self.lines.append(_Line(at, self.seq, RANK[event], tiebreak, data))

    def output(self) -> list[dict[str, Any]]:
        ordered = sorted(self.lines, key=lambda line: (line.at, line.seq, line.rank, line.tiebreak))
        return [line.output() for line in ordered]

    # Steps -----------------------------------------------------------------------------------------------------

    def step(self, step: Step) -> None:
        self.seq += 1
        self.clock = step.at
        result, reason = "done", None
        try:
            if self.dispute is None and not isinstance(step, RaiseStep):
                raise ActionRefused(NO_DISPUTE)
            dispute = HANDLERS[step.do](self, step)
            if isinstance(step, RaiseStep):
                self.dispute = dispute
        except ActionRefused as exc:
            result, reason = "refused", str(exc)
        except ValidationError as exc:
            result, reason = "refused", " ".join(exc.messages)
        self.add(
            step.at,
            "step",
            (),
            {"step": step.number, "do": step.do, "by": step.by, "result": result, "reason": reason},
        )
        self.collect(step.at)

    def user(self, label: str):
        return self.world.person(label)

    # The sweep -------------------------------------------------------------------------------------------------

    def sweep_until(self, limit: datetime.datetime) -> None:
        """Run the sweep at every reminder and breach moment of the dispute up to `limit`, in time order."""
        while self.dispute is not None:
            candidates = [(when, key) for when, key in self._sweep_moments() if when <= limit]
            if not candidates:
                return
            moment = min(when for when, _ in candidates)
            self.seq += 1
            self._sweep(moment)
            self.tried.update(key for when, key in candidates if when <= moment)
            self.clock = moment
            self.collect(moment)

    def _when(self, moment: datetime.datetime) -> datetime.datetime:
        """A moment already past when the row was written is found by the next minute's sweep."""
        return moment if self.clock is None or moment > self.clock else next_minute(self.clock)

    def _sweep_moments(self) -> list[tuple[datetime.datetime, tuple]]:
        rows = Deadline.objects.filter(
            dispute=self.dispute,
            closed_at__isnull=True,
            paused_at__isnull=True,
            breached_at__isnull=True,
            due_at__isnull=False,
        )
        moments = []
        for row in rows:
            if row.reminded_at is None and row.remind_at is not None:
                when = self._when(row.remind_at)
                if when <= row.due_at:  # the sweep reminds only before the due moment; after it, it breaches
                    moments.append((when, ("remind", row.pk, row.remind_at)))
            moments.append((self._when(next_minute(row.due_at)), ("breach", row.pk, row.due_at)))
        return [(when, key) for when, key in moments if key not in self.tried]

    def _sweep(self, now: datetime.datetime) -> None:
        related = ("rule", "dispute", "dispute__partnership", "dispute__raising_agency", "dispute__other_agency")
        with transaction.atomic():
            for row in deadline_sweep.breaches_due(now).filter(dispute=self.dispute).select_related(*related):
                deadline_sweep.record_breach(row, now)
            for row in deadline_sweep.reminders_due(now).filter(dispute=self.dispute).select_related(*related):
                deadline_sweep.record_reminder(row, now)

    # Events ----------------------------------------------------------------------------------------------------

    def _new(self, name: str, queryset):
        rows = list(queryset.filter(pk__gt=self.seen.get(name, 0)).order_by("pk"))
        if rows:
            self.seen[name] = rows[-1].pk
        return rows

    def collect(self, at: datetime.datetime) -> None:
        """Lines for every row the last step or sweep wrote."""
        if self.dispute is None:
            return
        self.dispute = Dispute.objects.get(pk=self.dispute.pk)
        dispute = self.dispute
        for visit in self._new("visit", StageVisit.objects.filter(dispute=dispute)):
            self.add(
                visit.entered_at,
                "stage_entered",
                (),
                {"event": "stage_entered", "stage": visit.stage_number, "basis": self._stage_basis(visit.stage_number)},
            )
        for event in self._new("audit", AuditEvent.objects.filter(dispute_id_value=dispute.pk)):
            self._audit_line(event)
        self._deadline_lines(at)
        notifications = Notification.objects.filter(dispute=dispute).select_related("recipient", "deadline__rule")
        for row in self._new("notification", notifications):
            to = self.world.label_of(row.recipient)
            line = {"event": "notified", "to": to, "about": row.event, "stage": dispute.current_stage}
            if row.deadline is not None:
                line["rule"] = row.deadline.rule.name
            self.add(row.created_at, "notified", (row.event, line.get("rule", ""), to), line)
        for snapshot in self._new("record", RecordSnapshot.objects.filter(dispute=dispute).defer("pdf")):
            for line in self._record_lines(snapshot):
                order = (snapshot.stage_number, snapshot.form, line["to"] is None, line["to"] or line["unfilled"])
                self.add(snapshot.produced_at, "record", order, line)
        for access in self._new("access", DisputeAccess.objects.filter(dispute=dispute).select_related("user")):
            to = self.world.label_of(access.user)
            self.add(access.granted_at, "access_granted", (to,), {"event": "access_granted", "to": to})

    def _stage_basis(self, number: int) -> str | None:
        """What the stage rests on (policy, reading, partnership_default): a stage the partnership added shows it."""
        stage = self.dispute.policy_version.stages.filter(number=number).first()
        basis = getattr(stage, "basis", None)
        return str(basis["kind"]) if isinstance(basis, dict) and basis.get("kind") else None

    def _audit_line(self, event: AuditEvent) -> None:
        for data in _audit_data(event.action, event.before or {}, event.after or {}):
            self.add(event.at, data["event"], (data.get("rule") or "",), data)

    def _deadline_lines(self, at: datetime.datetime) -> None:
        for row in self.dispute.deadlines.select_related("rule").order_by("pk"):
            seen = self.deadlines.get(row.pk)
            if seen is None:
                self.add(at, "deadline_set", (row.rule.name,), _deadline_set(row))
            elif row.due_at != seen[0] and row.closed_at is None:
                self.add(at, "deadline_set", (row.rule.name,), {**_deadline_set(row), "previous_due": london(seen[0])})
            if row.closed_at is not None and (seen is None or seen[1] is None) and row.met:
                self.add(row.closed_at, "met", (row.rule.name,), {"event": "met", "rule": row.rule.name})
            self.deadlines[row.pk] = (row.due_at, row.closed_at)

    def _record_lines(self, snapshot: RecordSnapshot) -> list[dict[str, Any]]:
        """Who a record goes to, found as the app finds them when it is drawn (`outbox.people_for`, the raiser, a
        stage's actors, roles, offices and alternatives alike); a post nobody holds is a line of its own."""
        people, gaps = outbox.people_for(self.dispute, snapshot.recipient_roles or [], stage=snapshot.stage_number)
        on = snapshot.requirement_key.split(":")[1] if snapshot.requirement_key.count(":") == 2 else None
        head = {"event": "record", "form": snapshot.form, "stage": snapshot.stage_number, "on": on}
        lines = [{**head, "to": label} for label in sorted({self.world.label_of(user) for user, _ in people})]
        return lines + [{**head, "to": None, "unfilled": gap} for gap in gaps]


def _audit_data(action: str, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines an audit event of the dispute makes (none for the events a line is made from another row)."""
    stage = after.get("stage", before.get("stage"))
    match action:
        case "escalation.proposed":
            return [{"event": "escalation_proposed", "stage": before.get("stage"), "to_stage": after.get("to_stage")}]
        case "dispute.escalated":
            return [{"event": "escalation_proposed", "stage": before.get("stage"), "to_stage": after.get("stage")}]
        case "escalation.declined":
            return [{"event": "escalation_declined", "stage": stage}]
        case "dispute.escalated_no_response":
            return [{"event": "escalated_no_response", "stage": before.get("stage"), "to_stage": after.get("stage")}]
        case "dispute.immediate_harm_flagged":
            return [{"event": "immediate_harm_flagged", "stage": stage}]
        case "dispute.resolved":
            return [{"event": "resolved", "stage": stage}]
        case "dispute.decision_recorded":
            return [{"event": "decision_recorded", "stage": stage}]
        case "resolution.awaiting_confirmation":
            return [{"event": "awaiting_confirmation", "stage": stage, "side": after.get("side")}]
        case "resolution.confirmed":
            confirmed = {"event": "confirmed", "stage": stage, "side": after.get("side")}
            if after.get("state") == DisputeState.RESOLVED:
                return [confirmed, {"event": "resolved", "stage": stage}]
            return [confirmed]
        case "resolution.rejected":
            return [{"event": "rejected", "stage": stage, "side": after.get("side")}]
        case "dispute.withdrawn":
            return [{"event": "withdrawn", "stage": stage}]
        case "deadline.reminded":
            return [{"event": "reminded", "rule": after.get("rule")}]
        case "deadline.breached":
            return [{"event": "breached", "rule": after.get("rule")}]
    return []


def strength_of(rule) -> str:
    return str(getattr(rule, "strength", "") or Strength.RULE)


def basis_of(rule) -> str | None:
    """What the rule's due moment rests on (as the policy pages say it): policy, reading, partnership_default,
    or None where the file gives no basis, so a missing basis never reads as the policy's own words."""
    basis = due_basis(rule)
    return str(basis["kind"]) if basis else None


def _deadline_set(row: Deadline) -> dict[str, Any]:
    return {
        "event": "deadline_set",
        "rule": row.rule.name,
        "due": london(row.due_at),
        "strength": strength_of(row.rule),
        "basis": basis_of(row.rule),
    }


# Step handlers ---------------------------------------------------------------------------------------------------


def _open_deadline(run: Run, rule: str) -> Deadline:
    row = run.dispute.deadlines.filter(rule__name=rule, closed_at__isnull=True).select_related("rule").first()
    if row is None:
        raise ActionRefused(f"The dispute has no open deadline {rule!r} now.")
    return row


def _raise(run: Run, step) -> Dispute:
    world = run.world
    version = world.partnership.policy.current_version
    return services.raise_dispute(
        raised_by=run.user(step.by),
        raising_agency=world.raising,
        other_agency=world.other,
        subject=_subject(run.scenario),
        category=step.category or version.categories[0]["key"],
        description=step.description,
        immediate_harm=step.immediate_harm,
        start_stage=step.stage,
        other_worker=run.user(step.other_worker) if step.other_worker else None,
        concern_outset=step.outset,
        now=step.at,
    )


def _subject(scenario: Scenario) -> dict[str, Any]:
    subject = scenario.head.subject
    return {
        "kind": subject.kind,
        "name": f"Scenario {subject.kind}",
        "child_protection_plan": subject.cp_plan,
        "looked_after": subject.looked_after,
    }


def _record_entry(run: Run, step):
    return services.add_record_entry(
        dispute=run.dispute,
        author=run.user(step.by),
        kind=step.kind,
        text=step.text,
        occurred_on=_day(step.at),
        now=step.at,
    )


def _propose(run: Run, step):
    return services.propose_escalation(
        dispute=run.dispute, proposed_by=run.user(step.by), reason=step.reason, now=step.at
    )


def _approve(run: Run, step):
    return services.approve_escalation(dispute=run.dispute, approver=run.user(step.by), now=step.at)


def _decline(run: Run, step):
    return services.decline_escalation(dispute=run.dispute, approver=run.user(step.by), reason=step.reason, now=step.at)


def _escalate_no_response(run: Run, step):
    return services.escalate_no_response(
        dispute=run.dispute, escalated_by=run.user(step.by), reason=step.reason, now=step.at
    )


def _flag_immediate_harm(run: Run, step):
    return services.flag_immediate_harm(
        dispute=run.dispute, flagged_by=run.user(step.by), reason=step.reason, now=step.at
    )


def _resolve(run: Run, step):
    return services.record_resolution(
        dispute=run.dispute,
        recorded_by=run.user(step.by),
        agreed_outcome=step.outcome,
        decided_on=_day(step.at),
        now=step.at,
    )


def _confirm(run: Run, step):
    return services.confirm_resolution(dispute=run.dispute, confirmed_by=run.user(step.by), now=step.at)


def _reject(run: Run, step):
    return services.reject_resolution(
        dispute=run.dispute, rejected_by=run.user(step.by), reason=step.reason, now=step.at
    )


def _record_decision(run: Run, step):
    return services.record_decision(
        dispute=run.dispute,
        recorded_by=run.user(step.by),
        agreed_outcome=step.outcome,
        decided_on=_day(step.at),
        now=step.at,
    )


def _withdraw(run: Run, step):
    return services.withdraw_dispute(
        dispute=run.dispute, withdrawn_by=run.user(step.by), reason=step.reason, now=step.at
    )


def _set_deadline(run: Run, step):
    return services.set_manual_deadline(dispute=run.dispute, set_by=run.user(step.by), due_at=step.due, now=step.at)


def _shorten(run: Run, step):
    return deadline_changes.shorten_deadline(
        deadline=_open_deadline(run, step.rule),
        by=run.user(step.by),
        due_at=step.due,
        reason=step.reason,
        now=step.at,
    )


def _extend(run: Run, step):
    return deadline_changes.extend_deadline(
        deadline=_open_deadline(run, step.rule),
        by=run.user(step.by),
        working_days=step.days,
        reason=step.reason,
        now=step.at,
    )


HANDLERS: dict[str, Callable[[Run, Any], Any]] = {
    "raise": _raise,
    "record": _record_entry,
    "propose_escalation": _propose,
    "approve_escalation": _approve,
    "decline_escalation": _decline,
    "escalate_no_response": _escalate_no_response,
    "flag_immediate_harm": _flag_immediate_harm,
    "resolve": _resolve,
    "confirm_resolution": _confirm,
    "reject_resolution": _reject,
    "record_decision": _record_decision,
    "withdraw": _withdraw,
    "set_deadline": _set_deadline,
    "shorten_deadline": _shorten,
    "extend_deadline": _extend,
}


# Playing ---------------------------------------------------------------------------------------------------------


def play(scenario: Scenario, source: PolicySource) -> list[dict[str, Any]]:
    """Play the scenario in a throw-away world and return its lines; nothing is kept in the database."""
    try:
        with transaction.atomic():
            token = secrets.token_hex(4)
            world = build_world(scenario, source.load(token), token)
            run = Run(world, scenario)
            for step in scenario.steps:
                run.sweep_until(step.at)
                run.step(step)
            run.sweep_until(scenario.until)
            raise _Discard(run.output())
    except _Discard as done:
        return done.lines


def read_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), ["no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot be read ({exc})"]) from None
    return parse_scenario(text, source=str(path))


def play_file(path: str | Path, *, seeds_first: bool = False) -> list[dict[str, Any]]:
    """Read, check and play a scenario file; a `policy:` path is relative to the file's folder."""
    scenario = read_scenario_file(path)
    source = resolve_policy(scenario, base_dir=Path(path).parent, seeds_first=seeds_first)
    return play(scenario, source)


def play_text(text: str, *, version: PolicyVersion, source: str = "the scenario") -> tuple[Scenario, list[dict]]:
    """Read, check and play a pasted or uploaded scenario under one stored policy version (the policy page's)."""
    scenario = parse_scenario(text, source=source)
    return scenario, play(scenario, resolve_policy(scenario, version=version))


def to_jsonl(lines: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
