"""The one access rule: who may see which dispute."""

import pytest
from django.http import Http404

from escalation.disputes.selectors import can_see, disputes_for, get_dispute_for
from tests.conftest import build_world
from tests.factories import UserFactory


@pytest.fixture
def two_partnerships(db):
    home = build_world("bcssp", "HOME")
    away = build_world("tscp", "AWAY")
    return home, away, home.raise_dispute(), away.raise_dispute()


@pytest.mark.parametrize(
    "persona, sees_home",
    [
        ("teacher", True),  # raising practitioner
        ("head", True),  # raising agency's manager and DSL
        ("director", True),  # anyone holding a role in the raising agency
        ("social_worker", True),  # the other agency
        ("team_manager", True),
        ("outsider", False),  # an unrelated agency in the same partnership
        ("business_manager", True),
        ("chair", True),
        ("admin", False),  # configures policies; sees no case data
    ],
)
def test_access_rule_by_persona(two_partnerships, persona, sees_home):
    home, away, home_dispute, away_dispute = two_partnerships
    user = getattr(home, persona)
    assert can_see(user, home_dispute) is sees_home
    assert not can_see(user, away_dispute), "nobody sees another partnership's disputes"
    assert list(disputes_for(user)) == ([home_dispute] if sees_home else [])


def test_outsiders_get_404_not_a_hint(two_partnerships):
    home, away, home_dispute, _ = two_partnerships
    for user in (home.outsider, away.business_manager, away.teacher, UserFactory()):
        with pytest.raises(Http404):
            get_dispute_for(user, home_dispute.reference)
    assert get_dispute_for(home.teacher, home_dispute.reference) == home_dispute


def test_anonymous_and_deactivated_users_see_nothing(two_partnerships):
    from django.contrib.auth.models import AnonymousUser

    home, _, home_dispute, _ = two_partnerships
    assert not disputes_for(AnonymousUser()).exists()
    home.teacher.is_active = False
    home.teacher.save()
    assert not disputes_for(home.teacher).exists()


def test_a_person_with_several_roles_sees_each_once(two_partnerships):
    home, _, home_dispute, _ = two_partnerships
    from agencies.models import Membership, Role

    Membership.objects.create(user=home.head, agency=home.office, role=Role.BUSINESS_MANAGER)
    assert list(disputes_for(home.head)) == [home_dispute]
