"""The Django admin for partnership admins: each sees and changes only their own partnership's set-up.

A partnership admin is a user with a `Role.ADMIN` membership and `is_staff` (the admin site lets in staff
only). Superusers see everything. Disputes are not in the admin at all: case data stays behind the access
rule in `escalation.selectors`. Object pages outside the admin's partnerships are 404s, not redirects.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from agencies.models import Agency, ClosureDay, Membership, OfficeHolder, Partnership, Role
from escalation.access.services import add_office_holder, change_office_holder, remove_office_holder
from escalation.accounts.roles import grant_role, remove_role
from escalation.disputes.deadline_changes import (
    CALENDAR_SETTINGS,
    add_closure_day,
    calendar_refusal,
    change_calendar,
    change_closure_day,
    remove_closure_day,
)
from escalation.privacy.retention import change_retention


def admin_partnership_ids(request: HttpRequest) -> frozenset[int]:
    """The partnerships this request's user administers (cached on the request)."""
    cached = getattr(request, "_admin_partnership_ids", None)
    if cached is None:
        user = request.user
        cached = frozenset()
        if user.is_active and user.is_staff:
            cached = frozenset(
                Membership.objects.filter(user=user, role=Role.ADMIN).values_list("agency__partnership_id", flat=True)
            )
        request._admin_partnership_ids = cached
    return cached


class PartnershipScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin limited to the objects of the partnerships the user administers.

    `partnership_lookup` is the query path from the model to its partnership's id.
    """

    partnership_lookup = "partnership_id"

    def partnership_id_of(self, obj) -> int | None:
        value = obj
        for part in self.partnership_lookup.split("__"):
            value = getattr(value, part, None)
        return value

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.partnership_lookup}__in": admin_partnership_ids(request)})

    def in_scope(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        ids = admin_partnership_ids(request)
        return bool(ids) and (obj is None or self.partnership_id_of(obj) in ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.in_scope(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.in_scope(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.in_scope(request, obj)

    def _object_or_404(self, request: HttpRequest, object_id: str) -> None:
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("Not found")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def scoped_partnerships(self, request: HttpRequest) -> QuerySet[Partnership]:
        if request.user.is_superuser:
            return Partnership.objects.all()
        return Partnership.objects.filter(pk__in=admin_partnership_ids(request))

    def scoped_agencies(self, request: HttpRequest) -> QuerySet[Agency]:
        return Agency.objects.filter(partnership__in=self.scoped_partnerships(request)).select_related("partnership")


def save_closure_days(request: HttpRequest, partnership: Partnership, formset) -> None:
    """Apply the closure days' formset through the calendar services, so each change moves open deadlines.

    Removals go first, so a day removed and added again in one save is not refused as a second closure.
    """
    now = timezone.now()
    formset.save(commit=False)
    for closure in formset.deleted_objects:
        remove_closure_day(closure_day=closure, changed_by=request.user, now=now)
    for closure, _ in formset.changed_objects:
        change_closure_day(
            closure_day=closure, date=closure.date, reason=closure.reason, changed_by=request.user, now=now
        )
    for closure in formset.new_objects:
        added = add_closure_day(
            partnership=partnership, date=closure.date, reason=closure.reason, changed_by=request.user, now=now
        )
        closure.pk = added.pk


class PartnershipForm(forms.ModelForm):
    def clean_default_stage_working_days(self) -> int:
        days = self.cleaned_data["default_stage_working_days"]
        problem = calendar_refusal(default_stage_working_days=days)
        if problem:
            raise forms.ValidationError(problem)
        return days


class ClosureDayInline(admin.TabularInline):
    """A partnership's closure days; the partnership's page saves them through the calendar services."""

    model = ClosureDay
    extra = 1
    fields = ["date", "reason"]

    def _in_scope(self, request: HttpRequest, obj) -> bool:
        """`obj` is the partnership; None when Django asks for the inline's queryset, which the formset then
        limits to the partnership of a page already in scope. Refusing that would hide the existing days."""
        if request.user.is_superuser:
            return True
        ids = admin_partnership_ids(request)
        return bool(ids) and (obj is None or obj.pk in ids)

    def has_view_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._in_scope(request, obj)


@admin.register(Partnership)
class PartnershipAdmin(PartnershipScopedAdmin):
    partnership_lookup = "id"
    form = PartnershipForm
    list_display = ["name", "reference_prefix", "policy", "nation"]
    search_fields = ["name"]
    inlines = [ClosureDayInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "reference_prefix", "nation"]}),
        ("Policy and deadlines", {"fields": ["policy", "close_of_business", "default_stage_working_days"]}),
        ("Urgent contacts", {"fields": ["urgent_contacts"]}),
        ("Records", {"fields": ["retention_days"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The prefix starts every reference already given out; only a superuser may change who it is.
        return [] if request.user.is_superuser else ["slug", "reference_prefix"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        """The calendar settings go through `change_calendar`, which moves open deadlines and audits the change; the
        retention period through `change_retention`, which holds the floor and audits the change."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        wanted = {name: getattr(obj, name) for name in CALENDAR_SETTINGS}
        retention = obj.retention_days
        stored = Partnership.objects.get(pk=obj.pk)
        for name in (*CALENDAR_SETTINGS, "retention_days"):
            setattr(obj, name, getattr(stored, name))
        super().save_model(request, obj, form, change)
        now = timezone.now()
        change_calendar(partnership=obj, changed_by=request.user, now=now, **wanted)
        change_retention(partnership=obj, days=retention, changed_by=request.user, now=now)

    def save_formset(self, request, form, formset, change):
        if formset.model is ClosureDay and change:
            save_closure_days(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "policy" and not request.user.is_superuser:
            from policies.models import Policy

            mine = admin_partnership_ids(request)
            # A policy another partnership uses is theirs to edit: offer the unused ones and the admin's own.
            kwargs["queryset"] = Policy.objects.exclude(
                Q(partnerships__isnull=False) & ~Q(partnerships__in=mine)
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Agency)
class AgencyAdmin(PartnershipScopedAdmin):
    list_display = ["name", "sector", "is_health", "partnership"]
    list_filter = ["sector", ("partnership", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partnership":
            kwargs["queryset"] = self.scoped_partnerships(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(PartnershipScopedAdmin):
    """Who holds which role. Partnership admins read it here and change roles on the People pages, where every
    grant and removal goes through `escalation.accounts.roles` (audited; nobody changes their own; business
    manager and chair wait for the chair's approval). Superusers may add and remove roles here, through the
    same services."""

    partnership_lookup = "agency__partnership_id"
    list_display = ["user", "role", "agency", "designation"]
    list_filter = ["role", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "agency__name"]
    list_select_related = ["user", "agency"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        # A different role, agency or person is a removal and a grant, each through the services.
        return ["user", "agency", "role"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        granted = grant_role(
            user=obj.user,
            agency=obj.agency,
            role=obj.role,
            designation=obj.designation,
            granted_by=request.user,
            now=timezone.now(),
        )
        obj.pk = granted.pk
        if obj.phone:
            Membership.objects.filter(pk=obj.pk).update(phone=obj.phone)

    def delete_model(self, request, obj):
        remove_role(membership=obj, removed_by=request.user, now=timezone.now())

    def delete_queryset(self, request, queryset):
        now = timezone.now()
        for membership in queryset:
            remove_role(membership=membership, removed_by=request.user, now=now)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            kwargs["queryset"] = self.scoped_agencies(request)
        elif db_field.name == "user":
            kwargs["queryset"] = user_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ClosureDay)
class ClosureDayAdmin(PartnershipScopedAdmin):
    list_display = ["date", "reason", "partnership"]
    list_filter = [("partnership", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "date"

    def get_readonly_fields(self, request, obj=None):
        # Moving a closure day to another partnership is removing it from one and adding it to the other.
        return ["partnership"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        now = timezone.now()
        if change:
            change_closure_day(closure_day=obj, date=obj.date, reason=obj.reason, changed_by=request.user, now=now)
        else:
            obj.pk = add_closure_day(
                partnership=obj.partnership, date=obj.date, reason=obj.reason, changed_by=request.user, now=now
            ).pk

    def delete_model(self, request, obj):
        remove_closure_day(closure_day=obj, changed_by=request.user, now=timezone.now())

    def delete_queryset(self, request, queryset):
        now = timezone.now()
        for closure in queryset.select_related("partnership"):
            remove_closure_day(closure_day=closure, changed_by=request.user, now=now)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partnership":
            kwargs["queryset"] = self.scoped_partnerships(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def user_choices(request: HttpRequest) -> QuerySet:
    """The accounts a partnership admin may name: people already in their partnerships (as a member or an office
    holder) and new accounts in no partnership yet, never themselves. Superusers may name anyone."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.all()
    if request.user.is_superuser:
        return users.order_by("username")
    # Nobody names themselves: their own roles and offices are someone else's to change.
    users = users.exclude(pk=request.user.pk)
    mine = admin_partnership_ids(request)
    return (
        users.filter(
            Q(memberships__agency__partnership__in=mine)
            | Q(offices_held__partnership__in=mine)
            | Q(memberships__isnull=True, offices_held__isnull=True),
            is_superuser=False,
        )
        .distinct()
        .order_by("username")
    )


@admin.register(OfficeHolder)
class OfficeHolderAdmin(PartnershipScopedAdmin):
    """Who holds each partnership office (the CP chair, the designated nurse, ...): people outside the two
    agencies of a dispute whom a policy rule may bring in. Each change goes through an audited service."""

    list_display = ["office", "user", "since", "note", "partnership"]
    list_filter = ["office", ("partnership", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "partnership"]
    fields = ["partnership", "office", "user", "since", "note"]

    def get_readonly_fields(self, request, obj=None):
        # A holding belongs to its partnership: one elsewhere is removed here and added there.
        return ["partnership"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        now = timezone.now()
        if change:
            change_office_holder(
                holder=obj,
                office=obj.office,
                user=obj.user,
                since=obj.since,
                note=obj.note,
                changed_by=request.user,
                now=now,
            )
        else:
            obj.pk = add_office_holder(
                partnership=obj.partnership,
                office=obj.office,
                user=obj.user,
                since=obj.since,
                note=obj.note,
                added_by=request.user,
                now=now,
            ).pk

    def delete_model(self, request, obj):
        remove_office_holder(holder=obj, removed_by=request.user, now=timezone.now())

    def delete_queryset(self, request, queryset):
        now = timezone.now()
        for holder in queryset:
            remove_office_holder(holder=holder, removed_by=request.user, now=now)

    def get_changeform_initial_data(self, request):
        """An admin of one partnership does not have to choose it."""
        initial = super().get_changeform_initial_data(request)
        partnerships = list(self.scoped_partnerships(request).values_list("pk", flat=True)[:2])
        if len(partnerships) == 1:
            initial.setdefault("partnership", partnerships[0])
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partnership":
            kwargs["queryset"] = self.scoped_partnerships(request)
        elif db_field.name == "user":
            kwargs["queryset"] = user_choices(request).order_by("last_name", "first_name", "username")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label = "Person"
            field.label_from_instance = _person_label
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _person_label(user) -> str:
    """A person as the admin chooses them: their name, with the username to tell namesakes apart."""
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


admin.site.site_header = "Safeguarding escalations: partnership set-up"
admin.site.site_title = "Partnership set-up"
admin.site.index_title = "Your partnership's set-up"
