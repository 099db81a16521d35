"""Demo partnerships, people and disputes for `make run`. Never used in production."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, ClosureDay, Membership, Nation, Partnership, Role, Sector
from escalation.disputes import services
from escalation.disputes.models import Dispute
from policies.models import Policy

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
    ("nursery", "nursery", [Role.PRACTITIONER, Role.MANAGER, Role.DSL], "Jo Carter", "Nursery manager"),
    ("hv", "health", [Role.PRACTITIONER], "Sam Okafor", "Health visitor"),
    ("hvlead", "health", [Role.MANAGER, Role.DESIGNATED_NURSE], "Ruth Green", "Safeguarding lead nurse"),
    ("police", "police", [Role.PRACTITIONER], "Dan Price", "Detective constable"),
    ("dsgt", "police", [Role.MANAGER, Role.SENIOR_MANAGER], "Nia Roberts", "Detective sergeant"),
    ("sw", "csc", [Role.PRACTITIONER], "Alex Morgan", "Social worker"),
    ("tm", "csc", [Role.MANAGER], "Chris Lee", "Team manager"),
    ("hos", "csc", [Role.SENIOR_MANAGER], "Pat Hughes", "Head of service"),
    ("ad", "csc", [Role.DIRECTOR], "Morgan Ellis", "Assistant director"),
    ("asw", "asc", [Role.PRACTITIONER, Role.MANAGER], "Kim Walsh", "Senior practitioner"),
    ("bm", "office", [Role.BUSINESS_MANAGER], "Lee Turner", "Partnership business manager"),
    ("chair", "office", [Role.CHAIR], "Sandra Fox", "Independent chair"),
    ("admin", "office", [Role.ADMIN], "Ian Rowe", "Partnership administrator"),
]


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, password, who) for each demo user, for the start-up lines of `make run`."""
    user_model = get_user_model()
    rows = []
    for spec in PARTNERSHIPS:
        for suffix, _agency, _roles, _name, designation in PEOPLE:
            username = f"{spec['prefix'].lower()}-{suffix}"
            if user_model.objects.filter(username=username).exists():
                rows.append((username, DEMO_PASSWORD, f"{designation}, {spec['prefix']}"))
    return rows


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
        created += _demo_disputes(agencies, people, now)
    return {"disputes": created, "users": get_user_model().objects.count()}


def _person(prefix, suffix, agency, roles, name, designation):
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
    """Twelve disputes a few weeks old, at different stages; some are overdue."""
    school, csc, health, police, nursery = (agencies[k] for k in ("school", "csc", "health", "police", "nursery"))
    children = ["Child A", "Child B", "Child C", "Child D", "Child E", "Child F"]
    scenarios = [
        # (raiser, raising agency, other agency, days ago, escalations, resolve?, immediate harm, category)
        ("teacher", school, csc, 1, 0, False, False, "levels_of_need"),
        ("teacher", school, csc, 9, 1, False, False, "need_for_action"),
        ("hv", health, csc, 15, 2, False, False, "roles_and_responsibilities"),
        ("sw", csc, police, 4, 0, False, False, "communication"),
        ("nursery", nursery, health, 20, 1, True, False, "progressing_plans"),
        ("dsl", school, police, 2, 0, False, True, "need_for_action"),
        ("teacher", school, health, 30, 3, False, False, "levels_of_need"),
        ("hv", health, school, 12, 0, True, False, "communication"),
        ("sw", csc, school, 6, 1, False, False, "roles_and_responsibilities"),
        ("nursery", nursery, csc, 3, 0, False, False, "levels_of_need"),
        ("police", police, csc, 25, 2, True, False, "need_for_action"),
        ("teacher", school, csc, 40, 0, False, False, "progressing_plans"),
    ]
    approvers = {
        school: people["dsl"],
        health: people["hvlead"],
        csc: people["tm"],
        police: people["dsgt"],
        nursery: people["nursery"],
    }
    seniors = {school: people["head"], health: people["hvlead"], csc: people["hos"], nursery: people["nursery"]}
    for index, (raiser, raising, other, days_ago, climbs, resolve, harm, category) in enumerate(scenarios):
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
            services.propose_escalation(
                dispute=dispute, proposed_by=people[raiser], reason="Not resolved at this stage (demo).", now=step
            )
            dispute.refresh_from_db()
            if dispute.state == "awaiting_approval":
                approver = approvers.get(raising) if dispute.current_stage < 2 else seniors.get(raising)
                approver = approver if approver and _may_approve(approver, dispute) else _any_approver(people, dispute)
                services.approve_escalation(dispute=dispute, approver=approver, now=step + datetime.timedelta(hours=1))
                dispute.refresh_from_db()
        if resolve:
            services.record_resolution(
                dispute=dispute,
                recorded_by=people[raiser],
                agreed_outcome="A joint assessment will start this week (demo).",
                decided_on=(step + datetime.timedelta(days=1)).date(),
                now=step + datetime.timedelta(days=1),
            )
    return len(scenarios)


def _may_approve(user, dispute: Dispute) -> bool:
    from escalation.disputes.permissions import can_approve

    return can_approve(user, dispute)


def _any_approver(people, dispute: Dispute):
    return next(user for user in people.values() if _may_approve(user, dispute))
