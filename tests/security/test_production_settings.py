"""Production refuses to start without what it needs, naming everything missing in one message; no default secret."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from escalation.settings.required import KNOWN_SECRET_KEYS, production_problems

ROOT = Path(settings.BASE_DIR)
#: What the machine itself provides; everything the app reads is left out unless a test gives it.
MACHINE = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}


def complete(**changes: str) -> dict[str, str]:
    """An environment production accepts, with `changes` (an empty value removes the variable)."""
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://escalation:secret@db.internal:5432/escalation",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "ALLOWED_HOSTS": "escalations.example.org",
        "SITE_URL": "https://escalations.example.org",
        "DEFAULT_FROM_EMAIL": "escalations@example.org",
        "EMAIL_HOST": "smtp.example.org",
    }
    env.update(changes)
    return {key: value for key, value in env.items() if value}


def names(problems: list[str]) -> set[str]:
    return {problem.split(":", 1)[0] for problem in problems}


PROBE = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "DEBUG", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
    "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL", "SITE_URL", "ALLOWED_HOSTS", "TRUSTED_PROXIES", "LOG_FORMAT",
)}))
"""


def start_production(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Loads the production settings in a fresh process with exactly this environment."""
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**MACHINE, **env, "DJANGO_SETTINGS_MODULE": "escalation.settings.production"},
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestStarting:
    def test_with_nothing_set_one_message_names_everything_missing(self):
        result = start_production({})
        assert result.returncode != 0
        raised = "django.core.exceptions.ImproperlyConfigured: "
        assert result.stderr.count(raised) == 1
        message = result.stderr[result.stderr.index(raised) :]
        for name in (
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "ALLOWED_HOSTS",
            "SITE_URL",
            "DEFAULT_FROM_EMAIL",
            "EMAIL_HOST",
        ):
            assert f"  - {name}: not set" in message, name
        assert "7 setting(s)" in message

    def test_a_published_key_a_sqlite_database_and_a_plain_http_site_are_refused(self):
        compose_default = "compose-only-not-secret-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
        result = start_production(
            complete(
                SECRET_KEY=compose_default,
                DATABASE_URL="sqlite:///db.sqlite3",
                SITE_URL="http://escalations.example.org",
            )
        )
        assert result.returncode != 0
        assert "SECRET_KEY: is a published example key" in result.stderr
        assert "DATABASE_URL: must start with postgres:// or postgresql://" in result.stderr
        assert "SITE_URL: must be an https:// address" in result.stderr
        assert "REDIS_URL" not in result.stderr

    def test_everything_set_starts_and_reads_the_relay_settings(self):
        result = start_production(
            complete(
                EMAIL_PORT="587",
                EMAIL_HOST_USER="escalations",
                EMAIL_HOST_PASSWORD="relay-password",
                EMAIL_USE_TLS="true",
                TRUSTED_PROXIES="10.0.0.0/8, 192.168.1.10",
            )
        )
        assert result.returncode == 0, result.stderr
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        assert seen == {
            "DEBUG": False,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "smtp.example.org",
            "EMAIL_PORT": 587,
            "EMAIL_HOST_USER": "escalations",
            "EMAIL_HOST_PASSWORD": "relay-password",
            "EMAIL_USE_TLS": True,
            "EMAIL_USE_SSL": False,
            "DEFAULT_FROM_EMAIL": "escalations@example.org",
            "SITE_URL": "https://escalations.example.org",
            "ALLOWED_HOSTS": ["escalations.example.org"],
            "TRUSTED_PROXIES": ["10.0.0.0/8", "192.168.1.10"],
            "LOG_FORMAT": "json",
        }


class TestRules:
    def test_a_complete_environment_has_no_problems(self):
        assert production_problems(complete()) == []

    @pytest.mark.parametrize("key", sorted(KNOWN_SECRET_KEYS) + ["django-insecure-" + "k" * 50, "a" * 60, "short"])
    def test_published_short_or_plain_keys_are_refused(self, key):
        assert names(production_problems(complete(SECRET_KEY=key))) == {"SECRET_KEY"}

    @pytest.mark.parametrize(
        "changes, wrong",
        [
            ({"REDIS_URL": "memory://"}, "REDIS_URL"),
            ({"DATABASE_URL": "mysql://db/escalation"}, "DATABASE_URL"),
            ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
            ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
            ({"SITE_URL": "escalations.example.org"}, "SITE_URL"),
            ({"DEFAULT_FROM_EMAIL": "escalations@localhost"}, "DEFAULT_FROM_EMAIL"),
            ({"DEBUG": "1"}, "DEBUG"),
            ({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "TRUSTED_PROXIES"),
            ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "EMAIL_USE_TLS, EMAIL_USE_SSL"),
            ({"EMAIL_HOST_USER": "escalations"}, "EMAIL_HOST_USER, EMAIL_HOST_PASSWORD"),
            ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "EMAIL_BACKEND"),
        ],
    )
    def test_each_wrong_setting_is_named(self, changes, wrong):
        assert names(production_problems(complete(**changes))) == {wrong}

    def test_http_is_accepted_for_a_trial_on_localhost_only(self):
        assert production_problems(complete(SITE_URL="http://localhost:8000")) == []
        assert names(production_problems(complete(SITE_URL="http://10.1.1.1:8000"))) == {"SITE_URL"}

    def test_notify_needs_its_key_and_template_and_no_relay(self):
        notify = "escalation.notifications.notify.NotifyEmailBackend"
        assert names(production_problems(complete(EMAIL_BACKEND=notify, EMAIL_HOST=""))) == {
            "NOTIFY_API_KEY",
            "NOTIFY_TEMPLATE_ID",
        }
        key = "escalations_live-" + "1" * 36 + "-" + "2" * 36
        assert production_problems(complete(EMAIL_BACKEND=notify, NOTIFY_API_KEY=key, NOTIFY_TEMPLATE_ID="t")) == []


class TestNoDefaultSecret:
    def test_compose_insists_on_a_secret_key_of_its_own(self):
        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        assert compose["x-app"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")

    def test_the_dockerfile_sets_no_secret(self):
        assert "SECRET_KEY" not in (ROOT / "Dockerfile").read_text()

    def test_the_shared_settings_have_no_key_and_a_machine_makes_its_own(self, tmp_path):
        probe = (
            "import os, json\n"
            "import escalation.settings.base as base\n"
            "from escalation.settings.local import machine_secret_key\n"
            "from pathlib import Path\n"
            "path = Path(os.environ['KEY_PATH'])\n"
            "first, again = machine_secret_key(path), machine_secret_key(path)\n"
            "print(json.dumps([base.SECRET_KEY, first == again, len(first), oct(path.stat().st_mode & 0o777)]))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env={**MACHINE, "KEY_PATH": str(tmp_path / "var" / "secret_key")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        base_key, stable, length, mode = json.loads(result.stdout)
        assert base_key == "" and stable and length >= 50 and mode == "0o600"


#: Read by the app but not a setting anyone sets: Django's autoreloader marks its child process with it.
NOT_CONFIGURATION = {"RUN_MAIN"}
READS = re.compile(r'(?:os\.environ(?:\.get)?[(\[]|env_bool\(|env_list\(|getenv\()"([A-Z][A-Z0-9_]+)"')


def test_the_readme_lists_every_variable_the_app_reads():
    read = set()
    for folder in ("escalation", "policies", "agencies"):
        for path in (ROOT / folder).rglob("*.py"):
            read |= set(READS.findall(path.read_text()))
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("### Configuration") :]
    listed = set(re.findall(r"^\| `([A-Z0-9_]+)`(?:, `([A-Z0-9_]+)`)?", table, re.MULTILINE))
    listed = {name for pair in listed for name in pair if name}
    assert read - NOT_CONFIGURATION - listed == set()
    assert {"SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXIES", "SENTRY_DSN"} <= read
