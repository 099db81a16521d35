"""What a policy's notification says: a headline and a body in plain English for each event.

"REF-2026-0001: escalation to stage 2 approved (Manager to manager)", never "stage entered (stage 2)". The body
says what happens next and by when, in the words of `policies.time_words`. Both may go by e-mail, so neither
carries personal data: the reference, the stage and the deadline, nothing about the child, the adult or the
workers; the details are behind sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policies import time_words
from policies.loading import rules_of
from policies.vocabulary import Event

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def stage_named(dispute: Dispute, number: int) -> str:
    """'stage 2 (Manager to manager)'."""
    stage = rules_of(dispute.policy_version).stage(number)
    return f"stage {number} ({stage.name})" if stage is not None else f"stage {number}"


def _how_entered(dispute: Dispute, number: int) -> str:
    """How the dispute came to the stage: approved, moved with nobody's approval, or raised there."""
    visits = list(dispute.stage_visits.order_by("entered_at", "id").values_list("stage_number", "approved_by_id"))
    if len(visits) <= 1:
        return f"raised at {stage_named(dispute, number)}"
    stage, approved_by = visits[-1]
    if stage == number and approved_by is not None:
        return f"escalation to {stage_named(dispute, number)} approved"
    return f"moved to {stage_named(dispute, number)}"


def headline(dispute: Dispute, event: str, stage_number: int) -> str:
    """The line people see first, after the dispute's reference."""
    match event:
        case Event.RAISED:
            what = f"a professional disagreement has been raised at {stage_named(dispute, stage_number)}"
        case Event.STAGE_ENTERED:
            what = _how_entered(dispute, stage_number)
        case Event.STAGE_REACHED if stage_number < dispute.current_stage:
            what = (
                f"the dispute has passed {stage_named(dispute, stage_number)} and is at stage {dispute.current_stage}"
            )
        case Event.STAGE_REACHED:
            what = f"the dispute has reached {stage_named(dispute, stage_number)}"
        case Event.ESCALATION_PROPOSED:
            following = rules_of(dispute.policy_version).next_stage(stage_number)
            target = stage_named(dispute, following.number) if following else "the next stage"
            what = f"escalation to {target} proposed and waiting for approval"
        case Event.RESOLVED_AT_STAGE:
            what = f"resolved at {stage_named(dispute, stage_number)}"
        case Event.IMMEDIATE_HARM_FLAGGED:
            what = "a risk of immediate harm has been reported"
        case _:
            what = f"there is an update at {stage_named(dispute, stage_number)}"
    return f"{dispute.reference}: {what}"


def next_deadline_sentence(dispute: Dispute) -> str:
    """'The next deadline is 5pm on Wednesday 4 March 2026 (Stage 2: within 5 working days).', or ''."""
    row = (
        dispute.deadlines.filter(closed_at__isnull=True, paused_at__isnull=True, due_at__isnull=False)
        .select_related("rule")
        .order_by("due_at", "pk")
        .first()
    )
    if row is None:
        return ""
    return f"The next deadline is {time_words.moment(row.due_at)} ({row.rule.label})."


def body(dispute: Dispute, event: str, policy_message: str = "") -> str:
    """The policy's own message where it gives one, then what happens next."""
    parts = [policy_message.strip()] if policy_message.strip() else []
    if event in (Event.RESOLVED_AT_STAGE,):
        parts.append("Open the dispute to read the agreed outcome.")
    else:
        parts.append("Open the dispute to see whose move it is and by when.")
        deadline = next_deadline_sentence(dispute)
        if deadline:
            parts.append(deadline)
    return " ".join(parts)
