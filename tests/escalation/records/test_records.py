"""The written record of a dispute: its three forms, its snapshots, its download and its command.

Every PDF is read back as text (pdftotext / pypdf) and checked for the values it must carry, on the form it
must carry them. Page images of multi-page records are left in test-artifacts/records/ for a person to look at.
"""

import datetime
import io
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from pypdf import PdfReader

from agencies.models import Office, OfficeHolder, Role
from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.models import StageVisit
from escalation.disputes.record_files import snapshots_of
from escalation.notifications.delivery import build_email
from escalation.notifications.models import Notification
from escalation.records import render, requirements
from escalation.records.models import RecordSnapshot
from escalation.records.render import form_for, render_pdf
from policies.calendar import LONDON
from policies.vocabulary import DisputeState, Event
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.factories import UserFactory

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "records"
SUBJECT = {
    "kind": "child",
    "name": "Amelia Hartley-Ngata",
    "date_of_birth": datetime.date(2014, 7, 9),
    "address": "12 Orchard Lane\nWidcombe BA2 4PX",
}


# Reading PDFs back ------------------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """The whole text, whitespace collapsed, so that a value wrapped inside a table cell still matches."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


def page_texts(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def embedded_files(pdf: bytes) -> dict:
    reader = PdfReader(io.BytesIO(pdf))
    names = reader.trailer["/Root"].get("/Names")
    has_tree = names is not None and "/EmbeddedFiles" in names.get_object()
    annotations = [
        annotation.get_object().get("/Subtype") for page in reader.pages for annotation in (page.get("/Annots") or [])
    ]
    return {
        "attachments": dict(reader.attachments),
        "tree": has_tree,
        "file_annotations": "/FileAttachment" in annotations,
    }


def assert_every_page_marked(pdf: bytes, reference: str) -> None:
    pages = page_texts(pdf)
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the marking top and bottom"
        assert reference in text, f"page {number} lacks the reference"
        assert f"Page {number} of {len(pages)}" in text
        assert "Produced " in text


def save_page_images(pdf: bytes, name: str) -> list[Path]:
    """PNG pages (60 dpi) in test-artifacts/records/, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def day(moment: datetime.datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def short_day(moment: datetime.date) -> str:
    return f"{moment.day} {moment:%b %Y}"


# Walking a dispute through its stages ---------------------------------------------------------------------


@dataclass
class Walk:
    dispute: object
    entries: dict[int, list[tuple[datetime.date, str]]] = field(default_factory=dict)
    referrals: dict[int, datetime.datetime] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)


def walk(world, to_stage: int, *, resolve: bool = True, entries_per_stage: int = 2, convened: str = "panel") -> Walk:
    """Raise a dispute, record attempts at every stage up to `to_stage`, and (optionally) resolve it there."""
    now = london(2026, 3, 2, 10, 0)
    dispute = world.raise_dispute(
        now=now,
        subject=SUBJECT,
        description="The referral was closed without an assessment although the child disclosed harm at school.",
        attempts_so_far="Talked it through with the school's designated safeguarding lead on 27 February.",
    )
    result = Walk(dispute)
    while True:
        stage = dispute.current_stage
        for index in range(entries_per_stage):
            author = world.speaker(dispute, "raising" if index % 2 == 0 else "other")
            occurred = (now + datetime.timedelta(hours=index)).date()
            text = (
                f"Stage {stage} attempt {index + 1}: phone call about the assessment decision (note S{stage}E{index})."
            )
            services.add_record_entry(
                dispute=dispute,
                author=author,
                kind=["discussion", "action", "decision"][index % 3],
                text=text,
                occurred_on=occurred,
                now=now + datetime.timedelta(minutes=index),
            )
            result.entries.setdefault(stage, []).append((occurred, text))
        if stage == to_stage:
            break
        now += datetime.timedelta(days=1)
        reason = f"Still not resolved after the stage {stage} calls (reason R{stage})."
        services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason=reason, now=now)
        dispute.refresh_from_db()
        if dispute.state == DisputeState.AWAITING_APPROVAL:
            now += datetime.timedelta(hours=2)
            services.approve_escalation(dispute=dispute, approver=world.approver_for(dispute), now=now)
            dispute.refresh_from_db()
        result.referrals[stage] = now
        result.reasons[stage] = reason
    if resolve:
        now += datetime.timedelta(days=1)
        world.resolve(
            dispute,
            now,
            agreed_outcome="An assessment starts on Monday; both agencies meet weekly until it is done.",
            outstanding_actions="Children's Services to confirm the allocated worker by Friday.",
            convened=convened,
        )
    return result


# The three forms ------------------------------------------------------------------------------------------

FORMS = {
    # slug: (form, final stage to walk to, labels only this form has)
    "bcssp": (
        "appendix_2",
        4,
        [
            "Appendix 2: Registration of use of Escalation Procedure Pro-forma",
            "Case Details",
            "Date of Original Disagreement:",
            "Child/Adult Name:",
            "Agencies/ Workers involved",
            "Names Designation Agency Contact Details",
            "Nature of Professional Disagreement",
            "Attempts to Resolve the Disagreement at Stage 1",
            "Unresolved Dispute and Referral to Stage 2",
            "Unresolved Dispute and Referral to Stage 4",
            "Date of Referral:",
            "Final Outcomes",
            "Mediation or Dispute Resolution Panel convened? Yes: resolution panel",
        ],
    ),
    "tscp": (
        "record_of_escalation",
        5,
        [
            "Professional Differences Record of Escalation",
            "Name of child",
            "Stage One – Practitioner to practitioner",
            "Stage Three – Senior manager to senior manager",
            "Stage Four – Divisional director to divisional director",
            "Stage Five – Referred via the TSCP to the Chair of the Executive Group",
            "Date escalated to stage three:",
            "Date escalated to stage five:",
            "Resolution Panel or mediation convened Yes: resolution panel",
            "How outstanding actions will be pursued",
        ],
    ),
    "chscp": (
        "general",
        4,
        [
            "Record of a professional disagreement",
            "Who it is about",
            "Agencies and workers involved",
            "Stage 1: Discuss with the other worker",
            "Stage 4: Resolution by the Independent Child Safeguarding Commissioner",
            "Referred to stage 2",
            "Date of referral:",
            "Mediation or a resolution panel convened Yes: resolution panel",
        ],
    ),
}
TITLES = {
    "appendix_2": "Registration of use of Escalation Procedure Pro-forma",
    "record_of_escalation": "Professional Differences Record of Escalation",
    "general": "Record of a professional disagreement",
}


@pytest.mark.parametrize("slug", FORMS)
def test_each_form_carries_every_field_of_a_dispute_with_several_stages(db, slug):
    form, final_stage, labels = FORMS[slug]
    world = build_world(slug, slug.upper(), offices=True)
    walked = walk(world, final_stage)
    dispute = walked.dispute
    assert form_for(dispute.policy_version) == form

    pdf = render_pdf(dispute, now=london(2026, 3, 20, 15, 45))
    text = pdf_text(pdf)

    for label in labels:
        assert label in text, f"{label!r} missing from the {form} record"
    for other_form, title in TITLES.items():
        assert (title in text) == (other_form == form)

    # Case details.
    assert "Produced 20 March 2026 at 3:45pm (UK time)" in text
    assert day(dispute.raised_at.astimezone(LONDON)) in text
    assert "Amelia Hartley-Ngata" in text and "9 July 2014" in text
    assert "12 Orchard Lane" in text and "Widcombe BA2 4PX" in text
    # Agencies and workers: every participant's name, designation, agency and contact details.
    participants = list(dispute.participants.select_related("agency"))
    assert len(participants) >= 3
    for person in participants:
        for value in (person.name, person.designation, person.agency.name, person.contact_details):
            assert value and value in text, f"participant value {value!r} missing"
    # Nature of the disagreement.
    assert dispute.category_label in text
    assert dispute.description in text
    assert dispute.attempts_so_far in text
    # Each stage reached: the attempts with their dates, the outcome, the date of referral onwards.
    for entries in walked.entries.values():
        for occurred, entry_text in entries:
            assert entry_text in text
            assert short_day(occurred) in text
    for stage, referred_at in walked.referrals.items():
        assert walked.reasons[stage] in text
        assert f"Not resolved at stage {stage}: referred to stage" in text
        assert day(referred_at) in text
    # The final outcome.
    outcome = dispute.outcome
    assert f"Resolved at stage {final_stage}" in text
    assert day(outcome.decided_on) in text
    assert outcome.agreed_outcome in text and outcome.outstanding_actions in text
    assert "OFFICIAL-SENSITIVE" in text

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"], "a tagged PDF, for screen readers"
    assert reader.metadata.title == f"{dispute.policy_version.record_form_title} {dispute.reference}"
    pages = page_texts(pdf)
    assert len(pages) >= 2, "a record of several stages runs over more than one page"
    assert_every_page_marked(pdf, dispute.reference)
    images = save_page_images(pdf, f"{form}-{final_stage}-stages")
    assert len(images) == len(pages)


def test_stages_show_in_the_order_reached_and_the_referral_date_follows_each(bcssp):
    walked = walk(bcssp, 3, resolve=False)
    text = pdf_text(render_pdf(walked.dispute, now=london(2026, 3, 10, 9)))
    positions = [text.index(f"Attempts to Resolve the Disagreement at Stage {n}") for n in (1, 2, 3)]
    assert positions == sorted(positions)
    # Referral from stage 1 is dated the day stage 2 was entered, and sits between the two stages' sections.
    referral = text.index("Unresolved Dispute and Referral to Stage 2")
    assert positions[0] < referral < positions[1]
    assert f"Date of Referral: {day(walked.referrals[1])}" in text
    # Not resolved yet: the last stage says so and the final outcome is empty.
    assert "Not yet resolved: the dispute was at this stage when this record was produced." in text
    assert "Final Outcomes Date: Not yet resolved" in text
    assert "Unresolved Dispute and Referral to Stage 4" not in text


def test_a_stage_visited_twice_shows_twice_with_its_own_attempts(bcssp):
    walked = walk(bcssp, 2, resolve=False, entries_per_stage=1)
    dispute = walked.dispute
    # Back to stage 1 (no service does this today; a policy or an admin correction might): a second visit.
    back = london(2026, 3, 5, 9)
    dispute.stage_visits.filter(left_at__isnull=True).update(left_at=back)
    StageVisit.objects.create(dispute=dispute, stage_number=1, entered_at=back, entered_by=bcssp.head, reason="Back.")
    dispute.current_stage = 1
    dispute.save()
    services.add_record_entry(
        dispute=dispute,
        author=bcssp.head,
        kind="decision",
        text="Second look at stage 1.",
        occurred_on=back.date(),
        now=back + datetime.timedelta(hours=1),
    )
    text = pdf_text(render_pdf(dispute, now=london(2026, 3, 6, 9)))
    sections = text.split("Attempts to Resolve the Disagreement at Stage ")[1:]
    assert [section[0] for section in sections] == ["1", "2", "1"]
    assert "(note S1E0)" in sections[0] and "Second look" not in sections[0]
    assert "Second look at stage 1." in sections[2] and "(note S1E0)" not in sections[2]
    assert "Unresolved Dispute and Referral to Stage 1 Date of Referral: 5 March 2026" in sections[1]


def test_produced_time_is_shown_in_london_time_in_summer(bcssp):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    pdf = render_pdf(dispute, now=datetime.datetime(2026, 7, 1, 8, 30, tzinfo=datetime.UTC))
    assert "Produced 1 July 2026 at 9:30am (UK time)" in pdf_text(pdf)


def test_a_withdrawn_dispute_says_so_in_its_outcome(tscp):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    services.withdraw_dispute(
        dispute=dispute, withdrawn_by=tscp.teacher, reason="Resolved informally.", now=london(2026, 3, 2, 15)
    )
    dispute.refresh_from_db()
    text = pdf_text(render_pdf(dispute, now=london(2026, 3, 3, 10)))
    assert "The dispute was withdrawn at this stage on 2 March 2026." in text
    assert "The professional difference was withdrawn by the agency that invoked the policy." in text


def test_an_agency_that_has_not_spoken_yet_is_still_listed(bcssp):
    bcssp.social_care.contact_details = "Front door 01225 000000"
    bcssp.social_care.save()
    dispute = bcssp.raise_dispute()
    text = pdf_text(render_pdf(dispute))
    assert "No named worker recorded yet" in text and "Front door 01225 000000" in text


# Snapshots when a form requirement is met -----------------------------------------------------------------


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what waits for the commit (drawing the record) as the block ends, as a real
    commit would; a test's own transaction never commits. See tests/escalation/records/test_after_commit.py."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_entering_bcssp_stage_2_stores_appendix_2_and_tells_the_business_manager_by_link(bcssp, committed):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10), subject=SUBJECT)
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))
    assert not RecordSnapshot.objects.exists(), "nothing is produced until stage 2 is entered"
    with committed():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))

    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    assert (snapshot.form, snapshot.stage_number, snapshot.status) == ("appendix_2", 2, RecordSnapshot.Status.READY)
    assert snapshot.requirement_key == "appendix_2:stage_reached:stage-2"
    assert snapshot.produced_at == london(2026, 3, 3, 11)
    text = pdf_text(bytes(snapshot.pdf))
    assert "Appendix 2: Registration of use of Escalation Procedure Pro-forma" in text
    assert "Produced 3 March 2026 at 11am (UK time)" in text
    assert "Status when produced In discussion, stage 2" in text

    told = Notification.objects.get(dispute=dispute, event="record_required")
    assert told.recipient == bcssp.business_manager
    assert "not attached" in told.message and "Written records" in told.message
    assert "http" not in told.message, "the inbox links to the dispute's records (tests/web/test_inbox_wording.py)"
    # The message may go by e-mail: no personal data in it.
    for personal in ("Amelia", "Hartley", "Orchard", "2014"):
        assert personal not in told.headline and personal not in told.message
    email = build_email(told)
    assert email.attachments == [], "the record is never attached to an e-mail"
    assert "%PDF" not in email.body and "Amelia" not in email.body and "Amelia" not in email.subject

    produced = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="record.produced")
    assert produced.actor is None and produced.actor_label == "system"
    assert produced.object_type == "RecordSnapshot" and produced.object_id == str(snapshot.pk)


def test_the_snapshot_is_produced_once_even_when_the_stage_is_entered_twice(bcssp, committed):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    # Propose, decline, propose again, approve.
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="First try.", now=london(2026, 3, 3))
    services.decline_escalation(dispute=dispute, approver=bcssp.head, reason="Talk again.", now=london(2026, 3, 3, 9))
    assert not RecordSnapshot.objects.exists()
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="Again.", now=london(2026, 3, 4))
    with committed():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 4, 10))
    first = RecordSnapshot.objects.get(dispute=dispute)
    original = bytes(first.pdf)

    # The same stage entered again later (the services' stage-entry hook run a second time for stage 2).
    services.add_record_entry(
        dispute=dispute,
        author=bcssp.head,
        kind="discussion",
        text="A later note.",
        occurred_on=datetime.date(2026, 3, 5),
        now=london(2026, 3, 5, 9),
    )
    dispute.refresh_from_db()
    with committed(), transaction.atomic():
        again = requirements.fulfil_form_requirements(dispute, Event.STAGE_ENTERED, 2, london(2026, 3, 6, 9))
    assert again == []
    assert RecordSnapshot.objects.filter(dispute=dispute).count() == 1
    kept = RecordSnapshot.objects.get(dispute=dispute)
    assert kept.pk == first.pk and bytes(kept.pdf) == original and kept.produced_at == london(2026, 3, 4, 10)
    assert "A later note." not in pdf_text(original)
    assert Notification.objects.filter(dispute=dispute, event="record_required").count() == 1
    assert AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="record.produced").count() == 1


def test_one_snapshot_serves_the_business_manager_and_the_designated_nurse_for_a_health_agency(db, committed):
    world = build_world("bcssp", "HLT")
    world.social_care.is_health = True
    world.social_care.save()
    # The designated nurse (CCG/ICB) holds a partnership office, outside the two agencies.
    nurse = UserFactory(username="hlt-nurse")
    OfficeHolder.objects.create(partnership=world.partnership, office=Office.DESIGNATED_NURSE, user=nurse)
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply.", now=london(2026, 3, 3))
    with committed():
        services.approve_escalation(dispute=dispute, approver=world.head, now=london(2026, 3, 3, 11))
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    named = [recipient.get("role") or recipient.get("office") for recipient in snapshot.recipient_roles]
    assert named == [Role.BUSINESS_MANAGER, Role.DESIGNATED_NURSE]
    told = Notification.objects.filter(dispute=dispute, event="record_required")
    assert {n.recipient for n in told} == {world.business_manager, nurse}
    assert all("Written records" in n.message for n in told)


def test_torbay_stores_its_record_of_escalation_at_stage_3_not_before(tscp, committed):
    walked = walk(tscp, 2, resolve=False)
    assert not RecordSnapshot.objects.exists()
    dispute = walked.dispute
    services.propose_escalation(dispute=dispute, proposed_by=tscp.teacher, reason="Stuck.", now=london(2026, 3, 9, 9))
    with committed():
        services.approve_escalation(dispute=dispute, approver=tscp.head, now=london(2026, 3, 9, 10))
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    assert (snapshot.form, snapshot.stage_number) == ("record_of_escalation", 3)
    text = pdf_text(bytes(snapshot.pdf))
    assert "Professional Differences Record of Escalation" in text
    assert "Stage Three – Senior manager to senior manager" in text
    assert Notification.objects.get(dispute=dispute, event="record_required").recipient == tscp.business_manager


@pytest.mark.parametrize("slug", ["chscp", "banwell-buddies", "bs3-early-education"])
def test_a_policy_without_a_form_requirement_stores_nothing(db, slug):
    world = build_world(slug, "NOF")
    walk(world, 3)
    assert not RecordSnapshot.objects.exists()
    assert not Notification.objects.filter(event="record_required").exists()


def test_the_snapshot_is_part_of_the_change_and_goes_if_the_change_is_rolled_back(bcssp, committed):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))

    class Interrupted(Exception):
        pass

    with committed(), pytest.raises(Interrupted), transaction.atomic():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
        assert RecordSnapshot.objects.filter(dispute=dispute, status=RecordSnapshot.Status.PENDING).exists()
        raise Interrupted
    assert not RecordSnapshot.objects.filter(dispute=dispute).exists()
    assert not Notification.objects.filter(dispute=dispute, event="record_required").exists()


def test_a_record_that_cannot_be_drawn_does_not_stop_the_escalation(bcssp, monkeypatch, caplog, committed):
    def broken(html):
        raise RuntimeError("renderer fell over")

    monkeypatch.setattr(render, "html_to_pdf", broken)
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))
    with committed():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
    dispute.refresh_from_db()
    assert dispute.current_stage == 2
    assert RecordSnapshot.objects.get().status == RecordSnapshot.Status.FAILED
    told = Notification.objects.get(dispute=dispute, event="record_required")
    assert "could not be saved" in told.headline
    assert "download the record as it stands now" in told.message
    assert AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="record.failed").exists()
    assert "could not be produced" in caplog.text


# Download and command -------------------------------------------------------------------------------------


def test_a_party_downloads_the_current_record_and_the_download_is_audited(client, tscp):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    login(client, tscp.social_worker)
    response = client.get(reverse("dispute-record-pdf", args=[dispute.reference]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{dispute.reference}-record-of-escalation.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    assert "Professional Differences Record of Escalation" in pdf_text(response.content)
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="record.downloaded")
    assert event.actor == tscp.social_worker
    assert event.after["form"] == "record_of_escalation" and event.after["snapshot"] is None


def test_a_stored_snapshot_downloads_exactly_as_it_was_stored(client, bcssp, committed):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))
    with committed():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    login(client, bcssp.business_manager)
    url = reverse("dispute-record-pdf", args=[dispute.reference])
    response = client.get(url, {"snapshot": snapshot.pk})
    assert response.status_code == 200
    assert response.content == bytes(snapshot.pdf)
    assert response["Content-Disposition"] == f'attachment; filename="{dispute.reference}-appendix-2-stage-2.pdf"'
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="record.downloaded")
    assert event.actor == bcssp.business_manager and event.after["snapshot"] == snapshot.pk
    listed = list(snapshots_of(dispute))
    assert listed == [snapshot] and "pdf" in listed[0].get_deferred_fields()


def test_render_record_command_writes_the_record_privately_and_is_audited(tscp, tmp_path):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    target = tmp_path / "record.pdf"
    out = io.StringIO()
    call_command("render_record", dispute.reference, "-o", str(target), stdout=out)
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "Professional Differences Record of Escalation" in pdf_text(pdf)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert dispute.reference in out.getvalue()
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="record.exported")
    assert event.actor is None and event.actor_label == "system"
    assert event.after["via"] == "manage.py render_record"


def test_render_record_command_writes_a_stored_snapshot(bcssp, tmp_path, committed):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))
    with committed():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    target = tmp_path / "snap.pdf"
    call_command(
        "render_record", dispute.reference, "-o", str(target), "--snapshot", str(snapshot.pk), stdout=io.StringIO()
    )
    assert target.read_bytes() == bytes(snapshot.pdf)


def test_render_record_command_refuses_an_unknown_reference_or_a_folder(bcssp, tmp_path):
    with pytest.raises(CommandError, match="No dispute has the reference NOPE-2026-0001"):
        call_command("render_record", "NOPE-2026-0001", "-o", str(tmp_path / "x.pdf"))
    dispute = bcssp.raise_dispute()
    with pytest.raises(CommandError, match="is a folder"):
        call_command("render_record", dispute.reference, "-o", str(tmp_path))
    with pytest.raises(CommandError, match="has no stored record 999"):
        call_command("render_record", dispute.reference, "-o", str(tmp_path / "x.pdf"), "--snapshot", "999")
    assert not (tmp_path / "x.pdf").exists()
    assert not AuditEvent.objects.filter(action="record.exported").exists()


def test_a_long_record_of_five_stages_pages_cleanly(tscp):
    walked = walk(tscp, 5, entries_per_stage=10)
    pdf = render_pdf(walked.dispute, now=london(2026, 3, 31, 12))
    pages = page_texts(pdf)
    assert 3 <= len(pages) <= 12
    assert_every_page_marked(pdf, walked.dispute.reference)
    text = pdf_text(pdf)
    assert len(re.findall(r"Stage \d attempt \d+:", text)) == 50
    images = save_page_images(pdf, "record_of_escalation-50-entries")
    assert len(images) == len(pages)
