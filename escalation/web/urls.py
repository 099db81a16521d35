"""Every page of the app. Views live in escalation/web/views/, one module per area."""

from django.urls import path, register_converter

from escalation.web.views import (
    approvals,
    audit,
    disputes,
    home,
    notifications,
    people,
    people_import,
    policies,
    raise_dispute,
    records,
    register,
    themes,
)


class DisputeReference:
    """A dispute reference as the app writes them (PREFIX-2026-0042): letters, digits and hyphens, at most 30.
    Anything else, a NUL byte or a slash among them, is a 404 before any view or query runs."""

    regex = "[A-Za-z0-9][A-Za-z0-9-]{0,29}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DisputeReference, "ref")

urlpatterns = [
    path("", home.home, name="home"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/<int:notification_id>/", notifications.open_notification, name="notification-open"),
    # Raising a dispute: a question-by-question journey, then check your answers.
    path("disputes/new/", raise_dispute.start, name="raise-start"),
    path("disputes/new/<slug:step>/", raise_dispute.step, name="raise-step"),
    path("disputes/new/check/answers/", raise_dispute.check_answers, name="raise-check"),
    # One dispute and what can be done to it.
    path("disputes/<ref:reference>/", disputes.detail, name="dispute"),
    path("disputes/<ref:reference>/record/", disputes.add_entry, name="dispute-add-entry"),
    path("disputes/<ref:reference>/escalate/", disputes.propose_escalation, name="dispute-escalate"),
    path("disputes/<ref:reference>/approve/", disputes.decide_escalation, name="dispute-decide"),
    path("disputes/<ref:reference>/resolve/", disputes.resolve, name="dispute-resolve"),
    path("disputes/<ref:reference>/decision/", disputes.record_decision, name="dispute-record-decision"),
    path("disputes/<ref:reference>/confirm/", disputes.confirm_resolution, name="dispute-confirm-resolution"),
    path("disputes/<ref:reference>/disagree/", disputes.reject_resolution, name="dispute-reject-resolution"),
    path(
        "disputes/<ref:reference>/no-response/",
        disputes.escalate_no_response,
        name="dispute-escalate-no-response",
    ),
    path("disputes/<ref:reference>/close/", disputes.close, name="dispute-close"),
    path("disputes/<ref:reference>/withdraw/", disputes.withdraw, name="dispute-withdraw"),
    path("disputes/<ref:reference>/immediate-harm/", disputes.flag_immediate_harm, name="dispute-flag-harm"),
    path("disputes/<ref:reference>/deadlines/<int:deadline_id>/", disputes.deadline, name="dispute-deadline"),
    path("disputes/<ref:reference>/record.pdf", records.download, name="dispute-record-pdf"),
    path("disputes/<ref:reference>/audit/", audit.dispute_audit, name="dispute-audit"),
    path("approvals/", approvals.queue, name="approvals"),
    # The partnership's view: register, themes, policies.
    path("register/", register.register, name="register"),
    path("register.csv", register.export_csv, name="register-csv"),
    path("themes/", themes.themes, name="themes"),
    path("policies/", policies.index, name="policies"),
    # People: a partnership admin's accounts (invite, roles, suspend); the chair's approvals of grants.
    path("people/", people.people, name="people"),
    path("people/invite/", people.invite, name="people-invite"),
    path("people/import/", people_import.upload, name="people-import"),
    path("people/import/apply/", people_import.apply, name="people-import-apply"),
    path("people/import/template.csv", people_import.template_csv, name="people-import-template"),
    path("people/role-requests/", people.role_requests, name="role-requests"),
    path("people/<int:user_id>/", people.person, name="person"),
    path("people/<int:user_id>/roles/add/", people.add_role, name="person-add-role"),
    path("people/<int:user_id>/roles/remove/", people.remove_role, name="person-remove-role"),
    path("people/<int:user_id>/suspend/", people.suspend, name="person-suspend"),
    path("people/<int:user_id>/reinstate/", people.reinstate, name="person-reinstate"),
    path("people/<int:user_id>/invitation/", people.resend, name="person-resend-invitation"),
    path("policies/<slug:slug>/", policies.detail, name="policy"),
    path("policies/<slug:slug>/preview/", policies.preview, name="policy-preview"),
    path("policies/<slug:slug>/try/", policies.try_scenario, name="policy-try-scenario"),
]
