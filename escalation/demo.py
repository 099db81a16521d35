"""Demo partnerships, people and disputes for `make run`. Never used in production.

Every dispute is walked as its policy requires: each escalation is approved by someone holding one of the next
stage's approver roles, a resolution a stage asks both sides to confirm is confirmed by the other side (or left
waiting for it), and a final and binding stage ends in its decision-maker's decision. Who acts is asked of the
policy runtime (`escalation.disputes.permissions`), not written down per policy.
"""

import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, ClosureDay, Membership, Nation, Office, Partnership, Role, Sector
from escalation.access.services import add_office_holder
from escalation.disputes import services
from escalation.disputes.models import Dispute
from escalation.disputes.permissions import actor_of, decision, snapshot_of
from policies.models import Policy
from policies.runtime import Command
from policies.vocabulary import DisputeState

DEMO_PASSWORD = "demo-escalation-2026"  # noqa: S105 - printed for the local demo only

PARTNERSHIPS = [
    {
        "slug": "bath-ne-somerset",
        "name": "Bath & North East Somerset Community Safety and Safeguarding Partnership",
        "prefix": "BCSSP",
        "policy": "bcssp",
        "urgent": "If a child or adult is at immediate risk, call 999. Children's social care front door: "
        "01225 000 000 (demo number). Out of hours: Emergency Duty Team 01454 000 000 (demo number).",
    },
    {
        "slug": "torbay",
        "name": "Torbay Safeguarding Children Partnership",
        "prefix": "TSCP",
        "policy": "tscp",
        "urgent": "If a child is at immediate risk, call 999. Torbay MASH: 01803 000 000 (demo number).",
    },
]

AGENCIES = [
    ("school", "Oakfield Primary School", Sector.EDUCATION, False),
    ("nursery", "Little Acorns Nursery", Sector.EARLY_YEARS, False),
    ("health", "Community Health Visiting Service", Sector.HEALTH, True),
    ("police", "Police Public Protection Unit", Sector.POLICE, False),
    ("csc", "Children's Social Care", Sector.CHILDRENS_SOCIAL_CARE, False),
    ("asc", "Adult Social Care", Sector.ADULT_SOCIAL_CARE, False),
    ("voluntary", "Family Support Charity", Sector.VOLUNTARY, False),
    ("office", "Partnership Business Unit", Sector.PARTNERSHIP, False),
]

#: (username suffix, agency key, roles, full name, designation)
PEOPLE = [
    ("teacher", "school", [Role.PRACTITIONER], "Priya Shah", "Class teacher"),
    ("dsl", "school", [Role.PRACTITIONER, Role.MANAGER, Role.DSL], "Tom Evans", "Designated safeguarding lead"),
    ("head", "school", [Role.SENIOR_MANAGER], "Helen Brook", "Head teacher"),
    ("trust", "school", [Role.DIRECTOR, Role.NOMINATED_REPRESENTATIVE], "Rachel Adams", "Trust chief executive"),
    ("eyp", "nursery", [Role.PRACTITIONER], "Amy Wood", "Early years practitioner"),
    ("nursery", "nursery", [Role.PRACTITIONER, Role.MANAGER, Role.DSL], "Jo Carter", "Nursery manager"),
    ("hv", "health", [Role.PRACTITIONER], "Sam Okafor", "Health visitor"),
    ("hvlead", "health", [Role.MANAGER, Role.DESIGNATED_NURSE], "Ruth Green", "Safeguarding lead nurse"),
    ("police", "police", [Role.PRACTITIONER], "Dan Price", "Detective constable"),
    ("hsafe", "health", [Role.SENIOR_MANAGER], "Grace Patel", "Head of safeguarding, community health"),
    ("hdir", "health", [Role.DIRECTOR, Role.NOMINATED_REPRESENTATIVE], "Anita Rao", "Director of nursing"),
    ("dsgt", "police", [Role.MANAGER, Role.SENIOR_MANAGER], "Nia Roberts", "Detective sergeant"),
    ("dsupt", "police", [Role.DIRECTOR, Role.NOMINATED_REPRESENTATIVE], "Mark Daly", "Detective superintendent"),
    ("sw", "csc", [Role.PRACTITIONER], "Alex Morgan", "Social worker"),
    ("tm", "csc", [Role.MANAGER], "Chris Lee", "Team manager"),
    ("hos", "csc", [Role.SENIOR_MANAGER], "Pat Hughes", "Head of service"),
    ("ad", "csc", [Role.DIRECTOR, Role.NOMINATED_REPRESENTATIVE], "Morgan Ellis", "Assistant director"),
    ("asw", "asc", [Role.PRACTITIONER, Role.MANAGER], "Kim Walsh", "Senior practitioner"),
    ("bm", "office", [Role.BUSINESS_MANAGER], "Lee Turner", "Partnership business manager"),
    ("chair", "office", [Role.CHAIR], "Sandra Fox", "Partnership chair"),
    ("admin", "office", [Role.ADMIN], "Ian Rowe", "Partnership administrator"),
]

#: (username suffix, office, full name, designation): the partnership's offices, each held by someone outside the
#: agencies above; a policy names them (the independent chair who decides at BCSSP stage 4, the designated nurse
#: told of a health agency's dispute, ...).
OFFICE_PEOPLE = [
    ("ic", Office.INDEPENDENT_CHAIR, "Margaret Osei", "Independent chair and panel convenor"),
    ("cpchair", Office.CP_CHAIR, "Rhys Bowen", "Child protection chair"),
    ("iro", Office.IRO, "Aisha Khan", "Independent reviewing officer"),
    ("nurse", Office.DESIGNATED_NURSE, "Claire Dunn", "Designated nurse for safeguarding children"),
    ("dcs", Office.DIRECTOR_CHILDRENS_SERVICES, "Owen Hart", "Director of children's services"),
    ("dasc", Office.DIRECTOR_ADULT_SOCIAL_CARE, "Beth Lyons", "Director of adult social care"),
]


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, password, who) for each demo user."""
    return [(row.username, DEMO_PASSWORD, f"{row.designation}, {row.prefix}") for row in demo_sign_ins()]


class DemoSignIn(NamedTuple):
    prefix: str
    partnership: str
    group: str
    username: str
    name: str
    designation: str


#: The heading each demo person is listed under in `make run`, by the most senior role they hold.
SIGN_IN_GROUPS = [
    ({Role.ADMIN, Role.BUSINESS_MANAGER, Role.CHAIR}, "Partnership business unit"),
    ({Role.DIRECTOR, Role.NOMINATED_REPRESENTATIVE}, "Directors"),
    ({Role.SENIOR_MANAGER}, "Senior managers"),
    ({Role.MANAGER, Role.DSL, Role.DESIGNATED_NURSE}, "Managers and safeguarding leads"),
    ({Role.PRACTITIONER}, "Practitioners"),
]
OFFICE_GROUP = "Office holders (outside the agencies)"


def _group_of(roles) -> str:
    return next((label for held, label in SIGN_IN_GROUPS if held & set(roles)), OFFICE_GROUP)


def demo_sign_ins() -> list[DemoSignIn]:
    """Each demo person who exists, by partnership and then role group, for the start-up lines of `make run`."""
    existing = set(get_user_model().objects.filter(username__in=_demo_usernames()).values_list("username", flat=True))
    order = [label for _, label in SIGN_IN_GROUPS] + [OFFICE_GROUP]
    specs = [(suffix, roles, name, designation) for suffix, _agency, roles, name, designation in PEOPLE]
    specs += [(suffix, [], name, designation) for suffix, _office, name, designation in OFFICE_PEOPLE]
    rows = []
    for spec in PARTNERSHIPS:
        rows += sorted(
            (
                DemoSignIn(spec["prefix"], spec["name"], _group_of(roles), username, name, designation)
                for suffix, roles, name, designation in specs
                if (username := f"{spec['prefix'].lower()}-{suffix}") in existing
            ),
            key=lambda row: order.index(row.group),
        )
    return rows


def _demo_usernames() -> list[str]:
    suffixes = [person[0] for person in PEOPLE + OFFICE_PEOPLE]
    return [f"{spec['prefix'].lower()}-{suffix}" for spec in PARTNERSHIPS for suffix in suffixes]


@transaction.atomic
def load_demo(now: datetime.datetime | None = None) -> dict[str, int]:
    """Create the demo once; running it again changes nothing."""
    now = now or timezone.now()
    created = 0
    for spec in PARTNERSHIPS:
        if Partnership.objects.filter(slug=spec["slug"]).exists():
            continue
        partnership = Partnership.objects.create(
            slug=spec["slug"],
            name=spec["name"],
            reference_prefix=spec["prefix"],
            nation=Nation.ENGLAND_AND_WALES,
            policy=Policy.objects.get(slug=spec["policy"]),
            urgent_contacts=spec["urgent"],
        )
        ClosureDay.objects.create(partnership=partnership, date=datetime.date(2026, 12, 24), reason="Christmas Eve")
        agencies = {
            key: Agency.objects.create(partnership=partnership, name=name, sector=sector, is_health=health)
            for key, name, sector, health in AGENCIES
        }
        people = {
            suffix: _person(spec["prefix"], suffix, agencies[key], roles, name, designation)
            for suffix, key, roles, name, designation in PEOPLE
        }
        for suffix, office, name, designation in OFFICE_PEOPLE:
            holder = _person(spec["prefix"], suffix, None, [], name, designation)
            add_office_holder(
                partnership=partnership,
                office=office,
                user=holder,
                since=(now - datetime.timedelta(days=365)).date(),
                note=designation,
                added_by=people["admin"],
                now=now - datetime.timedelta(days=60),
            )
            people[suffix] = holder
        created += _demo_disputes(agencies, people, now)
    return {"disputes": created, "users": get_user_model().objects.count()}


def _person(prefix, suffix, agency: Agency | None, roles, name, designation):
    first, last = name.split(" ", 1)
    user = get_user_model().objects.create_user(
        username=f"{prefix.lower()}-{suffix}",
        password=DEMO_PASSWORD,
        first_name=first,
        last_name=last,
        email=f"{suffix}@{prefix.lower()}.example.org",
        is_staff=Role.ADMIN in roles,  # partnership admins configure their policy in the Django admin
    )
    for role in roles:
        Membership.objects.create(user=user, agency=agency, role=role, designation=designation)
    return user


def _demo_disputes(agencies, people, now) -> int:
    """Twelve disputes a few weeks old, at different stages and states; some are overdue."""
    school, csc, health, police, nursery = (agencies[k] for k in ("school", "csc", "health", "police", "nursery"))
    children = ["Child A", "Child B", "Child C", "Child D", "Child E", "Child F"]
    scenarios = [
        # (raiser, raising agency, other agency, days ago, escalations, how it ends, immediate harm, category)
        # Ends: "open"; "recorded" (a resolution recorded, waiting for the other side where the stage asks both to
        # confirm it); "resolved"; "closed".
        ("teacher", school, csc, 1, 0, "open", False, "levels_of_need"),
        ("teacher", school, csc, 9, 1, "open", False, "need_for_action"),
        ("hv", health, csc, 15, 2, "open", False, "roles_and_responsibilities"),
        ("sw", csc, police, 4, 0, "recorded", False, "communication"),
        ("eyp", nursery, health, 20, 1, "resolved", False, "progressing_plans"),
        ("dsl", school, police, 2, 0, "open", True, "need_for_action"),
        ("teacher", school, health, 30, 4, "open", False, "levels_of_need"),
        ("hv", health, school, 12, 0, "closed", False, "communication"),
        ("sw", csc, school, 6, 1, "recorded", False, "roles_and_responsibilities"),
        ("eyp", nursery, csc, 3, 0, "open", False, "levels_of_need"),
        ("police", police, csc, 25, 3, "resolved", False, "need_for_action"),
        ("teacher", school, csc, 40, 0, "open", False, "progressing_plans"),
    ]
    everyone = list(people.values())
    for index, (raiser, raising, other, days_ago, climbs, ending, harm, category) in enumerate(scenarios):
        moment = now - datetime.timedelta(days=days_ago)
        version = raising.partnership.policy.current_version
        if not version.has_category(category):  # each policy lists its own categories
            category = version.category_choices[index % len(version.category_choices)][0]
        dispute = services.raise_dispute(
            raised_by=people[raiser],
            raising_agency=raising,
            other_agency=other,
            category=category,
            subject={
                "kind": "child",
                "name": children[index % len(children)],
                "date_of_birth": datetime.date(2014 + index % 8, 1 + index % 12, 10),
                "address": f"{10 + index} Example Road, Demo Town",
            },
            description="The other agency's decision leaves the child without the support the evidence shows "
            "they need (demo data).",
            attempts_so_far="Discussed with my supervisor; emailed the allocated worker.",
            immediate_harm=harm,
            now=moment,
        )
        step = moment
        for _ in range(climbs):
            if not dispute.can_be_escalated():
                break
            step += datetime.timedelta(hours=20)
            _escalate(dispute, everyone, people[raiser], step)
        if ending != "open":
            step += datetime.timedelta(days=1)
            _resolve(dispute, everyone, people[raiser], step, confirm=ending != "recorded")
        if ending == "closed":
            services.close_dispute(dispute=dispute, closed_by=people[raiser], now=step + datetime.timedelta(hours=6))
    return len(scenarios)


def _escalate(dispute: Dispute, everyone, raiser, when: datetime.datetime) -> None:
    """The raiser (or, failing them, someone acting at the stage) asks for the next stage; someone on that side
    (not the proposer, where another can) holding one of its approver roles approves it an hour later."""
    proposer = _who_may(Command.PROPOSE_ESCALATION, dispute, everyone, first=raiser)
    services.propose_escalation(
        dispute=dispute, proposed_by=proposer, reason="Not resolved at this stage (demo).", now=when
    )
    dispute.refresh_from_db()
    if dispute.state == DisputeState.AWAITING_APPROVAL:
        approver = _who_may(Command.APPROVE_ESCALATION, dispute, everyone, last=proposer)
        services.approve_escalation(dispute=dispute, approver=approver, now=when + datetime.timedelta(hours=1))
        dispute.refresh_from_db()


def _resolve(dispute: Dispute, everyone, raiser, when: datetime.datetime, *, confirm: bool) -> None:
    """End the stage as the policy says: a final and binding stage by its decision-maker's decision; otherwise a
    resolution recorded by the raising side and, where the stage asks both sides to confirm it (and `confirm`),
    confirmed by the other side four hours later."""
    fields = {"dispute": dispute, "decided_on": when.date(), "now": when}
    stage = snapshot_of(dispute).stage
    if stage is not None and stage.binding:
        maker = _who_may(Command.RECORD_DECISION, dispute, everyone)
        services.record_decision(
            recorded_by=maker, agreed_outcome="The panel decided a joint assessment starts now (demo).", **fields
        )
        return
    recorder = _who_may(Command.RESOLVE, dispute, everyone, first=raiser)
    services.record_resolution(
        recorded_by=recorder, agreed_outcome="A joint assessment will start this week (demo).", **fields
    )
    dispute.refresh_from_db()
    while confirm and dispute.state == DisputeState.AWAITING_CONFIRMATION:
        confirmer = _who_may(Command.CONFIRM_RESOLUTION, dispute, everyone)
        services.confirm_resolution(dispute=dispute, confirmed_by=confirmer, now=when + datetime.timedelta(hours=4))
        dispute.refresh_from_db()


def _who_may(command: Command, dispute: Dispute, people, *, first=None, last=None):
    """The first of `people` the policy runtime lets carry out `command` now: `first` if it may, then those holding
    a role the current stage names for their side, then the rest in order, `last` only if nobody else may."""
    stage = snapshot_of(dispute).stage
    sides = {"raising": dispute.raising_agency_id, "other": dispute.other_agency_id}

    def acts_here(user) -> bool:
        actor = actor_of(user, dispute)
        return stage is not None and any(set(stage.actors_for(side)) & actor.roles_in(a) for side, a in sides.items())

    for user in sorted(people, key=lambda user: (user == last, user != first, not acts_here(user))):
        if decision(user, dispute, command).allowed:
            return user
    raise LookupError(f"no demo person may {command} {dispute.reference} at stage {dispute.current_stage}")
