"""Every change to a dispute: one function each, one transaction each.

Each service follows one path: lock the dispute row, ask the policy runtime (`policies.runtime.decide`,
through `permissions.require`) whether the person may do this now and what it changes, then carry the
decision out: the django-fsm transition it names, the stage visit, the audit event, whose move it is next
(`WaitingOn`), the deadline rows and the outbox rows. Records and e-mail follow after commit.
"""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Membership, Partnership, Role
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.rules import reopen_after_declined_escalation, sync_deadlines
from escalation.disputes.models import (
    Dispute,
    Outcome,
    Participant,
    RecordEntry,
    ReferenceCounter,
    StageVisit,
    Subject,
    WaitingOn,
)
from escalation.disputes.permissions import ActionRefused, require, side_of
from escalation.notifications import wording
from escalation.notifications.models import Notification
from escalation.notifications.outbox import (
    people_for,
    queue,
    queue_policy_notifications,
    queue_recipients,
    send_after_commit,
)
from escalation.records.requirements import fulfil_form_requirements
from policies.calendar import LONDON
from policies.loading import rules_of
from policies.runtime import Command, Decision, Waiting, check_start, waiting_at_stage
from policies.runtime.notices import Trigger, reach_triggers
from policies.vocabulary import DisputeState, Event, MediationChoice

SUBJECT_FIELDS = (
    "kind",
    "name",
    "date_of_birth",
    "address",
    "nhs_number",
    "other_identifiers",
    "child_protection_plan",
    "looked_after",
)


def _snapshot(dispute: Dispute) -> dict[str, Any]:
    return {"state": dispute.state, "stage": dispute.current_stage}


def _lock(dispute: Dispute) -> Dispute:
    """The dispute as it is now in the database, locked until the transaction ends."""
    return (
        Dispute.objects.select_for_update()
        .select_related("partnership", "policy_version", "subject", "raising_agency", "other_agency")
        .prefetch_related("policy_version__stages")
        .get(pk=dispute.pk)
    )


def _next_reference(partnership: Partnership, now: datetime.datetime) -> str:
    year = now.astimezone(LONDON).year
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(partnership=partnership, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{partnership.reference_prefix}-{year}-{counter.last:04d}"


def _membership_details(user, agency: Agency) -> dict[str, str]:
    membership = Membership.objects.filter(user=user, agency=agency).exclude(designation="").first()
    membership = membership or Membership.objects.filter(user=user, agency=agency).first()
    return {
        "designation": membership.designation or membership.get_role_display() if membership else "",
        "contact_details": ", ".join(filter(None, [user.email, membership.phone if membership else ""])),
    }


def _ensure_participant(dispute: Dispute, user, agency: Agency) -> None:
    if agency is None or dispute.participants.filter(user=user, agency=agency).exists():
        return
    Participant.objects.create(
        dispute=dispute,
        user=user,
        agency=agency,
        name=user.get_full_name() or user.get_username(),
        joined_at_stage=dispute.current_stage,
        **_membership_details(user, agency),
    )


def _apply(dispute: Dispute, decision: Decision) -> None:
    """Carry out the runtime's decision on the dispute row: the state transition and whose move it is next."""
    if decision.transition:
        getattr(dispute, decision.transition)()
    _wait_on(dispute, decision.waiting_on)


def _wait_on(dispute: Dispute, waiting: tuple[Waiting, ...]) -> None:
    dispute.waiting_on.all().delete()
    WaitingOn.objects.bulk_create(
        WaitingOn(dispute=dispute, agency_id=row.agency_id, role=row.role, reason=row.reason) for row in waiting
    )


def _enter_stage(dispute: Dispute, stage_number: int, entered_by, now, approved_by=None, reason="") -> StageVisit:
    dispute.stage_visits.filter(left_at__isnull=True).update(left_at=now)
    dispute.current_stage = stage_number
    return StageVisit.objects.create(
        dispute=dispute,
        stage_number=stage_number,
        entered_at=now,
        entered_by=entered_by,
        approved_by=approved_by,
        reason=reason,
    )


def _set_off(dispute: Dispute, triggers: tuple[Trigger, ...], now: datetime.datetime, *, by=None) -> None:
    """The deadlines, notices and records the policy attaches to what just happened.

    Entering a stage also reaches it and passes every stage below it not reached before (`stage_reached`, once
    each): a dispute started at stage 3 has reached stages 1, 2 and 3.
    """
    sync_deadlines(dispute, now)
    for trigger in _with_stages_reached(dispute, triggers):
        queue_policy_notifications(dispute, trigger.event, trigger.stage, now, exclude=[by] if by else [])
        fulfil_form_requirements(dispute, trigger.event, trigger.stage, now)


def _with_stages_reached(dispute: Dispute, triggers: tuple[Trigger, ...]) -> tuple[Trigger, ...]:
    """The triggers, each stage entry followed by the stages it newly reaches or passes."""
    found: list[Trigger] = []
    for trigger in triggers:
        found.append(trigger)
        if trigger.event == Event.STAGE_ENTERED:
            visits = list(dispute.stage_visits.order_by("entered_at", "id").values_list("stage_number", flat=True))
            before = visits[:-1] if visits and visits[-1] == trigger.stage else visits
            found += reach_triggers(rules_of(dispute.policy_version), before, trigger.stage)
    return tuple(found)


def outset_refusal(outset: datetime.date | None, now: datetime.datetime) -> str | None:
    """Why this outset cannot be given for a dispute raised at `now`; None when it can (or none is given)."""
    if outset is None:
        return None
    if isinstance(outset, datetime.datetime) or not isinstance(outset, datetime.date):
        return "Give the date the concern was first considered as a day, month and year."
    if outset > now.astimezone(LONDON).date():
        return "The date the concern was first considered cannot be after the dispute is raised."
    return None


@transaction.atomic
def raise_dispute(
    *,
    raised_by,
    raising_agency: Agency,
    other_agency: Agency,
    subject: dict[str, Any],
    category: str,
    description: str,
    attempts_so_far: str = "",
    immediate_harm: bool = False,
    start_stage: int | None = None,
    other_worker=None,
    concern_outset: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Dispute:
    """Raise a dispute at the policy's first stage (or higher, for immediate harm where the policy allows).

    The other agency hears through `other_worker` when the raiser knows who made the decision, otherwise
    through its managers and designated safeguarding lead, who pass it to the right person. `concern_outset`
    is the day the concern was first considered, if the raiser gives it: clocks that run from the outset start
    there.
    """
    now = now or timezone.now()
    problem = outset_refusal(concern_outset, now)
    if problem:
        raise ActionRefused(problem)
    partnership = raising_agency.partnership
    if not Membership.objects.filter(user=raised_by, agency=raising_agency).exists():
        raise ActionRefused(f"You do not work for {raising_agency}, so you cannot raise a dispute for it.")
    if other_agency.partnership_id != partnership.pk or other_agency.pk == raising_agency.pk:
        raise ActionRefused("Choose another agency in the same partnership.")
    if other_worker is not None and not Membership.objects.filter(user=other_worker, agency=other_agency).exists():
        raise ActionRefused(f"{other_worker.get_full_name() or other_worker} does not work for {other_agency}.")
    version = partnership.policy.current_version if partnership.policy else None
    if version is None:
        raise ActionRefused(f"{partnership} has no escalation policy loaded yet.")
    if not version.has_category(category):
        raise ActionRefused("Choose what the disagreement is about from the policy's categories.")
    stage_number, refusal = check_start(
        rules_of(version),
        immediate_harm=immediate_harm,
        start_stage=start_stage,
        subject_kind=subject.get("kind"),
        policy_name=version.policy.name,
    )
    if refusal:
        raise ActionRefused(refusal)
    subject_row = Subject.objects.create(
        partnership=partnership, **{k: v for k, v in subject.items() if k in SUBJECT_FIELDS}
    )
    dispute = Dispute(
        reference=_next_reference(partnership, now),
        partnership=partnership,
        policy_version=version,
        subject=subject_row,
        raising_agency=raising_agency,
        raised_by=raised_by,
        other_agency=other_agency,
        category=category,
        description=description,
        attempts_so_far=attempts_so_far,
        immediate_harm=immediate_harm,
        immediate_harm_flagged_at=now if immediate_harm else None,
        concern_outset=concern_outset,
        raised_at=now,
        current_stage=stage_number,
    )
    dispute.full_clean(exclude=["state"])
    dispute.save()
    _enter_stage(dispute, stage_number, raised_by, now, reason="Dispute raised")
    _wait_on(dispute, waiting_at_stage(rules_of(version).stage(stage_number), raising_agency.pk, other_agency.pk))
    _ensure_participant(dispute, raised_by, raising_agency)
    outset = {"concern_outset": concern_outset.isoformat()} if concern_outset else {}
    audit.record(
        raised_by,
        AuditEventType.DISPUTE_RAISED,
        dispute=dispute,
        obj=dispute,
        after={**_snapshot(dispute), **outset},
        now=now,
    )
    notice = version.notice("raised")
    headline = notice.headline_for(dispute.reference)
    start = rules_of(version).stage(stage_number)
    # A stage internal to the raising setting leaves the other agency out until the dispute reaches it.
    asks_other = start is None or start.takes_part("other")
    if asks_other and other_worker is not None:
        _ensure_participant(dispute, other_worker, other_agency)
        _tell(
            dispute,
            other_worker,
            Event.RAISED,
            headline,
            now,
            message=wording.body(dispute, Event.RAISED, notice.message),
        )
    elif asks_other:
        queue(
            dispute,
            Event.RAISED,
            [Role.MANAGER, Role.DSL],
            headline,
            now,
            sides="other",
            any_of=True,
            message=wording.body(dispute, Event.RAISED, notice.message),
        )
    _set_off(
        dispute, (Trigger(Event.RAISED, stage_number), Trigger(Event.STAGE_ENTERED, stage_number)), now, by=raised_by
    )
    return dispute


@transaction.atomic
def add_record_entry(
    *, dispute: Dispute, author, kind: str, text: str, occurred_on: datetime.date, now: datetime.datetime | None = None
) -> RecordEntry:
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(author, dispute, Command.ADD_ENTRY, now)
    agency = side_of(author, dispute) or _partnership_agency(author, dispute)
    entry = RecordEntry(
        dispute=dispute,
        stage_number=dispute.current_stage,
        kind=kind,
        text=text,
        occurred_on=occurred_on,
        author=author,
        agency=agency,
        created_at=now,
    )
    entry.full_clean()
    entry.save()
    before = _snapshot(dispute)
    if decision.transition:
        _apply(dispute, decision)
        dispute.save()
    _ensure_participant(dispute, author, side_of(author, dispute))
    audit.record(
        author,
        AuditEventType.RECORD_ENTRY_ADDED,
        dispute=dispute,
        obj=entry,
        before=before,
        after={**_snapshot(dispute), "kind": kind},
        now=now,
    )
    sync_deadlines(dispute, now)
    return entry


def _partnership_agency(user, dispute: Dispute) -> Agency:
    membership = Membership.objects.filter(user=user, agency__partnership=dispute.partnership).first()
    return membership.agency


@transaction.atomic
def propose_escalation(*, dispute: Dispute, proposed_by, reason: str, now: datetime.datetime | None = None) -> Dispute:
    """Ask to move up a stage; straight through when the next stage needs no approval."""
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(proposed_by, dispute, Command.PROPOSE_ESCALATION, now)
    if not reason.strip():
        raise ActionRefused("Say why the dispute needs to go to the next stage.")
    before = _snapshot(dispute)
    next_stage = dispute.next_stage()
    _declare_unresolved(dispute, now)
    if not decision.needs_approval:
        _apply(dispute, decision)
        _enter_stage(dispute, decision.enter_stage, proposed_by, now, reason=reason)
        dispute.save()
        audit.record(
            proposed_by,
            AuditEventType.DISPUTE_ESCALATED,
            dispute=dispute,
            obj=dispute,
            before=before,
            after={**_snapshot(dispute), "reason": reason},
            now=now,
        )
        _set_off(
            dispute, (Trigger(Event.ESCALATION_PROPOSED, before["stage"]), *decision.triggers), now, by=proposed_by
        )
        return dispute
    _apply(dispute, decision)
    dispute.escalation_proposed_by = proposed_by
    dispute.escalation_proposed_at = now
    dispute.escalation_side = side_of(proposed_by, dispute)
    dispute.escalation_reason = reason
    dispute.save()
    audit.record(
        proposed_by,
        AuditEventType.ESCALATION_PROPOSED,
        dispute=dispute,
        obj=dispute,
        before=before,
        after={**_snapshot(dispute), "to_stage": next_stage.number, "reason": reason},
        now=now,
    )
    side = "raising" if dispute.escalation_side_id == dispute.raising_agency_id else "other"
    queue(
        dispute,
        "escalation_proposed",
        next_stage.approver_roles,
        f"{dispute.reference}: escalation to stage {next_stage.number} is waiting for your approval",
        now,
        sides=side,
        exclude=[proposed_by],
        any_of=True,
    )
    _set_off(dispute, (Trigger(Event.ESCALATION_PROPOSED, dispute.current_stage),), now, by=proposed_by)
    return dispute


def _declare_unresolved(dispute: Dispute, now: datetime.datetime | None) -> None:
    """Keep (or, with None, forget) when escalation out of the current stage was proposed: clocks that run from
    a stage failing start there, and the stage's own deadlines end there."""
    dispute.stage_visits.filter(left_at__isnull=True).update(escalation_proposed_at=now)


def _clear_proposal(dispute: Dispute) -> None:
    dispute.escalation_proposed_by = None
    dispute.escalation_proposed_at = None
    dispute.escalation_side = None
    dispute.escalation_reason = ""


@transaction.atomic
def approve_escalation(*, dispute: Dispute, approver, now: datetime.datetime | None = None) -> Dispute:
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(approver, dispute, Command.APPROVE_ESCALATION, now)
    before = _snapshot(dispute)
    proposer, reason, side = dispute.escalation_proposed_by, dispute.escalation_reason, dispute.escalation_side
    _apply(dispute, decision)
    _enter_stage(dispute, decision.enter_stage, proposer or approver, now, approved_by=approver, reason=reason)
    _clear_proposal(dispute)
    dispute.save()
    _ensure_participant(dispute, approver, side if side and side_of(approver, dispute) else None)
    audit.record(
        approver,
        AuditEventType.ESCALATION_APPROVED,
        dispute=dispute,
        obj=dispute,
        before=before,
        after=_snapshot(dispute),
        now=now,
    )
    _set_off(dispute, decision.triggers, now, by=approver)
    return dispute


@transaction.atomic
def decline_escalation(*, dispute: Dispute, approver, reason: str, now: datetime.datetime | None = None) -> Dispute:
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(approver, dispute, Command.DECLINE_ESCALATION, now)
    if not reason.strip():
        raise ActionRefused("Say why the escalation is declined: the person who asked for it will see this.")
    before = _snapshot(dispute)
    proposer, proposed_at = dispute.escalation_proposed_by, dispute.escalation_proposed_at
    _apply(dispute, decision)
    _clear_proposal(dispute)
    dispute.save()
    _declare_unresolved(dispute, None)
    reopen_after_declined_escalation(dispute, proposed_at)
    sync_deadlines(dispute, now)
    audit.record(
        approver,
        AuditEventType.ESCALATION_DECLINED,
        dispute=dispute,
        obj=dispute,
        before=before,
        after={**_snapshot(dispute), "reason": reason},
        now=now,
    )
    if proposer is not None:
        _tell(
            dispute, proposer, "escalation_declined", f"{dispute.reference}: your escalation request was declined", now
        )
    return dispute


def _tell(dispute: Dispute, user, event: str, headline: str, now: datetime.datetime, message: str = "") -> None:
    """Notify one person directly (not by role)."""
    row = Notification.objects.create(
        dispute=dispute,
        recipient=user,
        event=event,
        headline=headline,
        message=message,
        created_at=now,
        email_next_attempt_at=now,
        email_status=Notification.EmailStatus.PENDING if user.email else Notification.EmailStatus.NOT_SENT,
    )
    send_after_commit([row])


@transaction.atomic
def record_resolution(
    *,
    dispute: Dispute,
    recorded_by,
    agreed_outcome: str,
    decided_on: datetime.date,
    outstanding_actions: str = "",
    convened: str = MediationChoice.NEITHER,
    now: datetime.datetime | None = None,
) -> Outcome:
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(recorded_by, dispute, Command.RESOLVE, now)
    if not agreed_outcome.strip():
        raise ActionRefused("Write down the agreed outcome: both agencies will see it.")
    before = _snapshot(dispute)
    _apply(dispute, decision)
    _clear_proposal(dispute)
    dispute.save()
    awaiting = decision.state == DisputeState.AWAITING_CONFIRMATION
    outcome = Outcome.objects.create(
        dispute=dispute,
        stage_number=dispute.current_stage,
        decided_on=decided_on,
        convened=convened,
        agreed_outcome=agreed_outcome,
        outstanding_actions=outstanding_actions,
        recorded_by=recorded_by,
        recorded_at=now,
        **(_confirmation(dispute, decision.side, recorded_by, now) if awaiting else {}),
    )
    if awaiting:
        _ask_for_confirmation(dispute, outcome, decision, before, now)
        return outcome
    return _ended(dispute, outcome, recorded_by, AuditEventType.DISPUTE_RESOLVED, decision, before, now)


def _ended(dispute: Dispute, outcome: Outcome, by, event: AuditEventType, decision: Decision, before, now) -> Outcome:
    """The stage ends with its outcome: the visit is left, the change audited, and the people concerned told."""
    dispute.stage_visits.filter(left_at__isnull=True).update(left_at=now)
    audit.record(by, event, dispute=dispute, obj=outcome, before=before, after=_snapshot(dispute), now=now)
    _announce_resolution(dispute, by, decision, now)
    return outcome


#: The current stage's actors on every side taking part, as a stored recipient.
STAGE_ACTORS = {"kind": "stage_actors", "sides": "both", "basis": None}


def _announce_resolution(dispute: Dispute, by, decision: Decision, now: datetime.datetime) -> None:
    """Tell the people who took part (the raiser, everyone recorded as acting on either side, and the actors on each
    side of the stage it started at and of the stage it ends at) that the dispute is resolved, then what the policy
    attaches to a resolution at the stage. Nobody else in the two agencies is told unless the policy names them."""
    notice = dispute.policy_version.notice("resolved")
    people = {dispute.raised_by_id: dispute.raised_by}
    for participant in dispute.participants.select_related("user"):
        if participant.user is not None:
            people.setdefault(participant.user_id, participant.user)
    first = dispute.stage_visits.order_by("entered_at", "id").values_list("stage_number", flat=True).first()
    for stage in {dispute.current_stage, first if first is not None else dispute.current_stage}:
        for user, _role in people_for(dispute, [STAGE_ACTORS], stage=stage)[0]:
            people.setdefault(user.pk, user)
    reached = set(
        Membership.objects.filter(
            user__in=list(people.values()), agency__in=[dispute.raising_agency_id, dispute.other_agency_id]
        ).values_list("agency_id", flat=True)
    )
    people.pop(getattr(by, "pk", None), None)
    headline = notice.headline_for(dispute.reference)
    message = wording.body(dispute, Event.RESOLVED_AT_STAGE, notice.message)
    for person in people.values():
        if person.is_active:
            _tell(dispute, person, Event.RESOLVED_AT_STAGE, headline, now, message)
    for side, agency_id in (("raising", dispute.raising_agency_id), ("other", dispute.other_agency_id)):
        if agency_id not in reached:  # nobody there took part: its managers hear it, as they heard of the raising
            queue(
                dispute,
                Event.RESOLVED_AT_STAGE,
                [Role.MANAGER, Role.DSL],
                headline,
                now,
                sides=side,
                any_of=True,
                message=message,
                exclude=[by],
            )
    _set_off(dispute, decision.triggers, now, by=by)


@transaction.atomic
def close_dispute(*, dispute: Dispute, closed_by, now: datetime.datetime | None = None) -> Dispute:
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(closed_by, dispute, Command.CLOSE, now)
    before = _snapshot(dispute)
    _apply(dispute, decision)
    dispute.closed_at = now
    dispute.save()
    audit.record(
        closed_by,
        AuditEventType.DISPUTE_CLOSED,
        dispute=dispute,
        obj=dispute,
        before=before,
        after=_snapshot(dispute),
        now=now,
    )
    return dispute


@transaction.atomic
def withdraw_dispute(*, dispute: Dispute, withdrawn_by, reason: str, now: datetime.datetime | None = None) -> Dispute:
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(withdrawn_by, dispute, Command.WITHDRAW, now)
    if not reason.strip():
        raise ActionRefused("Say why the dispute is withdrawn.")
    before = _snapshot(dispute)
    _apply(dispute, decision)
    _clear_proposal(dispute)
    dispute.closed_at = now
    dispute.save()
    dispute.stage_visits.filter(left_at__isnull=True).update(left_at=now)
    audit.record(
        withdrawn_by,
        AuditEventType.DISPUTE_WITHDRAWN,
        dispute=dispute,
        obj=dispute,
        before=before,
        after={**_snapshot(dispute), "reason": reason},
        now=now,
    )
    sync_deadlines(dispute, now)
    notice = dispute.policy_version.notice("withdrawn")
    queue(
        dispute,
        "withdrawn",
        [Role.PRACTITIONER],
        notice.headline_for(dispute.reference),
        now,
        message=notice.message,
        exclude=[withdrawn_by],
    )
    return dispute


@transaction.atomic
def flag_immediate_harm(*, dispute: Dispute, flagged_by, reason: str, now: datetime.datetime | None = None) -> Dispute:
    """Report a risk of immediate harm after the dispute was raised.

    The policy's immediate-harm rules start now: their deadlines open (one that runs from the raising runs from
    this report instead), and the notices and records it attaches to `immediate_harm_flagged` follow.
    """
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(flagged_by, dispute, Command.FLAG_IMMEDIATE_HARM, now)
    if not reason.strip():
        raise ActionRefused("Say what the risk of immediate harm is: both agencies will see this.")
    dispute.immediate_harm = True
    dispute.immediate_harm_flagged_at = now
    dispute.save(update_fields=["immediate_harm", "immediate_harm_flagged_at"])
    _ensure_participant(dispute, flagged_by, side_of(flagged_by, dispute))
    audit.record(
        flagged_by,
        AuditEventType.DISPUTE_IMMEDIATE_HARM_FLAGGED,
        dispute=dispute,
        obj=dispute,
        before={"immediate_harm": False},
        after={**_snapshot(dispute), "immediate_harm": True, "flagged_at": now.isoformat(), "reason": reason},
        now=now,
    )
    _set_off(dispute, decision.triggers, now, by=flagged_by)
    return dispute


@transaction.atomic
def set_manual_deadline(
    *, dispute: Dispute, set_by, due_at: datetime.datetime, now: datetime.datetime | None = None
) -> Deadline:
    """The chair agrees a deadline for a stage whose policy leaves it to them (a final stage the chair times)."""
    now = now or timezone.now()
    dispute = _lock(dispute)
    require(set_by, dispute, Command.SET_MANUAL_DEADLINE, now)
    if due_at <= now:
        raise ActionRefused("The deadline must be in the future.")
    row = dispute.deadlines.filter(closed_at__isnull=True, rule__kind="manual").select_related("rule").first()
    if row is None:
        raise ActionRefused("The current stage has no deadline for the chair to set.")
    before = {"due_at": row.due_at.isoformat() if row.due_at else None}
    row.manual_due_at = due_at
    row.save(update_fields=["manual_due_at"])
    sync_deadlines(dispute, now)
    row.refresh_from_db()
    audit.record(
        set_by,
        AuditEventType.DEADLINE_SET,
        dispute=dispute,
        obj=row,
        before=before,
        after={"due_at": row.due_at.isoformat()},
        now=now,
    )
    return row


# Who decides: binding decisions, resolutions both sides confirm, and moving on a dispute that got no response.


def _side_name(dispute: Dispute, agency_id: int | None) -> str | None:
    if agency_id is None:
        return None
    return "raising" if agency_id == dispute.raising_agency_id else "other"


def _confirmation(dispute: Dispute, agency_id: int | None, user, now: datetime.datetime) -> dict[str, Any]:
    """The Outcome fields that say `agency_id`'s side confirmed the resolution (none for someone of neither)."""
    side = _side_name(dispute, agency_id)
    if side is None:
        return {}
    return {f"{side}_confirmed_by": user, f"{side}_confirmed_at": now}


def _ask_for_confirmation(
    dispute: Dispute, outcome: Outcome, decision: Decision, before: dict[str, Any], now: datetime.datetime
) -> None:
    """A resolution one side recorded: audited, and the current stage's actors on each side still to confirm are
    told (they are also waited on, so it shows in what needs them)."""
    audit.record(
        outcome.recorded_by,
        AuditEventType.RESOLUTION_AWAITING_CONFIRMATION,
        dispute=dispute,
        obj=outcome,
        before=before,
        after={**_snapshot(dispute), "side": _side_name(dispute, decision.side)},
        now=now,
    )
    _ask_sides_to_confirm(dispute, decision, outcome.recorded_by, now)
    sync_deadlines(dispute, now)


def _ask_sides_to_confirm(dispute: Dispute, decision: Decision, by, now: datetime.datetime) -> None:
    pending = {_side_name(dispute, row.agency_id) for row in decision.waiting_on if row.agency_id is not None}
    if not pending:
        return
    queue_recipients(
        dispute,
        "resolution_to_confirm",
        [{"kind": "stage_actors", "sides": pending.pop() if len(pending) == 1 else "both", "basis": None}],
        f"{dispute.reference}: a resolution is waiting for your agency to confirm it",
        now,
        message="Confirm the resolution on the dispute's page, or say that your agency does not agree.",
        exclude=[by],
        stage=dispute.current_stage,
    )


@transaction.atomic
def record_decision(
    *,
    dispute: Dispute,
    recorded_by,
    agreed_outcome: str,
    decided_on: datetime.date,
    outstanding_actions: str = "",
    convened: str = MediationChoice.NEITHER,
    now: datetime.datetime | None = None,
) -> Outcome:
    """The decision-maker of a final and binding stage records its decision: the only way such a stage ends, and
    nobody else's to record, not even a party's (policy-audit §9 item 4). It needs no confirmation."""
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(recorded_by, dispute, Command.RECORD_DECISION, now)
    if not agreed_outcome.strip():
        raise ActionRefused("Write down the decision: both agencies will see it.")
    before = _snapshot(dispute)
    _apply(dispute, decision)
    _clear_proposal(dispute)
    dispute.save()
    outcome = Outcome.objects.create(
        dispute=dispute,
        stage_number=dispute.current_stage,
        decided_on=decided_on,
        convened=convened,
        agreed_outcome=agreed_outcome,
        outstanding_actions=outstanding_actions,
        recorded_by=recorded_by,
        recorded_at=now,
        binding=True,
    )
    return _ended(dispute, outcome, recorded_by, AuditEventType.DECISION_RECORDED, decision, before, now)


@transaction.atomic
def confirm_resolution(*, dispute: Dispute, confirmed_by, now: datetime.datetime | None = None) -> Outcome:
    """The other side confirms a resolution awaiting confirmation; once every side taking part has, it is resolved."""
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(confirmed_by, dispute, Command.CONFIRM_RESOLUTION, now)
    outcome = Outcome.objects.select_for_update().get(dispute=dispute)
    before = _snapshot(dispute)
    confirmation = _confirmation(dispute, decision.side, confirmed_by, now)
    for name, value in confirmation.items():
        setattr(outcome, name, value)
    outcome.save(update_fields=list(confirmation))
    _apply(dispute, decision)
    dispute.save()
    _ensure_participant(dispute, confirmed_by, side_of(confirmed_by, dispute))
    audit.record(
        confirmed_by,
        AuditEventType.RESOLUTION_CONFIRMED,
        dispute=dispute,
        obj=outcome,
        before=before,
        after={**_snapshot(dispute), "side": _side_name(dispute, decision.side)},
        now=now,
    )
    if decision.state == DisputeState.RESOLVED:
        dispute.stage_visits.filter(left_at__isnull=True).update(left_at=now)
        _announce_resolution(dispute, confirmed_by, decision, now)
    else:
        _ask_sides_to_confirm(dispute, decision, confirmed_by, now)
        sync_deadlines(dispute, now)
    return outcome


@transaction.atomic
def reject_resolution(*, dispute: Dispute, rejected_by, reason: str, now: datetime.datetime | None = None) -> Dispute:
    """A side does not agree with a resolution awaiting confirmation: the dispute is back in discussion at the same
    stage. The recorded outcome is removed (its words stay in the audit event), so a new one can be recorded."""
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(rejected_by, dispute, Command.REJECT_RESOLUTION, now)
    if not reason.strip():
        raise ActionRefused("Say why your agency does not agree with the resolution: the other agency will see this.")
    outcome = Outcome.objects.select_for_update().get(dispute=dispute)
    before = {**_snapshot(dispute), "agreed_outcome": outcome.agreed_outcome}
    recorder = outcome.recorded_by
    outcome.delete()
    _apply(dispute, decision)
    dispute.save()
    audit.record(
        rejected_by,
        AuditEventType.RESOLUTION_REJECTED,
        dispute=dispute,
        obj=dispute,
        before=before,
        after={**_snapshot(dispute), "side": _side_name(dispute, decision.side), "reason": reason},
        now=now,
    )
    if recorder.pk != rejected_by.pk:
        headline = f"{dispute.reference}: the resolution you recorded was not agreed"
        _tell(dispute, recorder, "resolution_rejected", headline, now)
    sync_deadlines(dispute, now)
    return dispute


@transaction.atomic
def escalate_no_response(
    *, dispute: Dispute, escalated_by, reason: str = "", now: datetime.datetime | None = None
) -> Dispute:
    """Move a dispute that got no response to the next stage, without approval: open to whoever a breached deadline
    rule names in `escalate_on_breach` (a business manager who "will escalate matters accordingly", policy-audit §9
    item 7)."""
    now = now or timezone.now()
    dispute = _lock(dispute)
    decision = require(escalated_by, dispute, Command.ESCALATE_NO_RESPONSE, now)
    breached = dispute.deadlines.filter(closed_at__isnull=True, breached_at__isnull=False).select_related("rule")
    rules = sorted(row.rule.name for row in breached if row.rule.escalate_on_breach)
    note = reason.strip()
    before = _snapshot(dispute)
    _apply(dispute, decision)
    _enter_stage(
        dispute,
        decision.enter_stage,
        escalated_by,
        now,
        reason=f"No response in time: {note}" if note else "No response in time.",
    )
    _clear_proposal(dispute)
    dispute.save()
    audit.record(
        escalated_by,
        AuditEventType.DISPUTE_ESCALATED_NO_RESPONSE,
        dispute=dispute,
        obj=dispute,
        before=before,
        after={**_snapshot(dispute), "rules": rules, "reason": note},
        now=now,
    )
    _set_off(dispute, decision.triggers, now, by=escalated_by)
    return dispute
