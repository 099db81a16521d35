"""A partnership's escalation policy as a readable page, and a preview of its due dates.

Policies are not sensitive, but they are per partnership: a page shows only to a member of a partnership
that uses the policy, and to anyone else it does not exist (404).
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from agencies.models import Membership, Partnership, Role
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.simulation import timeline
from escalation.simulation.engine import play_text, to_jsonl
from escalation.simulation.files import example_scenario
from escalation.simulation.scenario import ScenarioError
from escalation.web.forms_register import PolicyPreviewForm
from escalation.web.forms_scenario import ScenarioForm
from policies.basis import due_basis, recipient_words
from policies.calendar import LONDON
from policies.models import DeadlineRule, PolicyVersion
from policies.preview import RAISED_AT, preview_deadlines
from policies.schema import role_recipients
from policies.vocabulary import Anchor, Condition, DeadlineKind, Event, PublicationStatus


def member_partnerships(user) -> QuerySet[Partnership]:
    """Partnerships in which the user holds any role."""
    return Partnership.objects.filter(agencies__memberships__user=user).distinct()


def partnership_for_policy(user, slug: str) -> Partnership:
    """The user's partnership that uses this policy (the first by name, if several do); 404 otherwise."""
    partnership = member_partnerships(user).filter(policy__slug=slug).select_related("policy").order_by("name").first()
    if partnership is None:
        raise Http404("No policy found")
    return partnership


def chosen_version(partnership: Partnership, number: str | None, *, drafts: bool = False) -> PolicyVersion:
    """The version asked for, or the one governing new disputes (the newest published); drafts only for admins."""
    versions = partnership.policy.versions.select_related("policy")
    if not drafts:
        versions = versions.filter(status=PublicationStatus.PUBLISHED)
    if number:
        version = versions.filter(number=number).first() if number.isdecimal() else None
    else:
        version = partnership.policy.current_version or versions.order_by("-number").first()
    if version is None:
        raise Http404("No such version")
    return version


# Words for the page -------------------------------------------------------------------------------------------


def role_names(roles: list[str]) -> str:
    return joined([Role(role).label if role in Role.values else role for role in roles], "and")


def or_list(items: list[str]) -> str:
    return joined(items, "or")


def joined(items: list[str], word: str) -> str:
    """Join with commas and a last word: "a", "a and b", "a, b and c"."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def stage_span(first: int, last: int) -> str:
    return f"Stage {first}" if first == last else f"Stages {first} to {last}"


def timescale(rule: DeadlineRule, default_days: int) -> str:
    if rule.kind == DeadlineKind.MANUAL:
        return "Set by hand by the partnership chair"
    if rule.partnership_default:
        return f"The partnership's default of {default_days} working days (this policy gives no timescale)"
    if rule.kind == DeadlineKind.CALENDAR_HOURS:
        return f"{rule.length} hour{'s' if rule.length != 1 else ''}, counting every hour"
    return f"{rule.length} working day{'s' if rule.length != 1 else ''}"


def clock_start(rule: DeadlineRule) -> str:
    if rule.anchor == Anchor.RAISED:
        return "When the dispute is raised"
    if rule.anchor == Anchor.FIRST_STAGE_ENTRY or rule.first_stage == rule.last_stage:
        return f"When stage {rule.first_stage} is entered"
    return "When the dispute enters each of these stages"


def reminder(rule: DeadlineRule) -> str:
    """When a reminder goes, before the deadline; whom it goes to is listed with each one's basis."""
    reminded = rule.remind_to or rule.remind_roles
    if rule.kind == DeadlineKind.MANUAL and not reminded:
        return ""
    if not reminded or rule.reminder_lead == 0:
        return "No reminder"
    unit = "hour" if rule.kind == DeadlineKind.CALENDAR_HOURS else "working day"
    plural = "s" if rule.reminder_lead != 1 else ""
    return f"{rule.reminder_lead} {unit}{plural} before, to:"


def condition_text(condition: str) -> str:
    return "" if condition == Condition.ALWAYS else Condition(condition).label


def recipient_rows(recipients: list[dict], rule_basis: dict | None = None) -> list[dict]:
    """Whom a rule names, in words, each with its basis. Given `rule_basis` (a notice's or a form's), someone the
    file gives no basis of their own rests on the rule's; a reminder or breach list has a basis for each."""
    return [
        {
            "words": recipient_words(recipient),
            "basis": recipient.get("basis"),
            "as_rule": not recipient.get("basis") and bool(rule_basis),
        }
        for recipient in recipients
    ]


def describe_rules(version: PolicyVersion, default_days: int) -> list[dict]:
    return [
        {
            "rule": rule,
            "stages": stage_span(rule.first_stage, rule.last_stage),
            "timescale": timescale(rule, default_days),
            "starts": clock_start(rule),
            "condition": condition_text(rule.condition),
            "met_by": rule.get_met_by_display(),
            "reminder": reminder(rule),
            "reminded": recipient_rows(rule.remind_to or role_recipients(rule.remind_roles)),
            "on_breach": recipient_rows(rule.breach_to or role_recipients(rule.breach_roles)),
            "basis": rule.basis,
            "length_basis": due_basis(rule),
        }
        for rule in version.deadline_rules.order_by("first_stage", "last_stage", "name")
    ]


def describe_notifications(version: PolicyVersion) -> list[dict]:
    return [
        {
            "event": Event(rule.event).label,
            "stages": ", ".join(map(str, rule.stages)) if rule.stages else "Every stage",
            "recipients": recipient_rows(rule.recipients or role_recipients(rule.roles, rule.sides), rule.basis),
            "condition": condition_text(rule.condition),
            "message": rule.message,
            "basis": rule.basis,
        }
        for rule in version.notification_rules.all()
    ]


FORM_WHEN = {
    Event.STAGE_ENTERED: "When stage {stage} is entered",
    Event.STAGE_REACHED: "When stage {stage} is reached or passed",
    Event.RESOLVED_AT_STAGE: "When resolved at stage {stage}",
}


def describe_forms(version: PolicyVersion) -> list[dict]:
    return [
        {
            "form": version.form_title(form.form),
            "when": FORM_WHEN.get(form.event, "{event} at stage {stage}").format(
                stage=form.stage, event=Event(form.event).label
            ),
            "recipients": recipient_rows(form.recipients or role_recipients([form.recipient_role]), form.basis),
            "condition": condition_text(form.condition),
            "basis": form.basis,
        }
        for form in version.form_requirements.all()
    ]


def describe_stages(version: PolicyVersion, rules: list[dict]) -> list[dict]:
    stages = []
    for stage in version.stages.order_by("number"):
        stages.append(
            {
                "stage": stage,
                "approvers": role_names(stage.approver_roles),
                "deadlines": [r for r in rules if r["rule"].first_stage <= stage.number <= r["rule"].last_stage],
                "start": stage.number == version.start_stage,
                "harm_start": stage.number in version.immediate_harm_start_stages,
                "decision_maker": recipient_rows([stage.decision_maker]) if stage.decision_maker else [],
            }
        )
    return stages


# Views ---------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    partnerships = list(member_partnerships(request.user).select_related("policy").order_by("name"))
    rows = [(p, p.policy.current_version if p.policy else None) for p in partnerships]
    return render(request, "policies/index.html", {"rows": rows})


@login_required
@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = partnership_for_policy(request.user, slug)
    admin = is_partnership_admin(request.user, partnership)
    version = chosen_version(partnership, request.GET.get("version"), drafts=admin)
    versions = partnership.policy.versions.order_by("-number")
    if not admin:
        versions = versions.filter(status=PublicationStatus.PUBLISHED)
    versions = list(versions)
    current = partnership.policy.current_version
    rules = describe_rules(version, partnership.default_stage_working_days)
    return render(
        request,
        "policies/detail.html",
        {
            "partnership": partnership,
            "policy": partnership.policy,
            "version": version,
            "is_current": current is not None and version.pk == current.pk,
            "is_draft": version.status == PublicationStatus.DRAFT,
            "can_try_scenario": admin,
            "versions": versions,
            "stages": describe_stages(version, rules),
            "rules": rules,
            "notifications": describe_notifications(version),
            "forms": describe_forms(version),
            "harm_stages": or_list([str(number) for number in version.immediate_harm_start_stages]),
            "close_of_business": time_text(partnership.close_of_business),
            "crumbs": [("Home", reverse("home")), ("Policies", reverse("policies"))],
            # Marks "Policies" as the current section in the navigation (escalation/_navigation.html).
            "policies_section": True,
        },
    )


def moment_text(moment: datetime.datetime | None) -> str:
    """GOV.UK style: "Wednesday 4 March 2026 at 5pm" (London time)."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y} at {time_text(local.time())}"


def time_text(moment: datetime.time) -> str:
    """GOV.UK style: 10am, 5:30pm, 12pm (midday)."""
    minutes = f":{moment:%M}" if moment.minute else ""
    return f"{moment.hour % 12 or 12}{minutes}{'am' if moment.hour < 12 else 'pm'}"


@login_required
@require_GET
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = partnership_for_policy(request.user, slug)
    version = chosen_version(partnership, None)
    asked = any(key.startswith("raised_on") for key in request.GET)
    form = PolicyPreviewForm(request.GET if asked else None)
    result = None
    if asked and form.is_valid():
        found = preview_deadlines(
            version, partnership, form.cleaned_data["raised_on"], form.cleaned_data["immediate_harm"]
        )
        result = {
            "raised_at": moment_text(found.raised_at),
            "immediate_harm": found.immediate_harm,
            "steps": [
                {"stage": step.stage, "entered": moment_text(step.entered_at), "note": step.entry_note}
                for step in found.steps
            ],
            "rules": [
                {
                    "rule": item.rule,
                    "stages": stage_span(item.rule.first_stage, item.rule.last_stage),
                    "timescale": timescale(item.rule, partnership.default_stage_working_days),
                    "due": moment_text(item.due_at),
                    "applies": item.applies,
                    "only_if": item.only_if,
                    "manual": item.manual,
                    "basis": item.basis,
                }
                for item in found.rules
            ],
        }
    return render(
        request,
        "policies/preview.html",
        {
            "partnership": partnership,
            "policy": partnership.policy,
            "version": version,
            "form": form,
            "result": result,
            "raised_time": time_text(RAISED_AT),
            "crumbs": [
                ("Home", reverse("home")),
                ("Policies", reverse("policies")),
                (partnership.name, reverse("policy", args=[partnership.policy.slug])),
            ],
            # Marks "Policies" as the current section in the navigation (escalation/_navigation.html).
            "policies_section": True,
        },
    )


# Trying a scenario ---------------------------------------------------------------------------------------------


def is_partnership_admin(user, partnership: Partnership) -> bool:
    return (
        user.is_superuser
        or Membership.objects.filter(user=user, role=Role.ADMIN, agency__partnership=partnership).exists()
    )


def admin_partnership_for_policy(user, slug: str) -> Partnership:
    """The partnership using this policy of which the user is an admin (any, for a superuser); 404 otherwise."""
    partnerships = Partnership.objects.filter(policy__slug=slug).select_related("policy")
    if not user.is_superuser:
        partnerships = partnerships.filter(agencies__memberships__user=user, agencies__memberships__role=Role.ADMIN)
    partnership = partnerships.distinct().order_by("name").first()
    if partnership is None:
        raise Http404("No policy found")
    return partnership


@login_required
@require_http_methods(["GET", "POST"])
def try_scenario(request: HttpRequest, slug: str) -> HttpResponse:
    """Play a scenario under the policy in a throw-away world (nothing is kept) and show what happens when.

    For the partnership's admins only; to anyone else the page does not exist.
    """
    partnership = admin_partnership_for_policy(request.user, slug)
    version = chosen_version(partnership, request.GET.get("version"))
    form = ScenarioForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"scenario": example_scenario(partnership.policy.slug, (version.subjects or ["child"])[0])},
    )
    lines = None
    if form.is_bound and form.is_valid():
        try:
            scenario, lines = play_text(form.cleaned_data["scenario"], version=version)
        except ScenarioError as exc:
            form.add_error("scenario", [problem[:1].upper() + problem[1:] for problem in exc.problems])
        else:
            audit.record(
                request.user,
                AuditEventType.POLICY_SCENARIO_TRIED,
                partnership=partnership,
                after={
                    "policy": partnership.policy.slug,
                    "version": version.number,
                    "steps": len(scenario.steps),
                    "lines": len(lines),
                },
            )
    return render(
        request,
        "policies/try_scenario.html",
        {
            "partnership": partnership,
            "policy": partnership.policy,
            "version": version,
            "form": form,
            "rows": timeline.rows(lines) if lines is not None else None,
            "jsonl": to_jsonl(lines) if lines is not None else "",
            "crumbs": [
                ("Home", reverse("home")),
                ("Policies", reverse("policies")),
                (partnership.name, reverse("policy", args=[partnership.policy.slug])),
            ],
            # Marks "Policies" as the current section in the navigation (escalation/_navigation.html).
            "policies_section": True,
        },
    )
