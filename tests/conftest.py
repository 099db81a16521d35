import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from agencies.models import Agency, Role, Sector
from escalation.disputes import services
from tests.factories import AgencyFactory, PartnershipFactory, member, seed_policy

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@dataclass
class World:
    """One partnership on a seed policy, with the people a dispute involves."""

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


def build_world(policy_slug: str, prefix: str = "TST", nation: str = "ENG") -> World:
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
    return World(
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
    )


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
