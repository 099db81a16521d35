"""The throw-away world a scenario is played in: its policy, a partnership, two agencies and their people.

Everything here is created inside the simulator's transaction, which is always rolled back. Nothing that exists
is changed: a policy is copied into the world under a throw-away slug (from a file, a seed, or a stored version's
document), so the partnerships that use the stored policy never see the run.

The world is staffed as a partnership usually is, so the policy's notices reach someone: each agency has a
practitioner, a manager, a senior manager, a director, a designated safeguarding lead, a nominated partnership
representative and a committee chair (a setting's own); the partnership has its business manager, its chair and
a holder of every office. Anyone else a scenario names (`people:` or a step's
`by`) is added; anyone listed under `vacant:` is left out, to show what the app does when nobody holds a post.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from pydantic import ValidationError

from agencies.models import (
    OFFICES,
    Agency,
    ClosureDay,
    Membership,
    Office,
    OfficeHolder,
    Partnership,
    Role,
    Sector,
)
from escalation.simulation.scenario import NATIONS, SIDES, Scenario, ScenarioError, check_against_policy
from policies.calendar import LONDON
from policies.models import Policy, PolicyVersion
from policies.schema import PolicyFileError, PolicySpec, read_policy_file
from policies.services import SEED_DIR, load_policy
from policies.vocabulary import PublicationStatus

#: The posts every agency of the world has, whatever the scenario names.
AGENCY_STAFF = (
    Role.PRACTITIONER,
    Role.MANAGER,
    Role.SENIOR_MANAGER,
    Role.DIRECTOR,
    Role.DSL,
    Role.NOMINATED_REPRESENTATIVE,
    Role.COMMITTEE_CHAIR,
)
STAFF = (
    *(f"{side}.{role}" for side in SIDES for role in AGENCY_STAFF),
    f"partnership.{Role.BUSINESS_MANAGER}",
    f"partnership.{Role.CHAIR}",
    *(f"partnership.{office}" for office in Office.values),
)


@dataclass(frozen=True)
class PolicySource:
    """The policy a scenario plays, read before the throw-away transaction and loaded inside it.

    `spec` is copied into the world under a throw-away slug; `policy` (only when a stored version's document can
    no longer be read as a policy file) is used as it is, unchanged.
    """

    name: str
    spec: PolicySpec | None = None
    policy: Policy | None = None

    def check(self, scenario: Scenario) -> None:
        if self.spec is not None:
            stages = {stage.number for stage in self.spec.stages}
            categories = {category.key for category in self.spec.categories}
            rule_names = {rule.name for rule in self.spec.deadline_rules}
        else:
            version = self.policy.latest_version
            stages = set(version.stages.values_list("number", flat=True))
            categories = {category["key"] for category in version.categories}
            rule_names = set(version.deadline_rules.values_list("name", flat=True))
        check_against_policy(
            scenario, stages=stages, categories=categories, rule_names=rule_names, policy_name=self.name
        )

    def load(self, token: str) -> Policy:
        """The policy inside the world (call only inside the simulator's transaction)."""
        if self.spec is None:
            return self.policy
        spec = self.spec.model_copy(update={"slug": f"scenario-{token}"})
        version, _ = load_policy(spec, source_file=f"scenario copy of {self.spec.slug}")
        if version.status != PublicationStatus.PUBLISHED:
            # A draft can be tried: in the world it is the version that governs new disputes.
            PolicyVersion.objects.filter(pk=version.pk).update(status=PublicationStatus.PUBLISHED)
        return version.policy


def seed_spec(slug: str) -> PolicySpec | None:
    path = SEED_DIR / f"{slug}.yaml"
    if not path.is_file():
        return None
    spec = read_policy_file(path)
    return spec if spec.slug == slug else None


def version_source(version: PolicyVersion) -> PolicySource:
    try:
        return PolicySource(name=version.policy.slug, spec=PolicySpec.model_validate(version.document))
    except ValidationError:
        return PolicySource(name=version.policy.slug, policy=version.policy)


def resolve_policy(
    scenario: Scenario,
    *,
    base_dir: Path | None = None,
    version: PolicyVersion | None = None,
    seeds_first: bool = False,
) -> PolicySource:
    """Where the scenario's `policy:` comes from, checked against the steps.

    `version` (the policy page's): the scenario plays that version, and `policy:` may only repeat its slug.
    Otherwise `policy:` is a path to a policy file (relative to `base_dir`, the scenario's folder; refused
    where `base_dir` is None) or a slug: the stored policy of that slug, or the seed file of that name when none is
    stored (or first, with `seeds_first`: the shipped scenarios test the seed files as they are in the tree).
    """
    named = scenario.head.policy
    source = None
    if version is not None:
        if named not in (None, version.policy.slug):
            raise ScenarioError(
                scenario.source,
                [
                    f"policy: here a scenario plays {version.policy.slug}: leave policy out or write policy: "
                    f"{version.policy.slug}"
                ],
            )
        source = version_source(version)
    elif named is None:
        raise ScenarioError(scenario.source, ["policy: is required: a loaded policy's slug or a path to a policy file"])
    elif named.endswith((".yaml", ".yml")) or "/" in named:
        if base_dir is None:
            raise ScenarioError(scenario.source, ["policy: a path to a file cannot be given here: give a slug"])
        try:
            source = PolicySource(name=named, spec=read_policy_file(base_dir / named))
        except PolicyFileError as exc:
            raise ScenarioError(scenario.source, [f"policy: {exc}"]) from None
    else:
        try:
            seed = seed_spec(named)
        except PolicyFileError as exc:
            raise ScenarioError(scenario.source, [f"policy: the seed file does not load: {exc}"]) from None
        stored = Policy.objects.filter(slug=named).first()
        current = stored.latest_version if stored else None  # a draft can be tried before it is published
        if seed is not None and (seeds_first or current is None):
            source = PolicySource(name=named, spec=seed)
        elif current is not None:
            source = version_source(current)
        else:
            raise ScenarioError(
                scenario.source, [f"policy: no policy {named!r} is loaded, and there is no seed file of that name"]
            )
    source.check(scenario)
    return source


@dataclass
class World:
    partnership: Partnership
    agencies: dict[str, Agency]
    people: dict[str, object] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def raising(self) -> Agency:
        return self.agencies["raising"]

    @property
    def other(self) -> Agency:
        return self.agencies["other"]

    def person(self, label: str):
        return self.people[label]

    def label_of(self, user) -> str:
        return self.labels.get(user.pk, user.get_username())


def _agency(partnership: Partnership, name: str, sector: str) -> Agency:
    return Agency.objects.create(partnership=partnership, name=name, sector=sector, is_health=sector == Sector.HEALTH)


def _add_person(world: World, label: str, token: str, since: datetime.date) -> None:
    side, role = label.split(".")
    user = get_user_model()(
        username=f"scenario-{token}-{label}",
        first_name=side.title(),
        last_name=(Role(role).label if role in Role.values else Office(role).label)[:150],
        is_active=True,
    )
    user.set_unusable_password()
    user.save()
    if side == "partnership" and role in OFFICES:
        OfficeHolder.objects.create(partnership=world.partnership, office=role, user=user, since=since)
    else:
        agency = world.agencies["partnership" if side == "partnership" else side]
        Membership.objects.create(user=user, agency=agency, role=role, designation=Role(role).label)
    world.people[label] = user
    world.labels[user.pk] = label


def build_world(scenario: Scenario, policy: Policy, token: str | None = None) -> World:
    """The partnership, agencies and people of the scenario (call only inside the simulator's transaction)."""
    token = token or secrets.token_hex(4)
    head = scenario.head
    partnership = Partnership.objects.create(
        name=f"Scenario {token}",
        slug=f"scenario-{token}",
        reference_prefix=f"S{token}".upper(),
        nation=NATIONS[head.nation],
        policy=policy,
        **({"default_stage_working_days": head.default_stage_working_days} if head.default_stage_working_days else {}),
    )
    ClosureDay.objects.bulk_create(
        ClosureDay(partnership=partnership, date=day, reason="Closure day in the scenario")
        for day in sorted(set(head.closure_days))
    )
    world = World(
        partnership=partnership,
        agencies={
            "raising": _agency(partnership, "Raising agency", head.agencies.raising),
            "other": _agency(partnership, "Other agency", head.agencies.other),
            "partnership": _agency(partnership, "Partnership team", Sector.PARTNERSHIP),
        },
    )
    vacant = set(head.vacant)
    since = scenario.steps[0].at.astimezone(LONDON).date()
    for label in dict.fromkeys([*STAFF, *scenario.named_people()]):
        if label not in vacant:
            _add_person(world, label, token, since)
    return world
