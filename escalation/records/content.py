"""What a written record says, gathered from the dispute for the record templates.

Only reads. The caller has already decided that whoever gets the record may see the dispute. Text typed by
users is passed through as plain strings: the templates escape it (Django autoescape), nothing here marks
anything safe.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist

from policies.basis import stage_basis_line
from policies.calendar import LONDON
from policies.vocabulary import OPEN_STATES, DisputeState, MediationChoice

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute, Outcome, RecordEntry, StageVisit


@dataclass(frozen=True)
class AsAt:
    """A past moment a stored record describes: what had been written by then, the state and stage then.

    Rows written after `moment` are left out. The dispute row holds only its present state and stage, so the
    ones at the moment are kept with the snapshot when its requirement is met.
    """

    moment: datetime.datetime
    state: str
    stage_number: int

    def includes(self, written_at: datetime.datetime | None) -> bool:
        return written_at is not None and written_at <= self.moment


@dataclass(frozen=True)
class Worker:
    """A row of "agencies and workers involved"."""

    name: str
    designation: str
    agency: str
    contact_details: str


@dataclass(frozen=True)
class Attempt:
    """One recorded attempt to resolve the disagreement at a stage."""

    occurred_on: datetime.date
    kind: str
    text: str
    author: str
    agency: str


NUMBER_WORDS = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]


def number_word(number: int | None) -> str:
    """The word for a stage number, for forms that name stages in words ("Stage Three"); digits beyond ten."""
    if number is None:
        return ""
    return NUMBER_WORDS[number] if 0 <= number < len(NUMBER_WORDS) else str(number)


class StageStatus:
    REFERRED = "referred"
    RESOLVED = "resolved"
    CURRENT = "current"
    WITHDRAWN = "withdrawn"
    ENDED = "ended"


@dataclass(frozen=True)
class StageRecord:
    """One stage the dispute reached: what was tried, how it ended, and when it went on to the next stage."""

    number: int
    name: str
    raising_side: str
    other_side: str
    entered_at: datetime.datetime
    attempts: list[Attempt]
    status: str
    referred_at: datetime.datetime | None = None
    referred_to: int | None = None
    referred_to_name: str = ""
    referral_reason: str = ""
    referral_approved_by: str = ""
    agreed_outcome: str = ""
    left_at: datetime.datetime | None = None
    #: Where the stage comes from, briefly: named by the policy, a reading, or the partnership's addition.
    basis_line: str = ""

    @property
    def number_word(self) -> str:
        return number_word(self.number)

    @property
    def attempt_dates(self) -> list[datetime.date]:
        """The different days on which something was tried, in order."""
        return sorted({attempt.occurred_on for attempt in self.attempts})

    @property
    def referred_to_word(self) -> str:
        return number_word(self.referred_to)


@dataclass(frozen=True)
class FinalOutcome:
    decided_on: datetime.date
    stage_number: int
    convened: str
    convened_label: str
    agreed_outcome: str
    outstanding_actions: str
    recorded_by: str

    @property
    def stage_number_word(self) -> str:
        return number_word(self.stage_number)

    @property
    def mediation_or_panel(self) -> bool:
        return self.convened != MediationChoice.NEITHER


@dataclass(frozen=True)
class RecordContent:
    reference: str
    form: str
    form_title: str
    partnership: str
    policy: str
    policy_version: str
    produced_at: datetime.datetime
    raised_at: datetime.datetime
    raised_by: str
    raising_agency: str
    other_agency: str
    subject_kind: str
    subject_name: str
    date_of_birth: datetime.date | None
    address: str
    category: str
    description: str
    attempts_so_far: str
    immediate_harm: bool
    state: str
    stage_number: int
    withdrawn: bool
    workers: list[Worker] = field(default_factory=list)
    stages: list[StageRecord] = field(default_factory=list)
    outcome: FinalOutcome | None = None
    closed_at: datetime.datetime | None = None
    concern_outset: datetime.date | None = None

    @property
    def original_disagreement_on(self) -> datetime.date:
        """When the disagreement began: the day the raiser says the concern was first considered, else the day
        the dispute was raised."""
        return self.concern_outset or self.raised_at.date()


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _london(moment: datetime.datetime | None) -> datetime.datetime | None:
    return moment.astimezone(LONDON) if moment else None


def _workers(dispute: Dispute, as_at: AsAt | None) -> list[Worker]:
    """The people on each side, raising agency first; an agency nobody has spoken for yet still appears.

    A participant has no time of joining, only a stage: those who joined at a later stage than `as_at` are left out.
    """
    participants = list(dispute.participants.select_related("agency"))
    if as_at is not None:
        participants = [p for p in participants if p.joined_at_stage <= as_at.stage_number]
    rows: list[Worker] = []
    for agency in (dispute.raising_agency, dispute.other_agency):
        theirs = [p for p in participants if p.agency_id == agency.pk]
        if not theirs:
            rows.append(Worker("No named worker recorded yet", "", agency.name, agency.contact_details))
        rows += [Worker(p.name, p.designation, agency.name, p.contact_details) for p in theirs]
    party_ids = {dispute.raising_agency_id, dispute.other_agency_id}
    rows += [
        Worker(p.name, p.designation, p.agency.name, p.contact_details)
        for p in participants
        if p.agency_id not in party_ids
    ]
    return rows


def _visit_for(entry: RecordEntry, visits: list[StageVisit]) -> StageVisit | None:
    """The visit to the entry's stage that it was written during (the latest one entered before it).

    An entry whose stage has no visit (not made by the services) goes with the visit it was written in, so
    that nothing recorded is left out of the record.
    """
    same_stage = [v for v in visits if v.stage_number == entry.stage_number] or visits
    earlier = [v for v in same_stage if v.entered_at <= entry.created_at]
    if earlier:
        return earlier[-1]
    return same_stage[0] if same_stage else None


def _stages(dispute: Dispute, outcome: Outcome | None, state: str, as_at: AsAt | None) -> list[StageRecord]:
    visits = list(dispute.stage_visits.select_related("approved_by").order_by("entered_at", "id"))
    policy_stages = {stage.number: stage for stage in dispute.policy_version.stages.all()}
    entries = list(
        dispute.record_entries.select_related("author", "agency").order_by("occurred_on", "created_at", "id")
    )
    if as_at is not None:
        visits = [visit for visit in visits if as_at.includes(visit.entered_at)]
        for visit in visits:
            if visit.left_at is not None and not as_at.includes(visit.left_at):
                visit.left_at = None
        entries = [entry for entry in entries if as_at.includes(entry.created_at)]
    attempts: dict[int, list[Attempt]] = {visit.pk: [] for visit in visits}
    for entry in entries:
        visit = _visit_for(entry, visits)
        if visit is not None:
            attempts[visit.pk].append(
                Attempt(entry.occurred_on, entry.get_kind_display(), entry.text, _name(entry.author), entry.agency.name)
            )
    records: list[StageRecord] = []
    for index, visit in enumerate(visits):
        stage = policy_stages.get(visit.stage_number)
        common = {
            "number": visit.stage_number,
            "name": stage.name if stage else "",
            "raising_side": stage.raising_side if stage else "",
            "other_side": stage.other_side if stage else "",
            "entered_at": _london(visit.entered_at),
            "attempts": attempts[visit.pk],
            "left_at": _london(visit.left_at),
            "basis_line": stage_basis_line(stage.basis) if stage else "",
        }
        following = visits[index + 1] if index + 1 < len(visits) else None
        if following is not None:
            next_stage = policy_stages.get(following.stage_number)
            records.append(
                StageRecord(
                    **common,
                    status=StageStatus.REFERRED,
                    referred_at=_london(following.entered_at),
                    referred_to=following.stage_number,
                    referred_to_name=next_stage.name if next_stage else "",
                    referral_reason=following.reason,
                    referral_approved_by=_name(following.approved_by),
                )
            )
        elif outcome is not None and outcome.stage_number == visit.stage_number:
            records.append(StageRecord(**common, status=StageStatus.RESOLVED, agreed_outcome=outcome.agreed_outcome))
        elif state == DisputeState.WITHDRAWN:
            records.append(StageRecord(**common, status=StageStatus.WITHDRAWN))
        elif state in OPEN_STATES:
            records.append(StageRecord(**common, status=StageStatus.CURRENT))
        else:
            records.append(StageRecord(**common, status=StageStatus.ENDED))
    return records


def _outcome(dispute: Dispute, as_at: AsAt | None) -> Outcome | None:
    try:
        outcome = dispute.outcome
    except ObjectDoesNotExist:
        return None
    if as_at is not None and not as_at.includes(outcome.recorded_at):
        return None
    return outcome


def build_record(dispute: Dispute, *, form: str, now: datetime.datetime, as_at: AsAt | None = None) -> RecordContent:
    """Everything the record of `dispute` shows, produced at `now`; times in Europe/London.

    Without `as_at` the record is of the dispute as it stands; with it, of the dispute as it was at that moment
    (a stored snapshot, drawn after the change that asked for it).
    """
    outcome = _outcome(dispute, as_at)
    state = as_at.state if as_at is not None else dispute.state
    closed_at = dispute.closed_at
    if as_at is not None and not as_at.includes(closed_at):
        closed_at = None
    subject = dispute.subject
    version = dispute.policy_version
    final = None
    if outcome is not None:
        final = FinalOutcome(
            decided_on=outcome.decided_on,
            stage_number=outcome.stage_number,
            convened=outcome.convened,
            convened_label=outcome.get_convened_display(),
            agreed_outcome=outcome.agreed_outcome,
            outstanding_actions=outcome.outstanding_actions,
            recorded_by=_name(outcome.recorded_by),
        )
    return RecordContent(
        reference=dispute.reference,
        form=form,
        form_title=version.form_title(form),
        partnership=dispute.partnership.name,
        policy=version.policy.name,
        policy_version=version.label or f"version {version.number}",
        produced_at=_london(now),
        raised_at=_london(dispute.raised_at),
        raised_by=_name(dispute.raised_by),
        raising_agency=dispute.raising_agency.name,
        other_agency=dispute.other_agency.name,
        subject_kind=subject.get_kind_display(),
        subject_name=subject.name,
        date_of_birth=subject.date_of_birth,
        address=subject.address,
        category=version.category_label(dispute.category),
        description=dispute.description,
        attempts_so_far=dispute.attempts_so_far,
        immediate_harm=dispute.immediate_harm,
        state=DisputeState(state).label,
        stage_number=as_at.stage_number if as_at is not None else dispute.current_stage,
        withdrawn=state == DisputeState.WITHDRAWN,
        workers=_workers(dispute, as_at),
        stages=_stages(dispute, outcome, state, as_at),
        outcome=final,
        closed_at=_london(closed_at),
        concern_outset=dispute.concern_outset,
    )
