"""Every page of the app. Views live in escalation/web/views/, one module per area."""

from django.urls import path

from escalation.web.views import (
    approvals,
    audit,
    disputes,
    home,
    notifications,
    policies,
    raise_dispute,
    records,
    register,
    themes,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/<int:notification_id>/", notifications.open_notification, name="notification-open"),
    # Raising a dispute: a question-by-question journey, then check your answers.
    path("disputes/new/", raise_dispute.start, name="raise-start"),
    path("disputes/new/<slug:step>/", raise_dispute.step, name="raise-step"),
    path("disputes/new/check/answers/", raise_dispute.check_answers, name="raise-check"),
    # One dispute and what can be done to it.
    path("disputes/<str:reference>/", disputes.detail, name="dispute"),
    path("disputes/<str:reference>/record/", disputes.add_entry, name="dispute-add-entry"),
    path("disputes/<str:reference>/escalate/", disputes.propose_escalation, name="dispute-escalate"),
    path("disputes/<str:reference>/approve/", disputes.decide_escalation, name="dispute-decide"),
    path("disputes/<str:reference>/resolve/", disputes.resolve, name="dispute-resolve"),
    path("disputes/<str:reference>/decision/", disputes.record_decision, name="dispute-record-decision"),
    path("disputes/<str:reference>/confirm/", disputes.confirm_resolution, name="dispute-confirm-resolution"),
    path("disputes/<str:reference>/disagree/", disputes.reject_resolution, name="dispute-reject-resolution"),
    path("disputes/<str:reference>/no-response/", disputes.escalate_no_response, name="dispute-escalate-no-response"),
    path("disputes/<str:reference>/close/", disputes.close, name="dispute-close"),
    path("disputes/<str:reference>/withdraw/", disputes.withdraw, name="dispute-withdraw"),
    path("disputes/<str:reference>/immediate-harm/", disputes.flag_immediate_harm, name="dispute-flag-harm"),
    path("disputes/<str:reference>/deadlines/<int:deadline_id>/", disputes.deadline, name="dispute-deadline"),
    path("disputes/<str:reference>/record.pdf", records.download, name="dispute-record-pdf"),
    path("disputes/<str:reference>/audit/", audit.dispute_audit, name="dispute-audit"),
    path("approvals/", approvals.queue, name="approvals"),
    # The partnership's view: register, themes, policies.
    path("register/", register.register, name="register"),
    path("register.csv", register.export_csv, name="register-csv"),
    path("themes/", themes.themes, name="themes"),
    path("policies/", policies.index, name="policies"),
    path("policies/<slug:slug>/", policies.detail, name="policy"),
    path("policies/<slug:slug>/preview/", policies.preview, name="policy-preview"),
    path("policies/<slug:slug>/try/", policies.try_scenario, name="policy-try-scenario"),
]
