"""Policy conditions, for real disputes and for the partly known disputes of previews and timelines."""

import pytest

from policies.runtime.conditions import Facts, condition_holds, condition_value


@pytest.mark.parametrize(
    "condition, facts, expected",
    [
        ("always", Facts(), True),
        ("immediate_harm", Facts(immediate_harm=True), True),
        ("immediate_harm", Facts(), None),
        ("not_immediate_harm", Facts(immediate_harm=True), False),
        ("not_immediate_harm", Facts(), None),
        ("child", Facts(subject_kind="adult"), False),
        ("adult", Facts(subject_kind="adult"), True),
        ("adult", Facts(), None),
        ("cp_plan_or_looked_after", Facts(immediate_harm=False), None),
        ("health_agency", Facts(health_agency=False), False),
    ],
)
def test_condition_value_is_none_only_when_its_fact_is_unknown(condition, facts, expected):
    assert condition_value(condition, facts) is expected


def test_unknown_conditions_are_refused():
    with pytest.raises(ValueError, match="unknown condition"):
        condition_value("full_moon", Facts())


def test_a_dispute_supplies_every_fact(bcssp):
    dispute = bcssp.raise_dispute(subject={"kind": "child", "name": "Child C", "looked_after": True})
    assert condition_holds("cp_plan_or_looked_after", dispute)
    assert condition_holds("child", dispute) and not condition_holds("adult", dispute)
    assert not condition_holds("health_agency", dispute) and not condition_holds("immediate_harm", dispute)
