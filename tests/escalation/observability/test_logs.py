"""Log lines: JSON in production with time, level, logger, message, request id and user id, and no personal data;
the request id taken from a trusted proxy or made, and returned on the response."""

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from escalation.observability.logs import JsonFormatter, RequestContextFilter, TextFormatter
from tests.auth_helpers import login

PROXY = "10.0.0.5"


@pytest.fixture
def json_lines():
    """What the django.request logger writes as JSON lines during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("escalation.test", logging.WARNING, __file__, 1, message, args, exc_info)


class TestJsonLines:
    def test_a_request_error_is_one_json_line_with_the_request_and_user_ids(self, bcssp, json_lines):
        client = Client()
        login(client, bcssp.teacher)
        response = client.get("/disputes/NOPE-2026-0001/")
        assert response.status_code == 404
        (line,) = json_lines()
        assert set(line) == {"time", "level", "logger", "message", "request_id", "user_id"}
        assert line["level"] == "WARNING" and line["logger"] == "django.request"
        assert line["message"] == "Not Found: /disputes/NOPE-2026-0001/"
        assert line["request_id"] == response["X-Request-ID"]
        assert line["user_id"] == bcssp.teacher.pk
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])

    def test_outside_a_request_the_ids_are_empty(self):
        line = json.loads(JsonFormatter().format(_filtered(record("deadline sweep: %s", {"reminded": 1}))))
        assert (line["request_id"], line["user_id"]) == (None, None)
        assert line["message"] == "deadline sweep: {'reminded': 1}"

    def test_in_a_celery_task_the_request_id_is_the_tasks_id(self):
        from escalation.celery import app

        @app.task(name="tests.log_a_line", bind=True)
        def log_a_line(task):
            line = json.loads(JsonFormatter().format(_filtered(record("deadline sweep: done"))))
            return line["request_id"], task.request.id

        logged, task_id = log_a_line.apply(task_id="7d4c3f1e-task").get()
        assert logged == task_id == "7d4c3f1e-task"

    def test_e_mail_addresses_are_masked(self):
        message = "address refused by the mail server: 550 5.1.1 <jo.bloggs@school.example.org>: no such user"
        line = json.loads(JsonFormatter().format(_filtered(record("%s", message))))
        assert "jo.bloggs" not in line["message"] and "school.example.org" not in line["message"]
        assert "[e-mail address]" in line["message"]

    def test_an_error_gives_its_type_and_where_not_its_message(self):
        try:
            raise ValueError("duplicate key: Key (name)=(Jo Bloggs, 2015-04-01) already exists")
        except ValueError:
            line = json.loads(JsonFormatter().format(_filtered(record("it failed", exc_info=sys.exc_info()))))
        assert line["exc_type"] == "builtins.ValueError"
        assert any("test_logs.py" in frame and "test_an_error_gives" in frame for frame in line["exc_frames"])
        assert "Jo Bloggs" not in json.dumps(line)

    def test_the_local_format_is_plain_text(self):
        text = TextFormatter().format(_filtered(record("deadline sweep: %s", "done")))
        assert text.endswith("WARNING escalation.test: deadline sweep: done")


def _filtered(log_record: logging.LogRecord) -> logging.LogRecord:
    RequestContextFilter().filter(log_record)
    return log_record


class TestRequestId:
    def test_a_new_id_is_made_and_returned(self, db):
        first, second = Client().get("/sign-in/"), Client().get("/sign-in/")
        assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
        assert first["X-Request-ID"] != second["X-Request-ID"]

    def test_the_id_from_a_trusted_proxy_goes_round(self, settings, db):
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        response = Client().get("/sign-in/", REMOTE_ADDR=PROXY, HTTP_X_REQUEST_ID="lb-4f1c2a")
        assert response["X-Request-ID"] == "lb-4f1c2a"

    @pytest.mark.parametrize(
        "remote, given",
        [("203.0.113.7", "lb-4f1c2a"), (PROXY, "bad id\nFAKE LOG LINE"), (PROXY, "x" * 200)],
        ids=["untrusted-peer", "forged-line", "too-long"],
    )
    def test_an_id_from_anyone_else_or_of_the_wrong_shape_is_replaced(self, settings, db, remote, given):
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        response = Client().get("/sign-in/", REMOTE_ADDR=remote, HTTP_X_REQUEST_ID=given)
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


LOG_PROBE = """
import logging
import django
django.setup()
logging.getLogger("escalation.probe").warning("sent to %s", "jo.bloggs@school.example.org")
"""


def run_probe(settings_module: str, **env: str) -> str:
    from tests.security.test_headers import production_env

    environment = production_env(**env) if settings_module.endswith("production") else {**os.environ, **env}
    environment.pop("LOG_FORMAT", None)
    environment["DJANGO_SETTINGS_MODULE"] = settings_module
    result = subprocess.run(
        [sys.executable, "-c", LOG_PROBE],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_production_logs_json_and_local_logs_text():
    line = json.loads(run_probe("escalation.settings.production"))
    assert line["logger"] == "escalation.probe" and line["level"] == "WARNING"
    assert line["message"] == "sent to [e-mail address]"
    text = run_probe("escalation.settings.local")
    assert text.endswith("WARNING escalation.probe: sent to jo.bloggs@school.example.org")
