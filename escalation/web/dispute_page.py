"""What a dispute's page shows: its place on the policy's ladder, its deadlines and its timeline.

Plain read functions over a dispute that the caller has already fetched through
`selectors.get_dispute_for`, so the access rule has been applied before anything here runs.
"""

import datetime
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse

from agencies.models import Role
from escalation.audit.events import TIMELINE_EVENTS, AuditEventType
from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.disputes.models import Dispute, StageVisit
from escalation.notifications.models import Notification
from escalation.web.display import london_moment
from policies.loading import rules_of
from policies.vocabulary import DeadlineKind, EntryKind, Strength

ROLE_LABELS = dict(Role.choices)


def person(user) -> str:
    if user is None:
        return "someone no longer registered"
    return user.get_full_name() or user.get_username()


def roles_sentence(roles: list[str]) -> str:
    labels = [ROLE_LABELS.get(role, role).lower() for role in roles]
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


@dataclass
class Rung:
    """One stage of the policy as the page shows it."""

    stage: object
    status: str  # current, complete, skipped, upcoming, ended, before
    status_text: str
    entered_at: datetime.datetime | None = None
    approval_text: str = ""

    @property
    def css(self) -> str:
        return {"current": "app-ladder__step--current", "complete": "app-ladder__step--complete"}.get(self.status, "")


def ladder(dispute: Dispute) -> list[Rung]:
    """Every stage of the pinned policy version, marked with where the dispute is and has been."""
    entered: dict[int, datetime.datetime] = {}
    for visit in dispute.stage_visits.all():
        entered.setdefault(visit.stage_number, visit.entered_at)
    ended = {"resolved": "Resolved at this stage", "closed": "Resolved at this stage, then closed"}.get(
        dispute.state, "Withdrawn at this stage"
    )
    rungs = []
    for stage in dispute.policy_version.stages.all():
        if stage.pre_escalation:
            status, text = "before", "Before a dispute is raised"
        elif stage.number == dispute.current_stage:
            status, text = ("current", "Current stage") if dispute.is_open else ("ended", ended)
        elif stage.number in entered:
            status, text = "complete", "Completed"
        elif stage.number < dispute.current_stage:
            status, text = "skipped", "Not used: the dispute started at a later stage"
        else:
            status, text = "upcoming", "Not reached"
        rungs.append(Rung(stage, status, text, entered.get(stage.number), approval_text(stage)))
    return rungs


def approval_text(stage) -> str:
    if stage.pre_escalation:
        return ""
    if not stage.approval_required:
        return "Moving to this stage needs no one's approval."
    if stage.partnership_level:
        return f"Moving to this stage needs the approval of the {roles_sentence(stage.approver_roles)}."
    return (
        f"Moving to this stage needs the approval of a {roles_sentence(stage.approver_roles)} "
        "of the agency that asks for it."
    )


def load_for_page(dispute: Dispute) -> Dispute:
    """Fetch what the page shows of the dispute in a fixed number of queries: its stage visits (with who moved
    it) and its deadlines (with their rules), shared by the ladder, the deadline tables and the timeline."""
    prefetch_related_objects(
        [dispute],
        Prefetch("stage_visits", queryset=StageVisit.objects.select_related("entered_by", "approved_by")),
        Prefetch("deadlines", queryset=Deadline.objects.select_related("rule")),
    )
    return dispute


def open_deadlines(dispute: Dispute) -> list[Deadline]:
    rows = [row for row in dispute.deadlines.all() if row.closed_at is None]
    return sorted(rows, key=lambda row: (row.due_at is None, row.due_at or row.anchor_at, row.pk))


def closed_deadlines(dispute: Dispute) -> list[Deadline]:
    return sorted(
        (row for row in dispute.deadlines.all() if row.closed_at is not None), key=lambda r: (r.closed_at, r.pk)
    )


def deadline_is_manual_unset(row: Deadline) -> bool:
    return row.rule.kind == DeadlineKind.MANUAL and row.due_at is None


@dataclass
class TimelineItem:
    at: datetime.datetime
    title: str
    byline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    important: bool = False
    occurred_on: datetime.date | None = None
    kind: str = "change"


ENTRY_TITLES = {
    EntryKind.DISCUSSION: "Discussion recorded",
    EntryKind.ACTION: "Action recorded",
    EntryKind.DECISION: "Decision recorded",
}


def _stage_items(dispute: Dispute, names: dict[int, str]) -> list[TimelineItem]:
    items = []
    for index, visit in enumerate(dispute.stage_visits.all()):
        stage = f"stage {visit.stage_number}: {names.get(visit.stage_number, '')}".rstrip(": ")
        if index == 0:
            title = f"Dispute raised at {stage}"
            byline = f"by {person(visit.entered_by)}, {dispute.raising_agency}"
        else:
            title = f"Moved to {stage}"
            byline = f"asked for by {person(visit.entered_by)}"
            if visit.approved_by_id:
                byline += f", approved by {person(visit.approved_by)}"
        paragraphs = [visit.reason] if visit.reason and index else []
        important = index == 0 and dispute.immediate_harm
        if important:
            paragraphs.append("Raised with a risk of immediate harm.")
        items.append(TimelineItem(visit.entered_at, title, byline, paragraphs, important=important))
    return items


def _entry_items(dispute: Dispute) -> list[TimelineItem]:
    return [
        TimelineItem(
            entry.created_at,
            ENTRY_TITLES.get(entry.kind, "Record added"),
            f"by {person(entry.author)}, {entry.agency}",
            entry.text.splitlines() or [entry.text],
            occurred_on=entry.occurred_on,
        )
        for entry in dispute.record_entries.select_related("author", "agency")
    ]


def _audit_items(dispute: Dispute) -> list[TimelineItem]:
    """The audit events marked `on_timeline` in escalation/audit/events.py: changes nothing else on the page shows."""
    events = AuditEvent.objects.filter(dispute_id_value=dispute.pk, action__in=TIMELINE_EVENTS).select_related("actor")
    items = []
    for event in events:
        kind = AuditEventType(event.action)
        after = event.after or {}
        paragraphs = [after["reason"]] if after.get("reason") else []
        title = kind.label
        if kind == AuditEventType.ESCALATION_PROPOSED and after.get("to_stage") is not None:
            title = f"Escalation to stage {after['to_stage']} proposed"
        if kind.startswith("deadline.") and after.get("due_at"):
            due = datetime.datetime.fromisoformat(after["due_at"])
            paragraphs.insert(0, f"Now due {london_moment(due)}.")
        actor = person(event.actor) if event.actor_id else event.actor_label or "the system"
        important = kind == AuditEventType.DISPUTE_WITHDRAWN
        items.append(TimelineItem(event.at, title, f"by {actor}", paragraphs, important=important))
    return items


def _notification_items(dispute: Dispute) -> list[TimelineItem]:
    """One item per message sent, listing everyone it went to and the role it reached them in."""
    rows = dispute.notifications.select_related("recipient").order_by("created_at", "event", "headline", "pk")
    items = []
    for (created_at, _event, headline), group in groupby(rows, key=lambda n: (n.created_at, n.event, n.headline)):
        group = list(group)
        recipients = []
        for row in group:
            label = person(row.recipient)
            if row.role:
                label += f" ({ROLE_LABELS.get(row.role, row.role)})"
            if row.email_status == Notification.EmailStatus.UNDELIVERABLE:
                label += ": e-mail not delivered"
            recipients.append(label)
        paragraphs = [group[0].message] if group[0].message else []
        breach = group[0].event in {"deadline_breached", "no_response"}
        items.append(
            TimelineItem(
                created_at,
                f"Notification sent: {headline}",
                "",
                paragraphs,
                recipients,
                important=breach,
                kind="notification",
            )
        )
    return items


def timeline(dispute: Dispute) -> list[TimelineItem]:
    """Everything that happened to the dispute, newest first."""
    names = {stage.number: stage.name for stage in dispute.policy_version.stages.all()}
    items = _stage_items(dispute, names) + _entry_items(dispute) + _audit_items(dispute)
    items += _notification_items(dispute)
    # Newest first; a notification sorts above the change that caused it at the same moment.
    return sorted(items, key=lambda item: (item.at, item.kind == "notification"), reverse=True)


def proposal(dispute: Dispute) -> dict | None:
    """The escalation waiting for approval, if there is one."""
    if dispute.state != "awaiting_approval":
        return None
    next_stage = rules_of(dispute.policy_version).next_stage(dispute.current_stage)
    return {
        "stage": next_stage,
        "by": person(dispute.escalation_proposed_by),
        "at": dispute.escalation_proposed_at,
        "side": dispute.escalation_side,
        "reason": dispute.escalation_reason,
        "approvers": roles_sentence(next_stage.approver_roles) if next_stage else "",
        "partnership_level": bool(next_stage and next_stage.partnership_level),
    }


def deadline_status(row: Deadline, now: datetime.datetime) -> str:
    """One word for where a deadline stands: met, missed, paused, unset, overdue, soon or running; a guide
    (reminded, never breached) past its moment is `beyond_guide`, never missed or overdue."""
    guide = row.rule.strength == Strength.GUIDE
    if row.closed_at:
        return "met" if row.met else ("beyond_guide" if guide else "missed")
    if row.paused_at:
        return "paused"
    if row.due_at is None:
        return "unset"
    if row.breached_at or row.due_at < now:
        return "beyond_guide" if guide else "overdue"
    if (row.remind_at and row.remind_at <= now) or (row.soon_at and row.soon_at <= now):
        return "soon"
    return "running"


@dataclass(frozen=True)
class NextAction:
    """A button in the "what happens next" panel: what it says and where it goes."""

    label: str
    url: str


#: The actions the panel offers first, most pressing first: (command, label, page). The full list of what this
#: person may do stays under "What you can do".
PANEL_ACTIONS = [
    ("approve_escalation", "Approve or decline the escalation", "dispute-decide"),
    ("confirm_resolution", "Confirm the resolution", "dispute-confirm-resolution"),
    ("record_decision", "Record the decision", "dispute-record-decision"),
    ("set_manual_deadline", "Set the deadline", "dispute-deadline"),
    ("add_entry", "Add a record", "dispute-add-entry"),
    ("resolve", "Record the resolution", "dispute-resolve"),
    ("close", "Close the dispute", "dispute-close"),
    ("escalate_no_response", "Escalate: no response", "dispute-escalate-no-response"),
    ("propose_escalation", "Escalate to the next stage", "dispute-escalate"),
]
#: How many actions the panel offers.
PANEL_ACTION_COUNT = 2


def next_actions(dispute: Dispute, actions: set[str], deadline_to_set: Deadline | None) -> list[NextAction]:
    """The one or two actions this person can take now, from what the policy runtime allows them."""
    found = []
    for command, label, page in PANEL_ACTIONS:
        if command not in actions:
            continue
        if command == "set_manual_deadline":
            if deadline_to_set is None:
                continue
            url = reverse(page, args=[dispute.reference, deadline_to_set.pk])
        else:
            url = reverse(page, args=[dispute.reference])
        found.append(NextAction(label, url))
    return found[:PANEL_ACTION_COUNT]
