"""Loading, versioning and exporting policies."""

from pathlib import Path

import yaml
from django.db import transaction

from policies.models import DeadlineRule, FormRequirement, NotificationRule, Policy, PolicyVersion, Stage
from policies.schema import BasisSpec, PolicySpec, StageSpec, content_hash, parse_policy

SEED_DIR = Path(__file__).resolve().parent / "seed"


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.yaml"))


@transaction.atomic
def load_policy(spec: PolicySpec, source_file: str = "") -> tuple[PolicyVersion, bool]:
    """Store a checked policy. The same content again changes nothing; changed content is a new version."""
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


def load_policy_text(text: str, source: str) -> tuple[PolicyVersion, bool]:
    return load_policy(parse_policy(text, source=source), source_file=Path(source).name)


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
