from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalation.accounts.sessions import end_sessions_of
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType


class Command(BaseCommand):
    help = (
        "Remove a person's authenticator app (lost or replaced phone) and sign them out everywhere. "
        "They set up a new app at their next sign-in. Check who is asking before running it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()  # their backup codes go with the app
        end_sessions_of(user)
        audit.record(
            None, AuditEventType.ACCOUNT_TWO_FACTOR_RESET, obj=user, after={"username": username, "devices": removed}
        )
        self.stdout.write(f"Removed {removed} authenticator app(s) from {username} and signed them out everywhere.")
