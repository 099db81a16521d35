import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from agencies.models import PARTNERSHIP_ROLES, Agency, Office, OfficeHolder, Role, Sector
from escalation.disputes import services
from escalation.disputes.models import Dispute, Outcome
from escalation.disputes.permissions import actor_of, decision, snapshot_of
from policies.runtime import Command
from policies.vocabulary import DisputeState
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory, member, seed_policy

LONDON = ZoneInfo("Europe/London")


def policy_text_reads(queries) -> list[str]:
    """The captured queries (`CaptureQueriesContext`) that read a policy version's stored text, the whole policy as
    loaded: lists of disputes should not."""
    return [query["sql"] for query in queries if '"policies_policyversion"."document"' in query["sql"]]


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@dataclass
class World:
    """One partnership on a seed policy, with the people a dispute involves.

    The helpers below walk a dispute the way its policy requires, asking the runtime
    (`escalation.disputes.permissions`) who may act rather than naming people per policy: `approver_for`, `escalate`,
    `escalate_to`, `speaker`, `resolve` and `close`. Offices (`holder`) are held only when asked for, by
    `build_world(..., offices=True)` or the first time a helper needs one (a binding stage's decision-maker), so
    the tests of what happens when nobody holds an office keep that world.
    """

    partnership: object
    school: Agency
    social_care: Agency
    bystander: Agency
    office: Agency
    teacher: object
    head: object
    senior: object
    director: object
    social_worker: object
    team_manager: object
    service_manager: object
    sc_director: object
    outsider: object
    business_manager: object
    chair: object
    admin: object
    prefix: str = "TST"
    #: Who holds each office the world has been asked for, by office.
    holders: dict[str, object] = field(default_factory=dict)

    def raise_dispute(self, now=None, **overrides):
        fields = {
            "raised_by": self.teacher,
            "raising_agency": self.school,
            "other_agency": self.social_care,
            "subject": {"kind": "child", "name": "Child A", "date_of_birth": datetime.date(2015, 3, 1)},
            "category": "levels_of_need",
            "description": "The referral was closed with no assessment although the child disclosed harm.",
            "now": now or london(2026, 3, 2, 10, 0),
        }
        fields.update(overrides)
        return services.raise_dispute(**fields)

    # Offices -------------------------------------------------------------------------------------------------

    def holder(self, office: str):
        """The person holding `office` in the partnership (someone outside its agencies), appointed if nobody is."""
        if office not in self.holders:
            existing = OfficeHolder.objects.filter(partnership=self.partnership, office=office).order_by("pk").first()
            if existing is not None:
                self.holders[office] = existing.user
            else:
                user = UserFactory(username=f"{self.prefix.lower()}-{office.replace('_', '-')}")
                OfficeHolder.objects.create(partnership=self.partnership, office=office, user=user)
                self.holders[office] = user
        return self.holders[office]

    def hold_offices(self, offices: Iterable[str] = Office.values) -> None:
        for office in offices:
            self.holder(office)

    # Who may act ---------------------------------------------------------------------------------------------

    def people_of(self, agency_id: int | None) -> list:
        """Everyone with a role in one agency, in the order they were added."""
        return list(get_user_model().objects.filter(memberships__agency_id=agency_id).distinct().order_by("pk"))

    def partnership_staff(self) -> list:
        staff = get_user_model().objects.filter(
            memberships__agency__partnership=self.partnership, memberships__role__in=PARTNERSHIP_ROLES
        )
        return list(staff.distinct().order_by("pk"))

    def office_holders(self) -> list:
        holdings = OfficeHolder.objects.filter(partnership=self.partnership).select_related("user").order_by("pk")
        return list(dict.fromkeys(holding.user for holding in holdings))

    def everyone(self, dispute: Dispute) -> list:
        """The dispute's two agencies (raising side first), then the partnership's staff, then office holders."""
        people = [
            *self.people_of(dispute.raising_agency_id),
            *self.people_of(dispute.other_agency_id),
            *self.partnership_staff(),
            *self.office_holders(),
        ]
        return list(dict.fromkeys(people))

    def stage_actors_first(self, dispute: Dispute, people: list) -> list:
        """`people`, those holding a role the current stage names for their side first (a stable order)."""
        stage = snapshot_of(dispute).stage
        if stage is None:
            return people
        sides = {"raising": dispute.raising_agency_id, "other": dispute.other_agency_id}

        def acts_here(user) -> bool:
            actor = actor_of(user, dispute)
            return any(set(stage.actors_for(side)) & actor.roles_in(agency) for side, agency in sides.items())

        return sorted(people, key=lambda user: not acts_here(user))

    def first_allowed(self, dispute: Dispute, command: str, people: list | None = None):
        """The first of `people` (everyone, by default) the runtime lets carry out `command` on the dispute now."""
        for user in self.everyone(dispute) if people is None else people:
            if decision(user, dispute, command).allowed:
                return user
        raise AssertionError(
            f"nobody in this world may {command} {dispute.reference} at stage {dispute.current_stage} ({dispute.state})"
        )

    def approver_for(self, dispute: Dispute):
        """Someone on the escalating side, or in the partnership, holding one of the next stage's approver roles:
        not the proposer where someone else can."""
        dispute.refresh_from_db()
        side = dispute.escalation_side_id or dispute.raising_agency_id
        people = [*self.people_of(side), *self.partnership_staff(), *self.office_holders()]
        people.sort(key=lambda user: user.pk == dispute.escalation_proposed_by_id)
        return self.first_allowed(dispute, Command.APPROVE_ESCALATION, people)

    def speaker(self, dispute: Dispute, side: str = "raising"):
        """Someone on `side` who acts at the current stage (the other side at a setting's internal stage)."""
        dispute.refresh_from_db()
        agencies = {"raising": dispute.raising_agency_id, "other": dispute.other_agency_id}
        stage = snapshot_of(dispute).stage
        if stage is not None and not stage.takes_part(side):
            side = stage.sides
        people = self.stage_actors_first(dispute, self.people_of(agencies[side]))
        return self.first_allowed(dispute, Command.ADD_ENTRY, people)

    # Walking a dispute -----------------------------------------------------------------------------------------

    def escalate(
        self,
        dispute: Dispute,
        now: datetime.datetime,
        *,
        by=None,
        reason: str = "Still not resolved.",
        approved_at=None,
    ) -> Dispute:
        """Propose the next stage (by the raiser where the policy lets them) and, where entry needs approval,
        approve it by `approver_for`; returns the dispute, refreshed."""
        dispute.refresh_from_db()
        if by is None:
            people = [dispute.raised_by, *self.stage_actors_first(dispute, self.everyone(dispute))]
            by = self.first_allowed(dispute, Command.PROPOSE_ESCALATION, people)
        services.propose_escalation(dispute=dispute, proposed_by=by, reason=reason, now=now)
        dispute.refresh_from_db()
        if dispute.state == DisputeState.AWAITING_APPROVAL:
            services.approve_escalation(dispute=dispute, approver=self.approver_for(dispute), now=approved_at or now)
            dispute.refresh_from_db()
        return dispute

    def escalate_to(
        self, dispute: Dispute, stage: int, now: datetime.datetime, step=datetime.timedelta(days=1)
    ) -> datetime.datetime:
        """Escalate a day at a time until the dispute is at `stage`; returns the time of the last step."""
        dispute.refresh_from_db()
        while dispute.current_stage < stage:
            now += step
            self.escalate(dispute, now)
        return now

    def resolve(
        self,
        dispute: Dispute,
        now: datetime.datetime,
        *,
        by=None,
        agreed_outcome: str = "An assessment will start this week.",
        decided_on: datetime.date | None = None,
        confirm: bool = True,
        **fields,
    ) -> Outcome:
        """End the current stage as its policy says: at a final and binding stage its decision-maker records the
        decision; elsewhere someone allowed records the resolution and, where the stage asks both sides to
        confirm it (and `confirm`), the other side confirms it. `by` names who records it."""
        dispute.refresh_from_db()
        stage = snapshot_of(dispute).stage
        record = {
            "dispute": dispute,
            "agreed_outcome": agreed_outcome,
            "decided_on": decided_on or now.date(),
            "now": now,
            **fields,
        }
        if stage is not None and stage.binding:
            self.hold_offices(maker.office for maker in stage.decision_makers if maker.office)
            maker = by or self.first_allowed(dispute, Command.RECORD_DECISION)
            outcome = services.record_decision(recorded_by=maker, **record)
            dispute.refresh_from_db()
            return outcome
        if stage is not None:
            self.hold_offices(name for name in stage.outcome_roles if name in Office.values)
        recorder = by or self.first_allowed(
            dispute, Command.RESOLVE, [dispute.raised_by, *self.stage_actors_first(dispute, self.everyone(dispute))]
        )
        outcome = services.record_resolution(recorded_by=recorder, **record)
        dispute.refresh_from_db()
        while confirm and dispute.state == DisputeState.AWAITING_CONFIRMATION:
            self.confirm(dispute, now)
        outcome.refresh_from_db()
        return outcome

    def confirm(self, dispute: Dispute, now: datetime.datetime, *, by=None) -> Outcome:
        """A side still to confirm the resolution awaiting confirmation confirms it (its stage actors first)."""
        dispute.refresh_from_db()
        people = self.stage_actors_first(dispute, self.everyone(dispute))
        confirmer = by or self.first_allowed(dispute, Command.CONFIRM_RESOLUTION, people)
        outcome = services.confirm_resolution(dispute=dispute, confirmed_by=confirmer, now=now)
        dispute.refresh_from_db()
        return outcome

    def close(self, dispute: Dispute, now: datetime.datetime, *, by=None, resolved_at=None) -> Dispute:
        """Close the dispute (by the business manager unless `by`), resolving it first (at `resolved_at`, default
        `now`) if it is still open."""
        dispute.refresh_from_db()
        if dispute.is_open:
            self.resolve(dispute, resolved_at or now)
        services.close_dispute(dispute=dispute, closed_by=by or self.business_manager, now=now)
        dispute.refresh_from_db()
        return dispute


def build_world(policy_slug: str, prefix: str = "TST", nation: str = "ENG", *, offices: bool = False) -> World:
    """A partnership with a school, children's social care, a bystanding agency and its partnership team.

    `offices`: someone outside the agencies holds every partnership office (else nobody does until a helper
    needs one)."""
    partnership = PartnershipFactory(
        policy=seed_policy(policy_slug), reference_prefix=prefix, nation=nation, name=f"{prefix} partnership"
    )
    school = AgencyFactory(partnership=partnership, name=f"{prefix} Primary School", sector=Sector.EDUCATION)
    social_care = AgencyFactory(
        partnership=partnership, name=f"{prefix} Children's Services", sector=Sector.CHILDRENS_SOCIAL_CARE
    )
    bystander = AgencyFactory(partnership=partnership, name=f"{prefix} Police", sector=Sector.POLICE)
    office = AgencyFactory(partnership=partnership, name=f"{prefix} Partnership team", sector=Sector.PARTNERSHIP)
    p = prefix.lower()
    world = World(
        partnership=partnership,
        school=school,
        social_care=social_care,
        bystander=bystander,
        office=office,
        teacher=member(school, Role.PRACTITIONER, username=f"{p}-teacher"),
        head=member(school, Role.MANAGER, Role.DSL, username=f"{p}-head"),
        senior=member(school, Role.SENIOR_MANAGER, username=f"{p}-senior"),
        director=member(school, Role.DIRECTOR, username=f"{p}-director"),
        social_worker=member(social_care, Role.PRACTITIONER, username=f"{p}-sw"),
        team_manager=member(social_care, Role.MANAGER, username=f"{p}-tm"),
        service_manager=member(social_care, Role.SENIOR_MANAGER, username=f"{p}-sm"),
        sc_director=member(social_care, Role.DIRECTOR, username=f"{p}-scd"),
        outsider=member(bystander, Role.PRACTITIONER, Role.MANAGER, username=f"{p}-police"),
        business_manager=member(office, Role.BUSINESS_MANAGER, username=f"{p}-bm"),
        chair=member(office, Role.CHAIR, username=f"{p}-chair"),
        admin=member(office, Role.ADMIN, username=f"{p}-admin"),
        prefix=prefix,
    )
    if offices:
        world.hold_offices()
    return world


@pytest.fixture
def bcssp(db) -> World:
    return build_world("bcssp", "BCSSP")


@pytest.fixture
def tscp(db) -> World:
    return build_world("tscp", "TSCP")


@pytest.fixture
def world_for(db):
    return build_world


# Redis, Celery worker and beat, and an SMTP catcher, for the tests marked `services`.
from tests.fixtures_services import *  # noqa: E402,F401,F403
