"""Loading, versioning, publishing and exporting policies.

A version is a draft until it is published; only published versions govern new disputes
(`Policy.current_version`). An admin's edit is a draft. A seed file loaded by `load_policies` never supersedes
a published version unless asked to in so many words (`load_seed(..., new_version=True)`), so a deploy does
not undo what an admin published. Publishing here is not audited: the layer that calls it records who did it
(`escalation.disputes.policy_versions.publish_policy_version`).
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml
from django.db import transaction

from policies.models import DeadlineRule, FormRequirement, NotificationRule, Policy, PolicyVersion, Stage
from policies.schema import BasisSpec, PolicySpec, StageSpec, content_hash, parse_policy
from policies.vocabulary import PublicationStatus

SEED_DIR = Path(__file__).resolve().parent / "seed"


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.yaml"))


@transaction.atomic
def load_policy(
    spec: PolicySpec,
    source_file: str = "",
    *,
    status: str = PublicationStatus.PUBLISHED,
    now: datetime.datetime | None = None,
) -> tuple[PolicyVersion, bool]:
    """Store a checked policy. The same content as the newest version changes nothing; changed content is a new
    version, published (at `now`, by nobody: a file loaded by hand or by a test) or a draft."""
    digest = content_hash(spec)
    policy, _ = Policy.objects.select_for_update().get_or_create(slug=spec.slug, defaults={"name": spec.name})
    latest = policy.versions.order_by("-number").first()
    if latest and latest.content_hash == digest:
        return latest, False
    if policy.name != spec.name:
        policy.name = spec.name
        policy.save(update_fields=["name"])
    version = PolicyVersion.objects.create(
        policy=policy,
        number=(latest.number + 1) if latest else 1,
        label=spec.version_label,
        source_file=source_file,
        content_hash=digest,
        document=spec.model_dump(mode="json"),
        status=status,
        published_at=now if status == PublicationStatus.PUBLISHED else None,
        subjects=spec.subjects,
        categories=[category.model_dump() for category in spec.categories],
        start_stage=spec.start_stage,
        immediate_harm_start_stages=spec.immediate_harm.start_stages,
        immediate_harm_guidance=spec.immediate_harm.guidance,
        urgent_contacts=spec.urgent_contacts,
        timescale_note=spec.timescale_note,
        final_decision_maker=spec.final_stage.decision_maker,
        panel_agencies=spec.final_stage.panel_agencies,
        panel_rule=spec.final_stage.panel_rule,
        record_form=spec.record_form.key,
        record_form_title=spec.record_form.title,
        notices=spec.notices.model_dump(),
        due_soon_working_days=spec.due_soon_working_days,
        urgent_question_hint=spec.immediate_harm.question_hint,
        urgent_route_heading=spec.immediate_harm.route_heading,
        urgent_route_text=spec.immediate_harm.route_text,
    )
    Stage.objects.bulk_create(_stage(version, stage) for stage in spec.stages)
    DeadlineRule.objects.bulk_create(
        DeadlineRule(
            version=version,
            name=rule.name,
            label=rule.label,
            first_stage=rule.stages[0],
            last_stage=rule.stages[-1],
            anchor=rule.anchor,
            kind=rule.kind,
            length=rule.length if isinstance(rule.length, int) else None,
            partnership_default=rule.length == "partnership_default",
            condition=rule.condition,
            met_by=rule.met_by,
            reminder_lead=rule.reminder_lead,
            breach_event=rule.breach_event,
            remind_roles=[r.role for r in rule.remind if r.role],
            breach_roles=[r.role for r in rule.on_breach if r.role],
            remind_to=[r.stored() for r in rule.remind],
            breach_to=[r.stored() for r in rule.on_breach],
            strength=rule.strength,
            able_roles=rule.able_roles,
            escalate_on_breach=rule.escalate_on_breach,
            basis=_basis(rule.basis),
            length_basis=_basis(rule.length_basis),
        )
        for rule in spec.deadline_rules
    )
    NotificationRule.objects.bulk_create(
        NotificationRule(
            version=version,
            event=rule.event,
            stages=rule.stages,
            roles=rule.roles,
            sides=rule.sides,
            condition=rule.condition,
            message=rule.message,
            recipients=rule.recipients(),
            basis=_basis(rule.basis),
        )
        for rule in spec.notification_rules
    )
    FormRequirement.objects.bulk_create(
        FormRequirement(
            version=version,
            form=form.form,
            stage=form.stage,
            event=form.event,
            recipient_role=form.recipient,
            condition=form.condition,
            recipients=form.recipients(),
            basis=_basis(form.basis),
        )
        for form in spec.form_requirements
    )
    return version, True


def _basis(basis: BasisSpec | None) -> dict | None:
    return basis.model_dump() if basis else None


def _stage(version: PolicyVersion, stage: StageSpec) -> Stage:
    return Stage(
        version=version,
        number=stage.number,
        name=stage.name,
        raising_side=stage.raising_side,
        other_side=stage.other_side,
        guidance=stage.guidance,
        approval_required=stage.approval_required,
        approver_roles=stage.approver_roles,
        binding=stage.binding,
        pre_escalation=stage.pre_escalation,
        sides=stage.sides,
        actors=stage.actors.model_dump(),
        outcome_roles=stage.outcome_roles,
        decision_maker=stage.decision_maker.stored() if stage.decision_maker else None,
        confirm_both_sides=stage.confirm_both_sides,
        basis=_basis(stage.basis),
    )


def load_policy_text(
    text: str, source: str, *, status: str = PublicationStatus.PUBLISHED, now: datetime.datetime | None = None
) -> tuple[PolicyVersion, bool]:
    return load_policy(parse_policy(text, source=source), source_file=Path(source).name, status=status, now=now)


# Seed files at deploy time ---------------------------------------------------------------------------------------


class SeedOutcome(StrEnum):
    LOADED = "loaded"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SeedLoad:
    """What `load_seed` did with one file: `version` is the version loaded, or the one that stays in force."""

    slug: str
    outcome: SeedOutcome
    version: PolicyVersion | None
    reason: str = ""


def _published_by(version: PolicyVersion) -> str:
    who = f" by {version.published_by.get_username()}" if version.published_by_id else ""
    when = f" on {version.published_at:%d %B %Y}" if version.published_at else ""
    return f"{who}{when}"


@transaction.atomic
def load_seed(spec: PolicySpec, source_file: str, *, new_version: bool, now: datetime.datetime) -> SeedLoad:
    """Load a seed file without undoing an admin's work.

    The file becomes a new, published version only where the policy has no published version, or with
    `new_version`. Otherwise a published version that differs from the file stays in force and the file is
    skipped, with the reason.
    """
    digest = content_hash(spec)
    policy = Policy.objects.select_for_update().filter(slug=spec.slug).first()
    current = policy.current_version if policy else None
    if current is not None and current.content_hash == digest:
        return SeedLoad(spec.slug, SeedOutcome.UNCHANGED, current)
    if current is not None and not new_version:
        return SeedLoad(
            spec.slug,
            SeedOutcome.SKIPPED,
            current,
            f"version {current.number} is published{_published_by(current)} and differs from {source_file}; "
            "it stays in force (load the file with --new-version to publish it as a new version)",
        )
    version, _created = load_policy(spec, source_file=source_file, now=now)
    if version.status != PublicationStatus.PUBLISHED:
        # The file is word for word an admin's draft: publishing the file publishes that draft.
        version = publish_version(version=version, by=None, now=now)
    return SeedLoad(spec.slug, SeedOutcome.LOADED, version)


# Publishing ------------------------------------------------------------------------------------------------------


class PublishRefused(Exception):
    """The version cannot be published; the message says why, for the admin who asked."""


def publish_refusal(version: PolicyVersion) -> str | None:
    """Why the version cannot be published now; None when it can."""
    if version.status == PublicationStatus.PUBLISHED:
        return f"Version {version.number} is already published."
    current = version.policy.current_version
    if current is not None and current.number > version.number:
        return (
            f"Version {version.number} is older than the published version {current.number}: edit the policy to "
            "make a new draft instead."
        )
    return None


@transaction.atomic
def publish_version(*, version: PolicyVersion, by, now: datetime.datetime) -> PolicyVersion:
    """Make a draft the version that governs new disputes. Disputes already raised keep theirs.

    The caller audits it (this layer cannot): see `escalation.disputes.policy_versions.publish_policy_version`.
    """
    Policy.objects.select_for_update().get(pk=version.policy_id)
    version = PolicyVersion.objects.select_related("policy").get(pk=version.pk)
    problem = publish_refusal(version)
    if problem:
        raise PublishRefused(problem)
    version.status = PublicationStatus.PUBLISHED
    version.published_at = now
    version.published_by = by
    version.save(update_fields=["status", "published_at", "published_by"])
    return version


def export_policy(version: PolicyVersion) -> str:
    """YAML that loads back to the same policy."""
    return yaml.safe_dump(version.document, sort_keys=False, allow_unicode=True, width=100)


def summarise(spec: PolicySpec) -> str:
    stage_numbers = [s.number for s in spec.stages]
    return (
        f"{spec.slug}: {spec.name} — {len(spec.stages)} stages ({stage_numbers[0]}–{stage_numbers[-1]}), "
        f"{len(spec.deadline_rules)} deadline rules, {len(spec.notification_rules)} notification rules, "
        f"{len(spec.form_requirements)} form requirements, {len(spec.categories)} categories, "
        f"record form {spec.record_form.template}"
    )
