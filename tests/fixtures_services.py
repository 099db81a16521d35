"""Real services for the deadline and delivery tests: a throw-away Redis, Celery worker and beat, an SMTP catcher.

Loaded from tests/conftest.py. The Redis server and the Celery processes are started only by the tests
that ask for them (marked `services`); they are skipped where redis-server is not installed, except in
CI (CI=true), where a missing service fails the run.
"""

import asyncio
import contextlib
import datetime
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection

from escalation.deadlines.models import Deadline
from escalation.disputes.models import Dispute, Subject
from policies.vocabulary import DisputeState

__all__ = ["celery_stack", "redis_server", "smtp_catcher"]  # the fixtures tests/conftest.py takes in

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).with_name("celery")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    """Poll until the predicate returns something true; fail the test with `message` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available here")


# Redis -----------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server with no persistence on a free port, which a test may stop and start again."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir = binary, workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.alive, timeout=10, interval=0.05, message="redis-server to accept connections")

    def alive(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop it the hard way by default: a crash loses whatever it held in memory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else "")
    if not binary:
        _unavailable("redis-server")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop(signal.SIGTERM)


# SMTP ------------------------------------------------------------------------------------------------


class CatchingHandler:
    """Counts the messages it accepts by their X-Notification-Id; can refuse, fail or stall an address."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str, email.message.Message]] = []
        self.refuse: set[str] = set()  # 550: permanent
        self.temporary: dict[str, int] = {}  # address -> how many more times to answer 451
        self.stall_once: dict[str, float] = {}  # address -> seconds to sit on its RCPT, the first time
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        with self.lock:
            if address in self.refuse:
                return "550 5.1.1 Mailbox does not exist"
            if self.temporary.get(address, 0) > 0:
                self.temporary[address] -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            stall = self.stall_once.pop(address, None)
        if stall:
            self.stalled.set()
            await asyncio.sleep(stall)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((message["X-Notification-Id"], rcpt, message))
        return "250 Message accepted for delivery"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(notification_id for notification_id, _, _ in self.messages)

    def for_notification(self, notification_id: int) -> list[email.message.Message]:
        with self.lock:
            return [m for nid, _, m in self.messages if nid == str(notification_id)]


class SmtpCatcher:
    def __init__(self) -> None:
        self.handler = CatchingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def settings(self, timeout: int = 3) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_TIMEOUT": timeout,
            "EMAIL_USE_TLS": False,
        }


@pytest.fixture
def smtp_catcher():
    catcher = SmtpCatcher()
    catcher.controller.start()
    yield catcher
    catcher.controller.stop()


# Celery ----------------------------------------------------------------------------------------------


def database_url_for_subprocesses() -> str:
    """The URL of the database this test run uses (test_<name>), for processes started by the tests."""
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return f"postgres://{quote(s['USER'])}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class CeleryStack:
    """A real worker (prefork, one child) and beat, on the test database, Redis and SMTP catcher."""

    def __init__(self, redis_server: RedisServer, smtp: SmtpCatcher, workdir: Path) -> None:
        self.redis, self.smtp, self.workdir = redis_server, smtp, workdir
        self.worker: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.beat: subprocess.Popen | None = None

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "escalation.settings.local",
            "DEBUG": "0",
            "DATABASE_URL": database_url_for_subprocesses(),
            "REDIS_URL": self.redis.url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp.port),
            "EMAIL_TIMEOUT": "3",
            "DEADLINE_SWEEP_SECONDS": "1",
            "NOTIFICATION_DELIVERY_SECONDS": "1",
            "EMAIL_DELIVERY_LEASE_SECONDS": "4",
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "EMAIL_RETRY_MAX_SECONDS": "4",
            "LOG_LEVEL": "WARNING",
        }
        env.update(overrides)
        return env

    def _spawn(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen([str(CELERY), "-A", "escalation", *args], cwd=ROOT, env=env, stdout=log, stderr=log)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_worker(self, name: str = "worker", *, as_deployed: bool = False, **env: str) -> subprocess.Popen:
        """Start a worker logging to `<name>.log`; `as_deployed` starts it with the command production uses
        (scripts/service.sh worker), with one pool process."""
        if as_deployed:
            env = {"WORKER_NAME": name, "WORKER_CONCURRENCY": "1", "PYTHON": sys.executable, **env}
            log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
            command = [str(ROOT / "scripts" / "service.sh"), "worker"]
            process = subprocess.Popen(command, cwd=ROOT, env=self.env(**env), stdout=log, stderr=log)
        else:
            args = ["worker", "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO", "-n", f"{name}@%h"]
            args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            process = self._spawn(name, args, self.env(**env))
        self.workers[name] = process
        if name == "worker":
            self.worker = process
        wait_until(
            lambda: " ready." in self.log(name) or process.poll() is not None,
            timeout=60,
            message=f"the Celery worker {name} to start",
        )
        assert process.poll() is None, self.log(name)
        return process

    def start_beat(self, **env: str) -> None:
        schedule = self.workdir / "beat-schedule"
        args = ["beat", "--loglevel", "INFO", "-s", str(schedule), "--pidfile", str(self.workdir / "beat.pid")]
        self.beat = self._spawn("beat", args, self.env(**env))

    def worker_children(self, worker: subprocess.Popen | None = None) -> list[int]:
        pid = (worker or self.worker).pid
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_worker_child(self) -> int:
        """SIGKILL the pool process running the task, as the out-of-memory killer would."""
        (child,) = self.worker_children()
        os.kill(child, signal.SIGKILL)
        return child

    def stop(self) -> None:
        """Kill beat, the worker and its pool at once: a test needs no graceful shutdown (nor waits for one)."""
        if self.beat is not None and self.beat.poll() is None:
            self.beat.terminate()
        for worker in self.workers.values():
            if worker.poll() is None:
                children = self.worker_children(worker)
                worker.kill()
                for child in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)
        for process in (self.beat, *self.workers.values()):
            if process is not None:
                process.wait(timeout=15)


@pytest.fixture
def celery_stack(transactional_db, redis_server, smtp_catcher, tmp_path):
    """Start worker and beat with `stack.start_worker()` / `stack.start_beat()`; stopped after the test."""
    if connection.vendor != "postgresql":
        _unavailable("PostgreSQL (run the tests under scripts/with_postgres.sh)")
    if not redis_server.alive():
        redis_server.start()
    redis_server.client().flushall()
    stack = CeleryStack(redis_server, smtp_catcher, tmp_path)
    yield stack
    stack.stop()
    if not redis_server.alive():
        redis_server.start()
    redis_server.client().flushall()
    if os.environ.get("CELERY_TEST_LOGS"):
        for name in ("worker", "beat"):
            print(f"----- {name} log -----\n{stack.log(name)}")


# Data ------------------------------------------------------------------------------------------------


def bulk_due_deadlines(
    world,
    count: int,
    *,
    rule_name: str = "stage-1",
    due_at: datetime.datetime,
    remind_at: datetime.datetime | None = None,
    tag: str = "B",
    closed: bool = False,
) -> list[Deadline]:
    """`count` disputes in the world's partnership, each with one open deadline of the rule, made in bulk
    (`closed`: closed disputes, each deadline closed when the dispute was raised)."""
    version = world.partnership.policy.current_version
    rule = version.deadline_rules.get(name=rule_name)
    raised_at = due_at - datetime.timedelta(days=7)
    subjects = Subject.objects.bulk_create(
        Subject(partnership=world.partnership, kind="child", name=f"Child {tag}{i}") for i in range(count)
    )
    disputes = Dispute.objects.bulk_create(
        Dispute(
            reference=f"{world.partnership.reference_prefix}-{tag}-{i:06d}",
            partnership=world.partnership,
            policy_version=version,
            subject=subject,
            raising_agency=world.school,
            raised_by=world.teacher,
            other_agency=world.social_care,
            category="levels_of_need",
            description="Made in bulk for a sweep test.",
            raised_at=raised_at,
            current_stage=rule.first_stage,
            state=DisputeState.CLOSED if closed else DisputeState.RAISED,
        )
        for i, subject in enumerate(subjects)
    )
    return Deadline.objects.bulk_create(
        Deadline(
            dispute=dispute,
            rule=rule,
            stage_number=rule.first_stage,
            anchor_at=raised_at,
            due_at=due_at,
            remind_at=remind_at,
            closed_at=raised_at if closed else None,
        )
        for dispute in disputes
    )
