"""The client's address: X-Forwarded-For believed only from a trusted proxy, for the audit trail and the lockout."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from escalation.audit.models import AuditEvent
from escalation.observability.proxies import client_address
from tests.auth_helpers import login

PROXY = "10.0.0.5"
CLIENT = "203.0.113.7"
SPOOFED = "198.51.100.66"


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]
    return settings


class TestClientAddress:
    def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says(self, settings):
        settings.TRUSTED_PROXIES = []
        assert address(PROXY, CLIENT) == PROXY
        assert address(CLIENT) == CLIENT

    def test_from_a_trusted_proxy_the_forwarded_client_is_used(self, behind_proxy):
        assert address(PROXY, CLIENT) == CLIENT
        assert address(PROXY, f" {CLIENT} ") == CLIENT

    def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(self, behind_proxy):
        assert address(CLIENT, SPOOFED) == CLIENT

    def test_what_the_client_wrote_before_the_proxy_added_its_entry_is_ignored(self, behind_proxy):
        # The client sent "X-Forwarded-For: SPOOFED"; the proxy appended the address it saw.
        assert address(PROXY, f"{SPOOFED}, {CLIENT}") == CLIENT

    def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client(self, behind_proxy):
        assert address(PROXY, f"{SPOOFED}, {CLIENT}, 10.1.2.3") == CLIENT

    def test_a_malformed_entry_stops_the_walk(self, behind_proxy):
        assert address(PROXY, f"{CLIENT}, not-an-address") == PROXY
        assert address(PROXY, "") == PROXY

    def test_ipv6_and_ipv4_seen_through_ipv6(self, behind_proxy):
        assert address("fd00::1", "2001:db8::7") == "2001:db8::7"
        assert address("::ffff:10.0.0.5", CLIENT) == CLIENT
        assert address("::ffff:203.0.113.7") == CLIENT

    def test_no_peer_address(self, behind_proxy):
        assert address("") is None


@pytest.fixture
def dispute(bcssp):
    return bcssp.raise_dispute()


def view_dispute(bcssp, dispute, **extra) -> AuditEvent:
    client = Client()
    login(client, bcssp.teacher)
    response = client.get(reverse("dispute", kwargs={"reference": dispute.reference}), **extra)
    assert response.status_code == 200
    return AuditEvent.objects.filter(dispute_reference=dispute.reference).latest("id")


class TestAuditTrail:
    def test_the_audit_records_the_client_behind_a_trusted_proxy(self, behind_proxy, bcssp, dispute):
        event = view_dispute(bcssp, dispute, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
        assert event.ip_address == CLIENT

    def test_the_audit_ignores_a_header_from_an_untrusted_peer(self, behind_proxy, bcssp, dispute):
        event = view_dispute(bcssp, dispute, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=SPOOFED)
        assert event.ip_address == CLIENT


def fail_sign_in(bcssp, **extra) -> None:
    response = Client().post(
        reverse("login"), {"username": bcssp.teacher.username, "password": "not the password"}, **extra
    )
    assert response.status_code == 200


class TestLockout:
    def test_failures_are_counted_against_the_client_behind_a_trusted_proxy(self, behind_proxy, bcssp):
        fail_sign_in(bcssp, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}

    def test_a_spoofed_header_from_an_untrusted_peer_is_not_believed(self, behind_proxy, bcssp):
        fail_sign_in(bcssp, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=SPOOFED)
        fail_sign_in(bcssp, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="192.0.2.99")
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}

    def test_lockout_log_lines_name_neither_the_username_nor_the_address(self, behind_proxy, bcssp, caplog):
        with caplog.at_level("INFO", logger="axes"):
            fail_sign_in(bcssp, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
        lines = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
        assert any("New login failure by a sign-in (request " in line for line in lines)
        assert not [line for line in lines if bcssp.teacher.username in line or CLIENT in line]
