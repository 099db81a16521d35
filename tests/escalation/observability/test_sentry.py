"""Sentry: on only when SENTRY_DSN is set, and what reaches it holds no personal data."""

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings

from escalation.observability.sentry import scrub_event
from tests.security.test_headers import production_env

PERSONAL = ["Jo Bloggs", "jo.bloggs@school.example.org", "2015-04-01", "sessionid-value", "csrftoken-value"]


def django_event() -> dict:
    """An error event as the Django integration builds it for a form post by a signed-in person."""
    return {
        "message": "could not send to jo.bloggs@school.example.org",
        "request": {
            "url": "https://escalations.example.org/disputes/new/?name=Jo+Bloggs",
            "method": "POST",
            "query_string": "name=Jo+Bloggs",
            "data": {"subject_name": "Jo Bloggs", "date_of_birth": "2015-04-01"},
            "cookies": {"__Host-sessionid": "sessionid-value", "__Host-csrftoken": "csrftoken-value"},
            "headers": {
                "Cookie": "__Host-sessionid=sessionid-value",
                "User-Agent": "Firefox",
                "X-Request-ID": "abc123",
                "Referer": "https://escalations.example.org/search/?q=Jo+Bloggs",
            },
            "env": {"REMOTE_ADDR": "203.0.113.7"},
        },
        "user": {"id": 7, "email": "jo.bloggs@school.example.org", "username": "jbloggs", "ip_address": "203.0.113.7"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "no account for jo.bloggs@school.example.org",
                    "stacktrace": {"frames": [{"function": "post", "vars": {"name": "'Jo Bloggs'"}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT ...", "data": {"db.params": ["Jo Bloggs"]}},
                {"category": "escalation", "message": "sent to jo.bloggs@school.example.org"},
            ]
        },
        "logentry": {"message": "sent to %s", "params": ["jo.bloggs@school.example.org"]},
        "extra": {"form": {"subject_name": "Jo Bloggs"}},
    }


def test_the_scrubber_leaves_no_personal_data():
    event = scrub_event(django_event(), {})
    text = json.dumps(event)
    assert [value for value in PERSONAL if value in text] == []
    assert event["user"] == {"id": 7}
    assert event["request"]["headers"] == {"User-Agent": "Firefox", "X-Request-ID": "abc123"}
    assert event["request"]["url"] == "https://escalations.example.org/disputes/new/"
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["exception"]["values"][0]["stacktrace"]["frames"] == [{"function": "post"}]


PROBE_URLS = """
from django.urls import path

def boom(request):
    raise ValueError("no account for " + request.POST["email"])

urlpatterns = [path("boom/", boom)]
"""

PROBE = """
import json
import django
django.setup()
import sentry_sdk
from django.test import Client, override_settings
options = sentry_sdk.get_client().options
with override_settings(ROOT_URLCONF="sentry_probe_urls", ALLOWED_HOSTS=["testserver"]):
    client = Client(raise_request_exception=False)
    client.cookies["preferences"] = "sessionid-value"  # any cookie: the probe has no session table
    form = {"subject_name": "Jo Bloggs", "date_of_birth": "2015-04-01", "email": "jo.bloggs@school.example.org"}
    response = client.post("/boom/?name=Jo+Bloggs", form, secure=True)
sentry_sdk.flush(timeout=10)
print(json.dumps({"status": response.status_code, "pii": options["send_default_pii"],
                  "locals": options["include_local_variables"]}))
"""


def fake_sentry() -> tuple[ThreadingHTTPServer, list[bytes]]:
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":  # the SDK prefers Brotli where the module is installed
                import brotli

                body = brotli.decompress(body)
            received.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def run_probe(tmp_path, **env: str) -> dict:
    (tmp_path / "sentry_probe_urls.py").write_text(PROBE_URLS)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=production_env(PYTHONPATH=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_error_reaches_sentry_without_personal_data(tmp_path):
    server, received = fake_sentry()
    try:
        seen = run_probe(tmp_path, SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_address[1]}/1")
    finally:
        server.shutdown()
        server.server_close()
    assert seen == {"status": 500, "pii": False, "locals": False}
    envelope = b"".join(received).decode()
    assert "ValueError" in envelope and "boom" in envelope
    assert [value for value in PERSONAL if value in envelope] == []


def test_without_a_dsn_sentry_is_off(tmp_path):
    server, received = fake_sentry()
    try:
        run_probe(tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert received == []
