"""Policies in the Django admin: read the stored versions, edit a policy as its YAML text, publish a draft and
move open disputes onto a corrected version.

Editing never changes a stored version: the text is checked by `policies.schema.parse_policy` (the same
checks as `manage.py check_policy`) and saved through `policies.services.load_policy_text` as a new **draft**
version, which governs nothing until an admin publishes it (a confirmation page shows what changed from the
published version). Disputes keep the version they were raised under until an admin moves them: the "Move open
disputes" page previews, per open dispute, the deadlines that move, start or stop and who would be told, then
moves the chosen ones (`escalation.disputes.policy_versions`, audited per dispute). It shows references, stages
and deadlines only: no case details. A partnership admin sees the policies of their own partnerships and may
edit, publish and move disputes only when no other partnership uses the policy.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from escalation.admin.partnerships import admin_partnership_ids
from escalation.disputes.permissions import ActionRefused
from escalation.disputes.policy_versions import (
    apply_version_change,
    changes_on_publishing,
    disputes_to_move,
    preview_version_change,
    publish_policy_version,
)
from policies.models import DeadlineRule, FormRequirement, NotificationRule, Policy, PolicyVersion, Stage
from policies.schema import PolicyFileError, parse_policy
from policies.services import export_policy, load_policy_text, publish_refusal
from policies.vocabulary import PublicationStatus

POLICY_TEXT_SOURCE = "policy text"


def _partnership_ids_of(policy: Policy) -> set[int]:
    return set(policy.partnerships.values_list("pk", flat=True))


def may_view(request: HttpRequest, policy: Policy | None) -> bool:
    if request.user.is_superuser:
        return True
    mine = admin_partnership_ids(request)
    return bool(mine) and (policy is None or bool(_partnership_ids_of(policy) & mine))


def may_edit(request: HttpRequest, policy: Policy | None) -> bool:
    if request.user.is_superuser:
        return True
    mine = admin_partnership_ids(request)
    if not mine:
        return False
    if policy is None:
        return True
    users = _partnership_ids_of(policy)
    return bool(users) and users <= mine


class PolicyTextForm(forms.ModelForm):
    """The whole policy as YAML, checked as `check_policy` checks a file."""

    text = forms.CharField(
        label="Policy (YAML)",
        widget=forms.Textarea(
            attrs={"rows": 40, "cols": 110, "spellcheck": "false", "wrap": "off", "class": "vLargeTextField"}
        ),
        help_text="Saving makes a new draft version of the policy. A draft governs nothing until you publish it; "
        "then new disputes use it, and disputes already raised keep their version until you move them.",
    )

    class Meta:
        model = Policy
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.latest_version if self.instance.pk else None
        if version is not None and not self.is_bound:
            self.fields["text"].initial = export_policy(version)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            spec = parse_policy(text, source=POLICY_TEXT_SOURCE)
        except PolicyFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        if self.instance.pk and spec.slug != self.instance.slug:
            raise forms.ValidationError(
                f"slug: keep it as {self.instance.slug}; a different slug would be a different policy"
            )
        return text


class ReadOnlyInline(admin.TabularInline):
    """Rows of a stored policy version: shown, never changed."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in ("id", "version")]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return may_view(request, obj.policy if isinstance(obj, PolicyVersion) else obj)


def version_url(version: PolicyVersion, page: str = "change") -> str:
    return reverse(f"admin:policies_policyversion_{page}", args=[version.pk])


def next_step_link(version: PolicyVersion) -> str:
    """A draft's "Publish" link, or a published version's "Move open disputes" link."""
    if version.status == PublicationStatus.DRAFT:
        return format_html('<a href="{}">Publish version {}</a>', version_url(version, "publish"), version.number)
    return format_html('<a href="{}">Move open disputes to it</a>', version_url(version, "move_disputes"))


class VersionInline(ReadOnlyInline):
    model = PolicyVersion
    fields = ["number", "label", "status", "published_at", "loaded_at", "source_file", "open_link", "next_step"]
    ordering = ["-number"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description="Stages and rules")
    def open_link(self, version: PolicyVersion) -> str:
        return format_html('<a href="{}">Version {}</a>', version_url(version), version.number)

    @admin.display(description="Next step")
    def next_step(self, version: PolicyVersion) -> str:
        return next_step_link(version)


class StageInline(ReadOnlyInline):
    model = Stage


class DeadlineRuleInline(ReadOnlyInline):
    model = DeadlineRule


class NotificationRuleInline(ReadOnlyInline):
    model = NotificationRule


class FormRequirementInline(ReadOnlyInline):
    model = FormRequirement


class ScopedByPolicy:
    """Object pages outside the admin's partnerships are 404s rather than the admin's redirect."""

    def _object_or_404(self, request, object_id):
        if self.get_object(request, admin.utils.unquote(object_id)) is None:
            raise Http404("Not found")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)


@admin.register(Policy)
class PolicyAdmin(ScopedByPolicy, admin.ModelAdmin):
    form = PolicyTextForm
    list_display = ["name", "slug", "current_version_number", "draft", "used_by"]
    search_fields = ["name", "slug"]
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Policy]:
        queryset = super().get_queryset(request).prefetch_related("partnerships")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(partnerships__in=admin_partnership_ids(request)).distinct()

    def get_fields(self, request, obj=None):
        return ["text"] if self.has_change_permission(request, obj) else ["name", "slug", "policy_text"]

    def get_readonly_fields(self, request, obj=None):
        return [] if self.has_change_permission(request, obj) else ["name", "slug", "policy_text"]

    @admin.display(description="Published version (YAML)")
    def policy_text(self, policy: Policy) -> str:
        version = policy.current_version
        return format_html("<pre>{}</pre>", export_policy(version)) if version else "No version loaded"

    @admin.display(description="Published version")
    def current_version_number(self, policy: Policy) -> int | None:
        version = policy.current_version
        return version.number if version else None

    @admin.display(description="Draft")
    def draft(self, policy: Policy) -> str:
        latest = policy.latest_version
        if latest is None or latest.status != PublicationStatus.DRAFT:
            return "-"
        return format_html('<a href="{}">Version {} (draft)</a>', version_url(latest, "publish"), latest.number)

    @admin.display(description="Used by")
    def used_by(self, policy: Policy) -> str:
        return ", ".join(p.name for p in policy.partnerships.all())

    def has_module_permission(self, request):
        return may_view(request, None)

    def has_view_permission(self, request, obj=None):
        return may_view(request, obj)

    def has_change_permission(self, request, obj=None):
        return may_edit(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        """Store the text as a new draft (or nothing, when it is unchanged); the Policy row follows it."""
        from escalation.audit import trail as audit
        from escalation.audit.events import AuditEventType

        version, created = load_policy_text(
            form.cleaned_data["text"], source=POLICY_TEXT_SOURCE, status=PublicationStatus.DRAFT
        )
        form.instance = obj = version.policy
        if not created:
            messages.info(request, f"No change: the text is the same as version {version.number}.")
            return
        partnership = obj.partnerships.order_by("name").first()
        audit.record(
            request.user,
            AuditEventType.POLICY_VERSION_CREATED,
            obj=version,
            partnership=partnership,
            after={"policy": obj.slug, "version": version.number, "content_hash": version.content_hash},
        )
        messages.success(
            request,
            format_html(
                "Saved as draft version {}. It governs nothing until you publish it: "
                '<a href="{}">check what changed and publish it</a>. You can try a scenario on it first.',
                version.number,
                version_url(version, "publish"),
            ),
        )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ScopedByPolicy, admin.ModelAdmin):
    """Stored versions, for reading: a version disputes use is never edited in place."""

    list_display = ["policy", "number", "label", "status", "loaded_at"]
    list_filter = ["policy"]
    inlines = [StageInline, DeadlineRuleInline, NotificationRuleInline, FormRequirementInline]
    exclude = ["document"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        queryset = super().get_queryset(request).select_related("policy")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(policy__partnerships__in=admin_partnership_ids(request)).distinct()

    def get_readonly_fields(self, request, obj=None):
        names = [field.name for field in PolicyVersion._meta.fields if field.name not in ("id", "document")]
        return [*names, "next_step"]

    @admin.display(description="Next step")
    def next_step(self, version: PolicyVersion) -> str:
        return next_step_link(version)

    def get_list_filter(self, request):
        return self.list_filter if request.user.is_superuser else []

    def has_module_permission(self, request):
        return may_view(request, None)

    def has_view_permission(self, request, obj=None):
        return may_view(request, obj.policy if obj is not None else None)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Publishing, and moving open disputes ----------------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="policies_policyversion_publish",
            ),
            path(
                "<path:object_id>/move-disputes/",
                self.admin_site.admin_view(self.move_disputes_view),
                name="policies_policyversion_move_disputes",
            ),
        ]
        return own + super().get_urls()

    def _managed_version(self, request: HttpRequest, object_id: str) -> PolicyVersion:
        """The version, if the admin sees it (else 404) and may manage its policy (else 403)."""
        version = self.get_object(request, admin.utils.unquote(object_id))
        if version is None:
            raise Http404("Not found")
        if not may_edit(request, version.policy):
            raise PermissionDenied
        return version

    def _page(self, request: HttpRequest, template: str, version: PolicyVersion, title: str, **context):
        return TemplateResponse(
            request,
            f"admin/policies/policyversion/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": version,
                "version": version,
                "title": title,
                **context,
            },
        )

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """What publishing the draft changes from the published version; publishing on confirmation."""
        version = self._managed_version(request, object_id)
        if request.method == "POST":
            try:
                publish_policy_version(version=version, by=request.user, now=timezone.now())
            except ActionRefused as exc:
                messages.error(request, str(exc))
                return redirect(version_url(version, "publish"))
            messages.success(request, f"Version {version.number} is published: new disputes are raised under it.")
            if disputes_to_move(version).exists():
                return redirect(version_url(version, "move_disputes"))
            return redirect(version_url(version))
        return self._page(
            request,
            "publish.html",
            version,
            f"Publish version {version.number} of {version.policy}?",
            previous=version.policy.current_version,
            changes=changes_on_publishing(version),
            refusal=publish_refusal(version),
        )

    def _disputes(self, request: HttpRequest, version: PolicyVersion):
        disputes = disputes_to_move(version)
        if not request.user.is_superuser:
            disputes = disputes.filter(partnership__in=admin_partnership_ids(request))
        return disputes

    def move_disputes_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A preview of what moving each open dispute to this version changes; the chosen ones moved on POST."""
        version = self._managed_version(request, object_id)
        disputes = list(self._disputes(request, version))
        if request.method == "POST":
            chosen = set(request.POST.getlist("dispute"))
            moved, refused = [], []
            for dispute in disputes:
                if str(dispute.pk) not in chosen:
                    continue
                try:
                    apply_version_change(dispute=dispute, version=version, by=request.user, now=timezone.now())
                except ActionRefused as exc:
                    refused.append(f"{dispute.reference}: {exc}")
                else:
                    moved.append(dispute.reference)
            if moved:
                messages.success(request, f"Moved to version {version.number}: {', '.join(moved)}.")
            for problem in refused:
                messages.error(request, problem)
            if not moved and not refused:
                messages.warning(request, "Choose at least one dispute to move.")
            return redirect(version_url(version, "move_disputes"))
        now = timezone.now()
        rows = [(dispute.pk, preview_version_change(dispute, version, now)) for dispute in disputes]
        return self._page(
            request,
            "move_disputes.html",
            version,
            f"Move open disputes to version {version.number} of {version.policy}",
            rows=rows,
            refusal=""
            if version.status == PublicationStatus.PUBLISHED
            else "This version is a draft: publish it before moving disputes to it.",
        )
