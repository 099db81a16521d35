"""Subject access: everything held about one child or adult, and nothing about anyone else."""

import datetime
import json
import os
import stat

import pytest
from django.core.management import CommandError, call_command

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.privacy.subject_access import SubjectAccessError, export_subject
from escalation.records.models import RecordSnapshot
from tests.conftest import build_world, london

BORN = datetime.date(2015, 3, 1)


def child(name="Amelia Hart", born=BORN, **more):
    return {"kind": "child", "name": name, "date_of_birth": born, "address": "1 High Street", **more}


@pytest.fixture
def held(bcssp):
    first = bcssp.raise_dispute(subject=child(nhs_number="943 476 5919"), now=london(2026, 3, 2, 10, 0))
    services.add_record_entry(
        dispute=first,
        author=bcssp.social_worker,
        kind="discussion",
        text="Discussed the referral with the school.",
        occurred_on=datetime.date(2026, 3, 3),
        now=london(2026, 3, 3, 11, 0),
    )
    # Stage 1 asks both sides to confirm: the school records the resolution, Children's Services confirms it.
    bcssp.resolve(
        first,
        london(2026, 3, 4, 11, 0),
        by=bcssp.teacher,
        agreed_outcome="An assessment will start.",
        decided_on=datetime.date(2026, 3, 4),
    )
    RecordSnapshot.objects.create(
        dispute=first,
        form="general",
        requirement_key="test-snapshot",
        stage_number=1,
        produced_at=london(2026, 3, 4, 11, 0),
        pdf=b"%PDF-1.7 test",
    )
    second = bcssp.raise_dispute(subject=child(name="  amelia   HART "), now=london(2026, 4, 1, 10, 0))
    namesake = bcssp.raise_dispute(subject=child(born=datetime.date(2012, 7, 9)), now=london(2026, 4, 2, 10, 0))
    someone_else = bcssp.raise_dispute(subject=child(name="Ben Cole"), now=london(2026, 4, 3, 10, 0))
    away = build_world("tscp", "TSCP")
    elsewhere = away.raise_dispute(subject=child(), now=london(2026, 4, 4, 10, 0))
    return {
        "world": bcssp,
        "first": first,
        "second": second,
        "namesake": namesake,
        "someone_else": someone_else,
        "elsewhere": elsewhere,
    }


def test_the_export_holds_everything_about_the_subject_and_nothing_else(held):
    export = export_subject(partnership=held["world"].partnership, name="Amelia Hart", date_of_birth=BORN)
    references = [dispute["reference"] for dispute in export["disputes"]]
    assert references == [held["first"].reference, held["second"].reference]
    assert {subject["id"] for subject in export["subjects"]} == {held["first"].subject_id, held["second"].subject_id}
    assert export["subjects"][0]["nhs_number"] == "943 476 5919"
    assert export["subjects"][0]["date_of_birth"] == "2015-03-01"
    first = export["disputes"][0]
    assert first["description"] == held["first"].description
    assert [entry["text"] for entry in first["record_entries"]] == ["Discussed the referral with the school."]
    assert first["outcome"]["agreed_outcome"] == "An assessment will start."
    assert [visit["stage_number"] for visit in first["stage_visits"]] == [1]
    assert first["notifications"], "the notifications sent about the dispute"
    assert first["deadlines"]
    [snapshot] = first["record_snapshots"]
    assert snapshot["pdf"]["bytes"] == len(b"%PDF-1.7 test") and len(snapshot["pdf"]["sha256"]) == 64
    assert {
        "dispute.raised",
        "record_entry.added",
        "resolution.awaiting_confirmation",
        "resolution.confirmed",
    } <= {e["action"] for e in first["audit_trail"]}
    assert first["outcome"]["raising_confirmed_at"] and first["outcome"]["other_confirmed_at"]
    text = json.dumps(export)
    for other in ("namesake", "someone_else", "elsewhere"):
        assert held[other].reference not in text
    assert "Ben Cole" not in text and "2012-07-09" not in text


def test_several_people_with_the_name_need_a_date_of_birth(held):
    with pytest.raises(SubjectAccessError, match="date of birth"):
        export_subject(partnership=held["world"].partnership, name="Amelia Hart")
    export = export_subject(partnership=held["world"].partnership, name="Ben Cole")
    assert [d["reference"] for d in export["disputes"]] == [held["someone_else"].reference]


def test_nobody_by_that_name(held):
    with pytest.raises(SubjectAccessError, match="No subject"):
        export_subject(partnership=held["world"].partnership, name="Nobody Known")
    with pytest.raises(SubjectAccessError, match="No subject"):
        export_subject(partnership=held["world"].partnership, name="Ben Cole", date_of_birth=datetime.date(2016, 1, 1))


def test_the_export_is_audited_against_each_dispute(held):
    export_subject(partnership=held["world"].partnership, name="Amelia Hart", date_of_birth=BORN)
    audited = AuditEvent.objects.filter(action="subject_access.exported")
    assert set(audited.exclude(dispute_id_value=None).values_list("dispute_reference", flat=True)) == {
        held["first"].reference,
        held["second"].reference,
    }
    summary = audited.get(dispute_id_value=None)
    assert summary.partnership == held["world"].partnership
    assert "Amelia" not in json.dumps(summary.after)


def test_the_command_writes_an_owner_only_file(held, tmp_path, capsys):
    target = tmp_path / "sar.json"
    slug = held["world"].partnership.slug
    call_command(
        "subject_access_export",
        "--partnership",
        slug,
        "--name",
        "Amelia Hart",
        "--date-of-birth",
        "2015-03-01",
        "-o",
        str(target),
    )
    assert "2 dispute(s)" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    export = json.loads(target.read_text())
    assert [d["reference"] for d in export["disputes"]] == [held["first"].reference, held["second"].reference]
    with pytest.raises(CommandError, match="already exists"):
        call_command("subject_access_export", "--partnership", slug, "--name", "Amelia Hart", "-o", str(target))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--partnership", "nowhere", "--name", "Amelia Hart"], "no partnership"),
        (["--name", "Amelia Hart", "--date-of-birth", "01/03/2015"], "is not a date"),
        (["--name", "Amelia Hart"], "date of birth"),
        (["--name", "   "], "Give the subject's name"),
    ],
)
def test_the_command_explains_what_to_change(held, tmp_path, args, message):
    if "--partnership" not in args:
        args = ["--partnership", held["world"].partnership.slug, *args]
    target = tmp_path / "sar.json"
    with pytest.raises(CommandError, match=message):
        call_command("subject_access_export", *args, "-o", str(target))
    assert not target.exists()
