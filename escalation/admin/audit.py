"""The escalation app in the Django admin: the audit trail, read-only and for superusers only.

Disputes and everything recorded about them are deliberately not registered: case data is read through
`escalation.selectors` (the one access rule) and changed through `escalation.services`, never here.
"""

from django.contrib import admin

from escalation.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "dispute_reference", "partnership", "ip_address"]
    list_filter = ["action"]
    search_fields = ["dispute_reference", "actor_label", "action"]
    date_hierarchy = "at"
    list_select_related = ["partnership"]
    # The trail only grows: skip counting all of it on every page (Django ticket #8408).
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in AuditEvent._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
