"""Policies in the Django admin: read the stored versions, and edit a policy as its YAML text.

Editing never changes a stored version: the text is checked by `policies.schema.parse_policy` (the same
checks as `manage.py check_policy`) and saved through `policies.services.load_policy_text`, which makes a
new version. Disputes keep the version they were raised under. A partnership admin sees the policies of
their own partnerships and may edit a policy only when no other partnership uses it.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from escalation.admin.partnerships import admin_partnership_ids
from policies.models import DeadlineRule, FormRequirement, NotificationRule, Policy, PolicyVersion, Stage
from policies.schema import PolicyFileError, parse_policy
from policies.services import export_policy, load_policy_text

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
        help_text="Saving makes a new version of the policy. Disputes already raised keep the version they were "
        "raised under; new disputes use the new one.",
    )

    class Meta:
        model = Policy
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.current_version if self.instance.pk else None
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


class VersionInline(ReadOnlyInline):
    model = PolicyVersion
    fields = ["number", "label", "loaded_at", "source_file", "open_link"]
    ordering = ["-number"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description="Stages and rules")
    def open_link(self, version: PolicyVersion) -> str:
        url = reverse("admin:policies_policyversion_change", args=[version.pk])
        return format_html('<a href="{}">Version {}</a>', url, version.number)


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
    list_display = ["name", "slug", "current_version_number", "used_by"]
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

    @admin.display(description="Current version (YAML)")
    def policy_text(self, policy: Policy) -> str:
        version = policy.current_version
        return format_html("<pre>{}</pre>", export_policy(version)) if version else "No version loaded"

    @admin.display(description="Current version")
    def current_version_number(self, policy: Policy) -> int | None:
        version = policy.current_version
        return version.number if version else None

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
        """Store the text as a new version (or nothing, when it is unchanged); the Policy row follows it."""
        from escalation.audit import trail as audit
        from escalation.audit.events import AuditEventType

        version, created = load_policy_text(form.cleaned_data["text"], source=POLICY_TEXT_SOURCE)
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
            f"Saved as version {version.number}. Disputes already raised keep the version they were raised under.",
        )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ScopedByPolicy, admin.ModelAdmin):
    """Stored versions, for reading: a version disputes use is never edited in place."""

    list_display = ["policy", "number", "label", "loaded_at"]
    list_filter = ["policy"]
    inlines = [StageInline, DeadlineRuleInline, NotificationRuleInline, FormRequirementInline]
    exclude = ["document"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        queryset = super().get_queryset(request).select_related("policy")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(policy__partnerships__in=admin_partnership_ids(request)).distinct()

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in PolicyVersion._meta.fields if field.name not in ("id", "document")]

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
