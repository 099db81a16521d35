"""E-mail through a relay that wants TLS and a password: STARTTLS (port 587 style) and implicit TLS (465 style).

The relay is a real aiosmtpd server in the test with a throw-away self-signed certificate for "localhost"; the
app trusts it through SSL_CERT_FILE as it would trust a partnership's own certificate authority. The relay
refuses mail before TLS and a password before TLS, so a delivered message proves both happened.
"""

import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from escalation.notifications.delivery import deliver
from escalation.notifications.models import Notification
from tests.conftest import london
from tests.fixtures_services import free_port

T = london(2026, 3, 4, 9)
USER, PASSWORD = "escalations-relay", "relay-password-for-this-test"
Status = Notification.EmailStatus


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, valid for a day around now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def over_tls(server) -> bool:
    """Whether the relay's side of the connection is encrypted (after STARTTLS, or from the start)."""
    return server.transport.get_extra_info("ssl_object") is not None


@dataclass
class Received:
    tls: bool
    authenticated: bool
    login: str
    recipients: list[str]
    content: bytes


@dataclass
class RelayHandler:
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            Received(
                tls=over_tls(server),
                authenticated=session.authenticated,
                login=session.auth_data.login.decode() if session.auth_data else "",
                recipients=list(envelope.rcpt_tos),
                content=envelope.content,
            )
        )
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.logins.append((mechanism, over_tls(server)))
        return AuthResult(success=good, handled=False, auth_data=auth_data if good else None)


@pytest.fixture
def certificate(tmp_path):
    return make_certificate(tmp_path)


def start_relay(certificate, *, implicit_tls: bool) -> tuple[Controller, RelayHandler]:
    cert_path, key_path = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    handler = RelayHandler()
    options = {"ssl_context": server_context} if implicit_tls else {"tls_context": server_context}
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=handler.authenticate,
        # Over implicit TLS every connection is encrypted (aiosmtpd only knows about STARTTLS here).
        auth_require_tls=not implicit_tls,
        require_starttls=not implicit_tls,
        server_hostname="relay.test",
        **options,
    )
    controller.start()
    return controller, handler


@pytest.fixture
def relay_settings(settings, certificate, monkeypatch):
    """The app set up for a relay on localhost that it trusts (the certificate as its CA bundle)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    settings.EMAIL_HOST_USER = USER
    settings.EMAIL_HOST_PASSWORD = PASSWORD
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://escalations.example.org"
    return settings


@pytest.fixture
def outbox_row(bcssp):
    dispute = bcssp.raise_dispute(now=T - datetime.timedelta(days=1))
    Notification.objects.all().delete()
    return Notification.objects.create(
        dispute=dispute,
        recipient=bcssp.team_manager,
        event="deadline_breached",
        headline=f"{dispute.reference}: deadline missed",
        created_at=T,
        email_next_attempt_at=T,
        email_status=Status.PENDING,
    )


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "implicit-tls"])
def test_sent_over_tls_after_signing_in_to_the_relay(relay_settings, certificate, outbox_row, implicit_tls):
    controller, handler = start_relay(certificate, implicit_tls=implicit_tls)
    try:
        relay_settings.EMAIL_PORT = controller.port
        relay_settings.EMAIL_USE_TLS = not implicit_tls
        relay_settings.EMAIL_USE_SSL = implicit_tls
        assert deliver(outbox_row.pk, now=T).status == "sent"
    finally:
        controller.stop()
    (message,) = handler.received
    assert message.tls and message.authenticated and message.login == USER
    assert handler.logins and all(over_tls for _, over_tls in handler.logins)
    assert message.recipients == [outbox_row.recipient.email]
    assert outbox_row.dispute.reference.encode() in message.content
    outbox_row.refresh_from_db()
    assert outbox_row.email_status == Status.SENT


def test_without_starttls_the_relay_takes_nothing_and_the_row_waits(relay_settings, certificate, outbox_row):
    controller, handler = start_relay(certificate, implicit_tls=False)
    try:
        relay_settings.EMAIL_PORT = controller.port
        relay_settings.EMAIL_HOST_USER = relay_settings.EMAIL_HOST_PASSWORD = ""
        assert deliver(outbox_row.pk, now=T).status == "failed"
    finally:
        controller.stop()
    assert handler.received == []
    outbox_row.refresh_from_db()
    assert outbox_row.email_status == Status.FAILED and "530" in outbox_row.email_error


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(
    relay_settings, certificate, outbox_row, tmp_path, monkeypatch
):
    (tmp_path / "other").mkdir()
    other_certificate, _ = make_certificate(tmp_path / "other")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_certificate))  # the app trusts a different certificate
    controller, handler = start_relay(certificate, implicit_tls=False)
    try:
        relay_settings.EMAIL_PORT = controller.port
        relay_settings.EMAIL_USE_TLS = True
        assert deliver(outbox_row.pk, now=T).status == "failed"
    finally:
        controller.stop()
    assert handler.received == [] and handler.logins == []
    outbox_row.refresh_from_db()
    assert outbox_row.email_status == Status.FAILED
    assert "CERTIFICATE_VERIFY_FAILED" in outbox_row.email_error


def test_a_wrong_password_is_not_sent_over_plain_text(relay_settings, certificate, outbox_row):
    controller, handler = start_relay(certificate, implicit_tls=False)
    try:
        relay_settings.EMAIL_PORT = controller.port
        relay_settings.EMAIL_USE_TLS = True
        relay_settings.EMAIL_HOST_PASSWORD = "not-the-password"
        assert deliver(outbox_row.pk, now=T).status == "failed"
    finally:
        controller.stop()
    assert handler.received == []
    assert handler.logins and all(over_tls for _, over_tls in handler.logins)
