"""Raising a dispute: one question a page, answers kept with the person (escalation.disputes.drafts), then
"check your answers". A sign-out or an idle timeout loses nothing: signing in again resumes where it stopped.

Nothing is written until the answers are checked and sent; `services.raise_dispute` makes every
decision about whether the dispute may be raised and at which stage. The question whether anyone is
at risk of immediate harm comes first, and a "yes" shows the partnership's urgent contacts and what the
policy says must happen now before anything else is asked. The categories and the urgent wording are the
policy's own.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.models import Agency, Membership, Sector
from escalation.disputes import drafts, services
from escalation.disputes.models import SubjectKind
from escalation.disputes.permissions import ActionRefused
from escalation.disputes.worklists import raising_agencies
from escalation.web import forms
from escalation.web.display import nhs_number
from policies import defaults
from policies.vocabulary import Condition


class Journey:
    """The person's answers so far and what they allow: which questions, which choices."""

    def __init__(self, request: HttpRequest):
        self.request = request
        self.user = request.user
        self.agencies: list[Agency] = raising_agencies(self.user)
        self.draft: dict = drafts.draft_for(self.user, now=timezone.now()) if self.agencies else {}
        self._others: dict[int, list[Agency]] = {}
        self._people: dict[int, list[tuple]] = {}

    def save(self) -> None:
        drafts.save_draft(self.user, self.draft, now=timezone.now())

    def clear(self) -> None:
        drafts.discard_draft(self.user)
        self.draft = {}

    @property
    def several_partnerships(self) -> bool:
        return len({agency.partnership_id for agency in self.agencies}) > 1

    @property
    def agency(self) -> Agency | None:
        if len(self.agencies) == 1:
            return self.agencies[0]
        return next((a for a in self.agencies if a.pk == self.draft.get("agency")), None)

    @property
    def partnership(self):
        if self.agency is not None:
            return self.agency.partnership
        if self.agencies and not self.several_partnerships:
            return self.agencies[0].partnership
        return None

    @property
    def version(self):
        partnership = self.partnership
        return partnership.policy.current_version if partnership and partnership.policy else None

    def harm_stages(self) -> list:
        version = self.version
        if version is None:
            return []
        allowed = {version.start_stage, *version.immediate_harm_start_stages}
        return [stage for stage in version.stages.all() if stage.number in allowed and not stage.pre_escalation]

    def kinds(self) -> list[str]:
        return list(self.version.subjects) if self.version else []

    @property
    def kind(self) -> str | None:
        kinds = self.kinds()
        return kinds[0] if len(kinds) == 1 else self.draft.get("kind")

    def other_agencies(self) -> list[Agency]:
        agency = self.agency
        if agency is None:
            return []
        if agency.pk not in self._others:
            self._others[agency.pk] = list(
                Agency.objects.filter(partnership=agency.partnership)
                .exclude(pk=agency.pk)
                .exclude(sector=Sector.PARTNERSHIP)
                .order_by("name")
            )
        return self._others[agency.pk]

    @property
    def other_agency(self) -> Agency | None:
        return next((a for a in self.other_agencies() if a.pk == self.draft.get("other_agency")), None)

    def other_people(self) -> list[tuple]:
        """(user, label, hint) for each active person in the other agency, whoever made the decision."""
        agency = self.other_agency
        if agency is None:
            return []
        if agency.pk not in self._people:
            self._people[agency.pk] = self._people_of(agency)
        return self._people[agency.pk]

    @staticmethod
    def _people_of(agency: Agency) -> list[tuple]:
        people: dict[int, tuple] = {}
        memberships = Membership.objects.filter(agency=agency, user__is_active=True).select_related("user")
        for membership in memberships.order_by("user__last_name", "user__first_name", "pk"):
            user = membership.user
            if user.pk not in people:
                name = user.get_full_name() or user.get_username()
                people[user.pk] = (user, name, membership.designation or membership.get_role_display())
        return list(people.values())

    def categories(self) -> list[tuple[str, str]]:
        """(key, label) of each category the policy lists."""
        return self.version.category_choices if self.version else []

    def category_chosen(self) -> bool:
        category = self.draft.get("category")
        return bool(category) and self.version is not None and self.version.has_category(category)

    def urgent_hint(self) -> str:
        return self.version.urgent_hint if self.version else defaults.urgent_hint(None)

    def steps(self) -> list["Step"]:
        return [step for step in STEPS if step.applies(self)]

    def first_incomplete(self) -> "Step | None":
        return next((step for step in self.steps() if not step.done(self)), None)


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type
    applies: Callable[[Journey], bool]
    done: Callable[[Journey], bool]
    form_kwargs: Callable[[Journey], dict]
    initial: Callable[[Journey], dict]
    store: Callable[[Journey, dict], None]
    template: str = "escalation/raise/question.html"


def _store_agency(journey: Journey, data: dict) -> None:
    if journey.draft.get("agency") != data["agency"]:
        journey.draft.pop("other_agency", None)
    journey.draft["agency"] = data["agency"]


def _store_harm(journey: Journey, data: dict) -> None:
    harm = data["immediate_harm"] == "yes"
    journey.draft["immediate_harm"] = harm
    if not harm:
        journey.draft.pop("start_stage", None)


def _store_other_agency(journey: Journey, data: dict) -> None:
    if journey.draft.get("other_agency") != data["other_agency"]:
        journey.draft.pop("other_worker", None)
    journey.draft["other_agency"] = data["other_agency"]


def _store_kind(journey: Journey, data: dict) -> None:
    journey.draft["kind"] = data["kind"]
    if data["kind"] != SubjectKind.CHILD and "subject" in journey.draft:
        journey.draft["subject"]["circumstances"] = []


def _store_subject(journey: Journey, data: dict) -> None:
    born = data["date_of_birth"]
    journey.draft["subject"] = {
        "name": data["name"],
        "date_of_birth": born.isoformat() if born else None,
        "address": data["address"],
        "nhs_number": data["nhs_number"],
        "other_identifiers": data["other_identifiers"],
        "circumstances": data.get("circumstances", []),
    }


def _subject_initial(journey: Journey) -> dict:
    subject = dict(journey.draft.get("subject", {}))
    if subject.get("date_of_birth"):
        subject["date_of_birth"] = datetime.date.fromisoformat(subject["date_of_birth"])
    return subject


def _store_outset(journey: Journey, data: dict) -> None:
    outset = data["concern_outset"]
    journey.draft["concern_outset"] = outset.isoformat() if outset else None


def _outset(journey: Journey) -> datetime.date | None:
    outset = journey.draft.get("concern_outset")
    return datetime.date.fromisoformat(outset) if outset else None


def _keep(key: str) -> Callable[[Journey, dict], None]:
    def store(journey: Journey, data: dict) -> None:
        journey.draft[key] = data[key]

    return store


def _has(key: str) -> Callable[[Journey], bool]:
    return lambda journey: journey.draft.get(key) not in (None, "")


STEPS = [
    Step(
        "agency",
        "Which agency are you raising this dispute for?",
        forms.AgencyForm,
        applies=lambda j: len(j.agencies) > 1 and j.several_partnerships,
        done=lambda j: j.agency is not None,
        form_kwargs=lambda j: {"agencies": j.agencies},
        initial=lambda j: {"agency": j.draft.get("agency")},
        store=_store_agency,
    ),
    Step(
        "immediate-harm",
        "Is a child or adult at risk of immediate harm?",
        forms.ImmediateHarmForm,
        applies=lambda j: True,
        done=lambda j: "immediate_harm" in j.draft,
        form_kwargs=lambda j: {"hint": j.urgent_hint()},
        initial=lambda j: {"immediate_harm": {True: "yes", False: "no"}.get(j.draft.get("immediate_harm"))},
        store=_store_harm,
    ),
    Step(
        "urgent",
        "Get help now: someone is at risk of immediate harm",
        forms.StartStageForm,
        applies=lambda j: bool(j.draft.get("immediate_harm")),
        done=lambda j: j.draft.get("start_stage") in [stage.number for stage in j.harm_stages()],
        form_kwargs=lambda j: {"stages": j.harm_stages()},
        initial=lambda j: {"start_stage": j.draft.get("start_stage")},
        store=_keep("start_stage"),
        template="escalation/raise/urgent.html",
    ),
    Step(
        "agency",
        "Which agency are you raising this dispute for?",
        forms.AgencyForm,
        applies=lambda j: len(j.agencies) > 1 and not j.several_partnerships,
        done=lambda j: j.agency is not None,
        form_kwargs=lambda j: {"agencies": j.agencies},
        initial=lambda j: {"agency": j.draft.get("agency")},
        store=_store_agency,
    ),
    Step(
        "subject-kind",
        "Who is the dispute about?",
        forms.SubjectKindForm,
        applies=lambda j: len(j.kinds()) > 1,
        done=lambda j: j.draft.get("kind") in j.kinds(),
        form_kwargs=lambda j: {"kinds": j.kinds()},
        initial=lambda j: {"kind": j.draft.get("kind")},
        store=_store_kind,
    ),
    Step(
        "subject",
        "About the child or adult",
        forms.SubjectForm,
        applies=lambda j: True,
        done=lambda j: bool(j.draft.get("subject", {}).get("name")),
        form_kwargs=lambda j: {"kind": j.kind or SubjectKind.CHILD},
        initial=_subject_initial,
        store=_store_subject,
        template="escalation/raise/subject.html",
    ),
    Step(
        "other-agency",
        "Which agency do you disagree with?",
        forms.OtherAgencyForm,
        applies=lambda j: True,
        done=lambda j: j.draft.get("other_agency") in [a.pk for a in j.other_agencies()],
        form_kwargs=lambda j: {"agencies": j.other_agencies()},
        initial=lambda j: {"other_agency": j.draft.get("other_agency")},
        store=_store_other_agency,
    ),
    Step(
        "decision-maker",
        "Who made the decision you disagree with?",
        forms.OtherWorkerForm,
        applies=lambda j: True,
        done=lambda j: j.draft.get("other_worker") in [0, *(user.pk for user, _, _ in j.other_people())],
        form_kwargs=lambda j: {"people": j.other_people(), "agency_name": str(j.other_agency or "")},
        initial=lambda j: {"other_worker": j.draft.get("other_worker")},
        store=_keep("other_worker"),
    ),
    Step(
        "category",
        "What is the disagreement about?",
        forms.CategoryForm,
        applies=lambda j: True,
        done=lambda j: j.category_chosen(),
        form_kwargs=lambda j: {"categories": j.categories()},
        initial=lambda j: {"category": j.draft.get("category")},
        store=_keep("category"),
    ),
    Step(
        "disagreement",
        "What is the disagreement?",
        forms.DescriptionForm,
        applies=lambda j: True,
        done=_has("description"),
        form_kwargs=lambda j: {},
        initial=lambda j: {"description": j.draft.get("description", "")},
        store=_keep("description"),
    ),
    Step(
        "tried",
        "What has been tried so far to resolve it?",
        forms.AttemptsForm,
        applies=lambda j: True,
        done=_has("attempts_so_far"),
        form_kwargs=lambda j: {},
        initial=lambda j: {"attempts_so_far": j.draft.get("attempts_so_far", "")},
        store=_keep("attempts_so_far"),
    ),
    Step(
        "outset",
        "When was the concern first considered?",
        forms.OutsetForm,
        applies=lambda j: True,
        # Optional: answered once the question has been seen and sent, blank or not.
        done=lambda j: "concern_outset" in j.draft,
        form_kwargs=lambda j: {},
        initial=lambda j: {"concern_outset": _outset(j)},
        store=_store_outset,
    ),
]


def _cannot_raise(request: HttpRequest) -> HttpResponse:
    return render(request, "escalation/raise/cannot_raise.html", status=403)


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    journey = Journey(request)
    if not journey.agencies:
        return _cannot_raise(request)
    if request.method == "POST":
        journey.clear()
        return redirect("raise-step", step=journey.steps()[0].slug)
    version = journey.version
    pre_escalation = [stage for stage in version.stages.all() if stage.pre_escalation] if version else []
    first = journey.steps()[0]
    resume = journey.first_incomplete() if journey.draft else None
    return render(
        request,
        "escalation/raise/start.html",
        {
            "journey": journey,
            "version": version,
            "pre_escalation": pre_escalation,
            "first_url": reverse("raise-step", kwargs={"step": first.slug}),
            "in_progress": bool(journey.draft),
            "draft_kept_hours": int(drafts.DRAFT_KEPT.total_seconds() // 3600),
            "resume_url": reverse("raise-step", kwargs={"step": resume.slug}) if resume else reverse("raise-check"),
        },
    )


def _after(journey: Journey, step: Step, changing: bool) -> HttpResponse:
    """Where to go once a question is answered: on through the questions, or back to the check page."""
    incomplete = journey.first_incomplete()
    if changing:
        return redirect(_step_url(incomplete, changing=True) if incomplete else reverse("raise-check"))
    steps = journey.steps()
    slugs = [s.slug for s in steps]
    position = slugs.index(step.slug) if step.slug in slugs else -1
    following = steps[position + 1] if 0 <= position < len(steps) - 1 else None
    if following is not None:
        return redirect(_step_url(following))
    return redirect(_step_url(incomplete) if incomplete else reverse("raise-check"))


def _step_url(step: Step, changing: bool = False) -> str:
    url = reverse("raise-step", kwargs={"step": step.slug})
    return f"{url}?change=1" if changing else url


def _back_url(journey: Journey, step: Step, changing: bool) -> str:
    if changing:
        return reverse("raise-check")
    steps = journey.steps()
    position = [s.slug for s in steps].index(step.slug)
    return _step_url(steps[position - 1]) if position else reverse("raise-start")


@login_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, step: str) -> HttpResponse:
    journey = Journey(request)
    if not journey.agencies:
        return _cannot_raise(request)
    if step not in {s.slug for s in STEPS}:
        raise Http404("No such question")
    steps = journey.steps()
    current = next((s for s in steps if s.slug == step), None)
    first_gap = journey.first_incomplete()
    if current is None:
        return redirect(_step_url(first_gap) if first_gap else reverse("raise-check"))
    if first_gap is not None and steps.index(first_gap) < steps.index(current):
        # Earlier questions first: above all, whether anyone is at risk of immediate harm.
        return redirect(_step_url(first_gap))
    changing = request.GET.get("change") == "1" or request.POST.get("change") == "1"
    if request.method == "POST":
        form = current.form_class(request.POST, **current.form_kwargs(journey))
        if form.is_valid():
            current.store(journey, form.cleaned_data)
            journey.save()
            return _after(journey, current, changing)
    else:
        form = current.form_class(initial=current.initial(journey), **current.form_kwargs(journey))
    return render(
        request,
        current.template,
        {
            "form": form,
            "step": current,
            "journey": journey,
            "changing": changing,
            "back_url": _back_url(journey, current, changing),
            **_urgent_context(journey, current),
        },
    )


def _urgent_context(journey: Journey, step: Step) -> dict:
    if step.slug != "urgent":
        return {}
    version = journey.version
    rules = version.deadline_rules.filter(condition=Condition.IMMEDIATE_HARM) if version else []
    return {
        "partnership_contacts": journey.partnership.urgent_contacts if journey.partnership else "",
        "policy_contacts": version.urgent_contacts if version else "",
        "guidance": version.immediate_harm_guidance if version else "",
        "harm_rules": list(rules),
        "route_heading": version.urgent_heading if version else defaults.urgent_route_heading(None),
        "route_text": version.urgent_text if version else defaults.urgent_route_text(None),
        "version": version,
    }


def _subject_for_service(journey: Journey) -> dict:
    subject = journey.draft["subject"]
    circumstances = subject.get("circumstances") or []
    kind = journey.kind
    born = subject.get("date_of_birth")
    return {
        "kind": kind,
        "name": subject["name"],
        "date_of_birth": datetime.date.fromisoformat(born) if born else None,
        "address": subject.get("address", ""),
        "nhs_number": subject.get("nhs_number", ""),
        "other_identifiers": subject.get("other_identifiers", ""),
        "child_protection_plan": kind == SubjectKind.CHILD and "child_protection_plan" in circumstances,
        "looked_after": kind == SubjectKind.CHILD and "looked_after" in circumstances,
    }


def _answers(journey: Journey) -> list[dict]:
    """The rows of the "check your answers" list, each with the question to change it."""
    draft = journey.draft
    subject = draft.get("subject", {})
    version = journey.version
    rows = []
    if any(s.slug == "agency" for s in journey.steps()):
        rows.append({"key": "Raising for", "value": str(journey.agency), "step": "agency"})
    harm = "Yes" if draft.get("immediate_harm") else "No"
    rows.append({"key": "Risk of immediate harm", "value": harm, "step": "immediate-harm"})
    start_number = draft.get("start_stage") if draft.get("immediate_harm") else (version.start_stage if version else 1)
    stage = next((s for s in version.stages.all() if s.number == start_number), None) if version else None
    rows.append(
        {
            "key": "Starts at",
            "value": f"Stage {stage.number}: {stage.name}" if stage else "",
            "step": "urgent" if draft.get("immediate_harm") else None,
        }
    )
    kind_labels = {SubjectKind.CHILD: "A child", SubjectKind.ADULT: "An adult with care and support needs"}
    rows.append(
        {
            "key": "About",
            "value": kind_labels.get(journey.kind, ""),
            "step": "subject-kind" if len(journey.kinds()) > 1 else None,
        }
    )
    born = subject.get("date_of_birth")
    rows += [
        {"key": "Name", "value": subject.get("name", ""), "step": "subject"},
        {
            "key": "Date of birth",
            "value": datetime.date.fromisoformat(born) if born else "Not known",
            "step": "subject",
            "date": bool(born),
        },
        {"key": "Address", "value": subject.get("address") or "Not given", "step": "subject", "multiline": True},
        {"key": "NHS number", "value": nhs_number(subject.get("nhs_number", "")) or "Not given", "step": "subject"},
        {"key": "Other identifiers", "value": subject.get("other_identifiers") or "Not given", "step": "subject"},
    ]
    if journey.kind == SubjectKind.CHILD:
        labels = dict(forms.SubjectForm.base_fields["circumstances"].choices)
        chosen = [labels[c] for c in subject.get("circumstances", []) if c in labels]
        rows.append(
            {"key": "Child protection plan or looked after", "value": "; ".join(chosen) or "Neither", "step": "subject"}
        )
    worker = next((label for user, label, _ in journey.other_people() if user.pk == draft.get("other_worker")), None)
    rows += [
        {"key": "Other agency", "value": str(journey.other_agency or ""), "step": "other-agency"},
        {
            "key": "Who made the decision",
            "value": worker or "Not known: their managers will be told",
            "step": "decision-maker",
        },
        {
            "key": "What it is about",
            "value": version.category_label(draft["category"]) if version and draft.get("category") else "",
            "step": "category",
        },
        {"key": "The disagreement", "value": draft.get("description", ""), "step": "disagreement", "multiline": True},
        {"key": "What has been tried", "value": draft.get("attempts_so_far", ""), "step": "tried", "multiline": True},
        {
            "key": "Concern first considered",
            "value": _outset(journey) or "Not given: the day the dispute is raised is used",
            "step": "outset",
            "date": _outset(journey) is not None,
        },
    ]
    for row in rows:
        row["change_url"] = _step_url(next(s for s in STEPS if s.slug == row["step"]), True) if row["step"] else ""
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def check_answers(request: HttpRequest) -> HttpResponse:
    journey = Journey(request)
    if not journey.agencies:
        return _cannot_raise(request)
    gap = journey.first_incomplete()
    if gap is not None:
        return redirect(_step_url(gap))
    # Nothing to type here: the form only carries a refusal to the error summary.
    form = Form({} if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        draft = journey.draft
        try:
            dispute = services.raise_dispute(
                raised_by=request.user,
                raising_agency=journey.agency,
                other_agency=Agency.objects.get(pk=draft["other_agency"]),
                subject=_subject_for_service(journey),
                category=draft["category"],
                description=draft["description"],
                attempts_so_far=draft.get("attempts_so_far", ""),
                immediate_harm=bool(draft.get("immediate_harm")),
                start_stage=draft.get("start_stage") if draft.get("immediate_harm") else None,
                other_worker=get_user_model().objects.filter(pk=draft.get("other_worker") or None).first(),
                concern_outset=_outset(journey),
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            journey.clear()
            messages.success(request, f"Dispute {dispute.reference} raised. {dispute.other_agency} has been told.")
            return redirect("dispute", reference=dispute.reference)
    back = journey.steps()[-1]
    return render(
        request,
        "escalation/raise/check_answers.html",
        {"form": form, "answers": _answers(journey), "journey": journey, "back_url": _step_url(back)},
    )
