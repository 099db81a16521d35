"""`make backup` and `make restore` (issue 13, item 8): a backup restored into a fresh PostgreSQL cluster holds
every dispute, deadline, notification, audit event and written record, the PDFs byte for byte, and the audit
trail's guard comes back with it."""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import sweep
from escalation.disputes.models import Dispute
from escalation.notifications.models import Notification
from escalation.records.models import RecordSnapshot
from escalation.records.render import render_pdf
from tests.conftest import build_world
from tests.fixtures_services import ROOT, database_url_for_subprocesses

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not shutil.which("pg_dump"),
    reason="backups are PostgreSQL's pg_dump and pg_restore (make test runs on PostgreSQL)",
)


def fingerprint() -> dict:
    """What must survive a backup, in a form two databases can be compared by."""

    def moment(value) -> str | None:
        return value.isoformat() if value else None

    return {
        "disputes": [
            [d.reference, d.state, d.subject.name, moment(d.raised_at), d.current_stage, d.description]
            for d in Dispute.objects.select_related("subject").order_by("reference")
        ],
        "deadlines": [
            [d.dispute.reference, d.rule.name, moment(d.due_at), moment(d.remind_at), moment(d.breached_at)]
            for d in Deadline.objects.select_related("dispute", "rule").order_by("dispute__reference", "rule__name")
        ],
        "audit": [
            [e.pk, moment(e.at), moment(e.recorded_at), e.action, e.dispute_reference, e.actor_label, e.before, e.after]
            for e in AuditEvent.objects.order_by("pk")
        ],
        "notifications": sorted(
            [n.dispute.reference, n.recipient.username, n.event, n.email_status]
            for n in Notification.objects.select_related("dispute", "recipient")
        ),
        "snapshots": [
            [s.dispute.reference, s.requirement_key, s.status, hashlib.sha256(bytes(s.pdf or b"")).hexdigest()]
            for s in RecordSnapshot.objects.select_related("dispute").order_by("dispute__reference", "requirement_key")
        ],
    }


AFTER_RESTORE = """
import json
import django
from django.db import connection, transaction
django.setup()
from tests.escalation.test_backup_restore import fingerprint
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE escalation_auditevent SET action = 'rewritten'")
    guarded = False
except Exception:
    guarded = True
print(json.dumps({"guarded": guarded, "fingerprint": fingerprint()}))
"""


def test_a_backup_restored_into_a_fresh_cluster_holds_everything_byte_for_byte(transactional_db, tmp_path):
    world = build_world("bcssp", "BACK")
    now = timezone.now()
    first = world.raise_dispute(now=now - datetime.timedelta(days=20))
    world.raise_dispute(now=now - datetime.timedelta(days=1), subject={"kind": "child", "name": "Child B"})
    sweep(now=now)  # the first dispute's deadline is missed: breaches, notifications and their audit events
    pdf = render_pdf(first, now=now)
    RecordSnapshot.objects.create(
        dispute=first, form="general", requirement_key="backup-test", stage_number=1, produced_at=now,
        status=RecordSnapshot.Status.READY, pdf=pdf,
    )  # fmt: skip
    before = fingerprint()
    assert before["deadlines"] and any(d[4] for d in before["deadlines"]) and before["notifications"]
    assert len(before["audit"]) > 3 and pdf.startswith(b"%PDF")

    env = {**os.environ, "DATABASE_URL": database_url_for_subprocesses(), "BACKUP_DIR": str(tmp_path)}
    made = subprocess.run(["make", "--no-print-directory", "backup"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    (backup,) = tmp_path.glob("escalation-*.dump")
    assert oct(backup.stat().st_mode & 0o777) == "0o600"  # readable by whoever made it, nobody else

    refused = subprocess.run(["scripts/restore.sh", str(backup)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "restore into a new, empty database" in refused.stderr

    fresh = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    fresh.update(DJANGO_SETTINGS_MODULE="escalation.settings.test", PYTHON=sys.executable)
    script = f'scripts/restore.sh "{backup}" && "{sys.executable}" -c "$AFTER_RESTORE"'
    restored = subprocess.run(
        ["scripts/with_postgres.sh", "bash", "-c", script],
        cwd=ROOT,
        env={**fresh, "AFTER_RESTORE": AFTER_RESTORE},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restored.returncode == 0, restored.stderr[-3000:]
    result = json.loads(restored.stdout.strip().splitlines()[-1])
    assert result["guarded"], "the audit trail's trigger must come back with the restore"
    assert result["fingerprint"] == json.loads(json.dumps(before))
