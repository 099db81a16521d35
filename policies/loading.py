"""From the database to the plain data the policy runtime reads: a version's rules and a person's roles.

A version's rules are kept on the version object (a loaded version is never edited). A person's roles are
read once per request: `request_scope` (used by `escalation.web.middleware`) keeps them for the request's
length, so a page asking ten questions reads memberships once. Outside a request nothing is kept, so a
change of roles is seen at once.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import F, IntegerField, Value

from agencies.models import Membership, OfficeHolder
from policies.models import DeadlineRule, PolicyVersion, Stage
from policies.runtime import NOBODY, PARTNERSHIP_ROLES, Actor, PolicyRules, StageRule
from policies.runtime.deadlines import DeadlineRuleDef
from policies.runtime.notices import NoticeRule
from policies.runtime.rules import named_from_stored
from policies.schema import PolicySpec, StageSpec, role_recipients


def rules_of(version: PolicyVersion) -> PolicyRules:
    """The version's rules; one query for its stages the first time (none if they were prefetched)."""
    cached = getattr(version, "_runtime_rules", None)
    if cached is None:
        cached = PolicyRules(
            version_id=version.pk,
            stages=tuple(stage_rule(stage) for stage in sorted(version.stages.all(), key=lambda stage: stage.number)),
            start_stage=version.start_stage,
            immediate_harm_start_stages=tuple(version.immediate_harm_start_stages),
            subjects=tuple(version.subjects),
        )
        version._runtime_rules = cached
    return cached


def stage_rule(stage: Stage | StageSpec) -> StageRule:
    """A stored stage (or a checked stage of a policy file) as the runtime reads it."""
    if isinstance(stage, StageSpec):
        actors = stage.actors.model_dump()
        decision_maker = stage.decision_maker.stored() if stage.decision_maker else None
    else:
        actors, decision_maker = stage.actors or {}, stage.decision_maker
    return StageRule(
        number=stage.number,
        name=stage.name,
        approval_required=stage.approval_required,
        approver_roles=tuple(stage.approver_roles),
        binding=stage.binding,
        pre_escalation=stage.pre_escalation,
        sides=stage.sides,
        raising_actors=tuple(actors.get("raising") or ()),
        other_actors=tuple(actors.get("other") or ()),
        outcome_roles=tuple(stage.outcome_roles or ()),
        decision_maker=named_from_stored(decision_maker),
        confirm_both_sides=stage.confirm_both_sides,
    )


_request_actors: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_actors", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Within this block a person's roles in a partnership are read from the database once."""
    token = _request_actors.set({})
    try:
        yield
    finally:
        _request_actors.reset(token)


def _posts(user, partnership_id: int):
    """(agency id, role) for each membership and (None, office) for each office held: one query."""
    roles = (
        Membership.objects.filter(user=user, agency__partnership_id=partnership_id)
        .annotate(place=F("agency_id"), post=F("role"))
        .values_list("place", "post")
    )
    offices = (
        OfficeHolder.objects.filter(user=user, partnership_id=partnership_id)
        .annotate(place=Value(None, output_field=IntegerField()), post=F("office"))
        .values_list("place", "post")
        .order_by()  # SQLite (`make run`) refuses the model's default ordering inside a UNION
    )
    return roles.union(offices, all=True)


def actor_for(user, partnership_id: int) -> Actor:
    """The person's roles and offices in one partnership, in one query (once per request inside
    `request_scope`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    cache = _request_actors.get()
    actors = cache if cache is not None else {}
    key = (user.pk, partnership_id)
    if key not in actors:
        by_agency: dict[int, set[str]] = {}
        offices: set[str] = set()
        for agency_id, post in _posts(user, partnership_id):
            if agency_id is None:
                offices.add(post)
            else:
                by_agency.setdefault(agency_id, set()).add(post)
        actors[key] = Actor(
            user_id=user.pk,
            roles_by_agency={agency: frozenset(roles) for agency, roles in by_agency.items()},
            partnership_roles=frozenset(role for roles in by_agency.values() for role in roles) & PARTNERSHIP_ROLES,
            active=user.is_active,
            offices=frozenset(offices),
        )
    return actors[key]


def rules_from_spec(spec: PolicySpec, version_id: int = 0) -> PolicyRules:
    """The rules of a checked policy file, without loading it: for the policy preview and fast rule tests."""
    return PolicyRules(
        version_id=version_id,
        stages=tuple(stage_rule(stage) for stage in spec.stages),
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
        strength=rule.strength,
        able_roles=tuple(rule.able_roles),
    )


def notice_rules_of(version: PolicyVersion) -> tuple[NoticeRule, ...]:
    """The version's notification rules as the runtime reads them; one query the first time."""
    cached = getattr(version, "_runtime_notice_rules", None)
    if cached is None:
        cached = tuple(
            NoticeRule(
                event=rule.event,
                stages=tuple(rule.stages),
                # A row written before recipients were stored names roles only: the same people, in the new form.
                recipients=tuple(rule.recipients or role_recipients(rule.roles, rule.sides)),
                condition=rule.condition,
                message=rule.message,
            )
            for rule in version.notification_rules.all()
        )
        version._runtime_notice_rules = cached
    return cached
