"""From the database to the plain data the policy runtime reads: a version's rules and a person's roles.

A version's rules are kept on the version object (a loaded version is never edited). A person's roles are
read once per request: `request_scope` (used by `escalation.web.middleware`) keeps them for the request's
length, so a page asking ten questions reads memberships once. Outside a request nothing is kept, so a
change of roles is seen at once.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from agencies.models import Membership
from policies.models import DeadlineRule, PolicyVersion
from policies.runtime import NOBODY, Actor, PolicyRules, StageRule
from policies.runtime.deadlines import DeadlineRuleDef
from policies.runtime.notices import NoticeRule
from policies.schema import PolicySpec


def rules_of(version: PolicyVersion) -> PolicyRules:
    """The version's rules; one query for its stages the first time (none if they were prefetched)."""
    cached = getattr(version, "_runtime_rules", None)
    if cached is None:
        cached = PolicyRules(
            version_id=version.pk,
            stages=tuple(
                StageRule(
                    number=stage.number,
                    name=stage.name,
                    approval_required=stage.approval_required,
                    approver_roles=tuple(stage.approver_roles),
                    binding=stage.binding,
                    pre_escalation=stage.pre_escalation,
                )
                for stage in sorted(version.stages.all(), key=lambda stage: stage.number)
            ),
            start_stage=version.start_stage,
            immediate_harm_start_stages=tuple(version.immediate_harm_start_stages),
            subjects=tuple(version.subjects),
        )
        version._runtime_rules = cached
    return cached


_request_actors: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_actors", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Within this block a person's roles in a partnership are read from the database once."""
    token = _request_actors.set({})
    try:
        yield
    finally:
        _request_actors.reset(token)


def actor_for(user, partnership_id: int) -> Actor:
    """The person's roles in one partnership (read once per request inside `request_scope`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    cache = _request_actors.get()
    actors = cache if cache is not None else {}
    key = (user.pk, partnership_id)
    if key not in actors:
        by_agency: dict[int, set[str]] = {}
        for agency_id, role in Membership.objects.filter(user=user, agency__partnership_id=partnership_id).values_list(
            "agency_id", "role"
        ):
            by_agency.setdefault(agency_id, set()).add(role)
        actors[key] = Actor(
            user_id=user.pk,
            roles_by_agency={agency: frozenset(roles) for agency, roles in by_agency.items()},
            partnership_roles=frozenset(role for roles in by_agency.values() for role in roles),
            active=user.is_active,
        )
    return actors[key]


def rules_from_spec(spec: PolicySpec, version_id: int = 0) -> PolicyRules:
    """The rules of a checked policy file, without loading it: for the policy preview and fast rule tests."""
    return PolicyRules(
        version_id=version_id,
        stages=tuple(
            StageRule(
                number=stage.number,
                name=stage.name,
                approval_required=stage.approval_required,
                approver_roles=tuple(stage.approver_roles),
                binding=stage.binding,
                pre_escalation=stage.pre_escalation,
            )
            for stage in spec.stages
        ),
        start_stage=spec.start_stage,
        immediate_harm_start_stages=tuple(spec.immediate_harm.start_stages),
        subjects=tuple(spec.subjects),
    )


def deadline_rules_of(version: PolicyVersion) -> tuple[DeadlineRuleDef, ...]:
    """The version's deadline rules as the runtime reads them; one query the first time."""
    cached = getattr(version, "_runtime_deadline_rules", None)
    if cached is None:
        cached = tuple(deadline_rule_def(rule) for rule in version.deadline_rules.all())
        version._runtime_deadline_rules = cached
    return cached


def deadline_rule_def(rule: DeadlineRule) -> DeadlineRuleDef:
    return DeadlineRuleDef(
        id=rule.pk,
        name=rule.name,
        label=rule.label,
        first_stage=rule.first_stage,
        last_stage=rule.last_stage,
        anchor=rule.anchor,
        kind=rule.kind,
        length=rule.length,
        partnership_default=rule.partnership_default,
        condition=rule.condition,
        met_by=rule.met_by,
        reminder_lead=rule.reminder_lead,
        breach_event=rule.breach_event,
        remind_roles=tuple(rule.remind_roles),
        breach_roles=tuple(rule.breach_roles),
    )


def notice_rules_of(version: PolicyVersion) -> tuple[NoticeRule, ...]:
    """The version's notification rules as the runtime reads them; one query the first time."""
    cached = getattr(version, "_runtime_notice_rules", None)
    if cached is None:
        cached = tuple(
            NoticeRule(
                event=rule.event,
                stages=tuple(rule.stages),
                roles=tuple(rule.roles),
                sides=rule.sides,
                condition=rule.condition,
                message=rule.message,
            )
            for rule in version.notification_rules.all()
        )
        version._runtime_notice_rules = cached
    return cached
