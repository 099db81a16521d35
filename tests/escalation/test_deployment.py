"""The Docker image and docker-compose.yml (issue 13, item 7), without a Docker engine.

The compose file is checked against the Compose Specification's schema and for what a deploy needs; the
image's entrypoint (scripts/service.sh) is run here as the image runs it: static files collected as the build
does, migrations as the owner, then the web server under production settings as the app's own role.
"""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.db import connection

from escalation.settings.required import production_problems
from tests.escalation.audit.test_app_role import role_name, url_as
from tests.fixtures_services import ROOT, database_url_for_subprocesses, free_port, wait_until

COMPOSE = ROOT / "docker-compose.yml"
SERVICE = ROOT / "scripts" / "service.sh"
APP_SERVICES = ("migrate", "web", "worker", "beat", "mailcatcher")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat", "mailcatcher")
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "APP_DATABASE_PASSWORD")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} (enough for this file)."""

    def one(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {rest}")
        return rest if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def service_subcommands() -> set[str]:
    text = SERVICE.read_text()
    main = text[text.index('case "${1:-}" in') :]
    return set(re.findall(r"^  (\w+)\)", main, flags=re.M))


def test_the_compose_file_is_valid_against_the_compose_specification():
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_service_is_healthchecked_restarted_and_waits_for_the_one_migration():
    services = compose()["services"]
    assert set(services) == set(LONG_RUNNING) | {"migrate"}
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no" and "healthcheck" not in services["migrate"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    for name in APP_SERVICES:
        command = services[name]["command"]
        assert command[0] in service_subcommands(), name
        test = services[name].get("healthcheck", {}).get("test", [])
        if test:
            assert test[1:3] == ["/app/scripts/service.sh", "health"] and test[3] == name, name


def test_no_secret_has_a_default_and_only_the_migration_knows_the_owners_password():
    text = COMPOSE.read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[-?]?)", text)
        assert uses and set(uses) == {":?"}, f"{name} must be required (${{{name}:?...}}), never defaulted"
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert "POSTGRES_PASSWORD" not in json.dumps(env) and "escalation_app:" in env["DATABASE_URL"], name
    migrate = services["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("postgres://escalation:")
    assert migrate["APP_DATABASE_URL"] == services["web"]["environment"]["DATABASE_URL"]
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(services["web"]["environment"]["SECRET_KEY"], {})


def test_compose_gives_production_every_setting_it_requires():
    env = {name: secrets.token_urlsafe(50) for name in SECRETS}
    for name in ("web", "worker", "beat", "migrate"):
        environment = compose()["services"][name]["environment"]
        resolved = {key: interpolate(str(value), env) for key, value in environment.items()}
        assert production_problems(resolved) == [], name


def test_the_image_collects_static_files_at_build_and_runs_as_someone_else_than_root():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines() if line.strip()]
    instructions = [line for line in lines if not line.startswith("#")]
    build = instructions.index("RUN scripts/service.sh build")
    user = next(i for i, line in enumerate(instructions) if line.startswith("USER "))
    assert build < user and instructions[user].split()[1] not in {"root", "0"}
    assert instructions[-2:] == ['ENTRYPOINT ["/app/scripts/service.sh"]', 'CMD ["web"]']
    assert not any(line.startswith(("RUN", "COPY", "ADD")) for line in instructions[user + 1 :])


@pytest.fixture
def production_env(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the image runs on PostgreSQL (make test)")
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))},
        "PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "escalation.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": url_as(role_name()),
        "REDIS_URL": "redis://127.0.0.1:9/0",  # nothing here publishes a task
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SITE_URL": f"http://localhost:{port}",
        "EMAIL_HOST": "127.0.0.1",
        "DEFAULT_FROM_EMAIL": "escalations@example.org",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
    }
    return env


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http://127.0.0.1 only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError:
        return 0, b""  # not listening yet


def test_the_images_commands_migrate_as_the_owner_and_serve_pages_and_static_files(production_env):
    def run(*args: str, **extra: str) -> None:
        done = subprocess.run([str(SERVICE), *args], cwd=ROOT, env={**production_env, **extra}, capture_output=True)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]

    run("build")
    run("migrate", DATABASE_URL=database_url_for_subprocesses(), APP_DATABASE_URL=production_env["DATABASE_URL"])
    web = subprocess.Popen(
        [str(SERVICE), "web"], cwd=ROOT, env=production_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    base = f"http://{production_env['BIND']}"
    try:
        wait_until(lambda: web.poll() is not None or get(f"{base}/healthz")[0] == 200, timeout=60, message="gunicorn")
        assert web.poll() is None
        run("health", "web")
        status, page = get(f"{base}/sign-in/")
        assert status == 200, page[-2000:]
        manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())["paths"]
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page).group(1).decode()
        assert stylesheet.removeprefix("/static/") in manifest.values()  # the hashed name, from the manifest
        assert get(f"{base}{stylesheet}")[0] == 200
        assert get(f"{base}/sign-in/?next=/register/%3Fq%3DJane-Smith")[0] == 200
    finally:
        web.send_signal(signal.SIGTERM)
        access_log, _ = web.communicate(timeout=30)
    # The access log is JSON with the path and request id, never the query string (a search can hold a name)
    # nor the client's address.
    lines = [json.loads(line) for line in access_log.decode().splitlines() if '"gunicorn.access"' in line]
    sign_ins = [line for line in lines if line["path"] == "/sign-in/"]
    assert sign_ins and all(line["request_id"] not in ("", "-") for line in sign_ins)
    assert b"Jane" not in access_log and b"127.0.0.1" not in access_log
