"""Issue 5's journeys in a real browser, from raising a dispute to the business manager's CSV export.

1. BCSSP, keyboard only: a teacher raises a dispute question by question, the social worker at the other
   agency replies with a record, the teacher proposes escalation, the head approves it in the approvals
   queue, and the business manager (setting up two-factor authentication on first sign-in) finds the
   dispute in the register by its reference and downloads the CSV.
2. TSCP, by mouse, with an immediate-harm start: the urgent contacts come before any other question and
   the dispute starts at stage 3; then the same reply and escalation, approved by the school's senior manager
   (Torbay's stage 4 is entered on a senior manager's referral, not a line manager's), and the export, with the
   business manager's authenticator app already set up.

Every page is screenshotted and checked with axe-core (see conftest.py).
"""

import csv
import io

import pytest
from django.utils import timezone

from escalation.disputes.models import Dispute, RecordEntry
from tests.browser.conftest import Journey, Person
from tests.conftest import build_world

pytestmark = pytest.mark.browser

REPLY = "Spoke to the teacher by phone; we will hold a strategy discussion with the school tomorrow."


def raise_dispute(
    teacher: Person,
    world,
    *,
    description: str,
    tried: str,
    category: str,
    start_stage: int | None = None,
) -> str:
    """The question-by-question journey, check your answers, and the dispute's page; gives its reference."""
    teacher.follow("Raise a dispute", "raise-start")
    teacher.follow("Start now", "question-immediate-harm")
    assert teacher.path == "/disputes/new/immediate-harm/", "immediate harm must be the first question"
    about = "question-subject-kind" if len(world.partnership.policy.current_version.subjects) > 1 else None
    if start_stage is None:
        teacher.choose("immediate_harm", "no")
        teacher.press("Continue", about or "question-subject")
    else:
        teacher.choose("immediate_harm", "yes")
        teacher.press("Continue", "urgent-contacts")
        assert teacher.path == "/disputes/new/urgent/", "a yes must lead straight to the urgent contacts"
        page = teacher.page
        assert page.locator("h1").inner_text() == "Get help now: someone is at risk of immediate harm"
        contacts = page.locator(".app-urgent-contacts")
        assert world.partnership.urgent_contacts.splitlines()[0] in contacts.inner_text()
        assert page.get_by_role("heading", name="The urgent route").is_visible()
        # The contacts come before the question of which stage to start at, and before any other question.
        order = page.evaluate(
            "() => Boolean(document.querySelector('.app-urgent-contacts')"
            ".compareDocumentPosition(document.querySelector('main form')) & Node.DOCUMENT_POSITION_FOLLOWING)"
        )
        assert order, "the urgent contacts must come before the form"
        teacher.choose("start_stage", str(start_stage))
        teacher.press("Continue", about or "question-subject")
    if about:
        assert teacher.path == "/disputes/new/subject-kind/"
        teacher.choose("kind", "child")
        teacher.press("Continue", "question-subject")
    assert teacher.path == "/disputes/new/subject/"
    teacher.type_into("name", "Jamie Example")
    teacher.type_into("date_of_birth_0", "14")
    teacher.type_into("date_of_birth_1", "6")
    teacher.type_into("date_of_birth_2", "2016")
    teacher.type_into("address", "1 Example Street, Exampletown")
    teacher.tick("circumstances", "child_protection_plan")
    teacher.press("Continue", "question-other-agency")
    teacher.choose("other_agency", str(world.social_care.pk))
    teacher.press("Continue", "question-decision-maker")
    teacher.choose("other_worker", str(world.social_worker.pk))
    teacher.press("Continue", "question-category")
    teacher.choose("category", category)
    teacher.press("Continue", "question-disagreement")
    teacher.type_into("description", description)
    teacher.press("Continue", "question-tried")
    teacher.type_into("attempts_so_far", tried)
    teacher.press("Continue", "question-outset")
    assert teacher.path == "/disputes/new/outset/"
    teacher.press("Continue", "check-answers")
    assert teacher.path == "/disputes/new/check/answers/"
    answers = teacher.page.locator("#answers").inner_text()
    for typed in ("Jamie Example", world.social_care.name, description, tried):
        assert typed in answers, f"check your answers is missing {typed!r}"
    teacher.press("Raise the dispute", "dispute-raised")
    reference = teacher.path.removeprefix("/disputes/").strip("/")
    assert teacher.page.locator("h1").inner_text() == f"Dispute {reference}"
    assert f"Dispute {reference} raised." in teacher.page.locator(".govuk-notification-banner").inner_text()
    return reference


def reply(worker: Person, reference: str) -> None:
    """The other agency's worker finds the dispute on their home page and adds a record of a discussion."""
    worker.sign_in()
    worker.follow(reference, "dispute")
    worker.follow("Add a record", "add-record")
    worker.choose("kind", "discussion")
    worker.type_into("text", REPLY)
    worker.press("Add the record", "dispute-after-record")
    banner = worker.page.locator(".govuk-notification-banner").inner_text()
    assert "Your record has been added to the dispute." in banner
    assert REPLY in worker.page.locator("main").inner_text()


def propose_escalation(teacher: Person, reference: str, reason: str) -> None:
    teacher.follow("Home", "home-after-reply")
    teacher.follow(reference, "dispute-with-reply")
    assert REPLY in teacher.page.locator("main").inner_text(), "the teacher must see the other agency's reply"
    teacher.follow("Escalate to the next stage", "propose-escalation")
    teacher.type_into("reason", reason)
    teacher.press("Propose escalation", "dispute-awaiting-approval")
    banner = teacher.page.locator(".govuk-notification-banner").inner_text()
    assert "Escalation proposed. A manager has been asked to approve it." in banner


def approve(manager: Person, reference: str, to_stage: int) -> None:
    manager.sign_in()
    manager.follow("Approvals", "approvals")
    assert manager.page.locator(f"#approval-{reference}").is_visible()
    manager.press("Approve", "approvals-after-approving")
    banner = manager.page.locator(".govuk-notification-banner").inner_text()
    assert f"{reference} has moved to stage {to_stage}" in banner
    assert manager.page.locator(f"#approval-{reference}").count() == 0


def find_and_export(business_manager: Person, reference: str) -> list[list[str]]:
    """The register, searched by reference, then its CSV; gives the CSV's rows."""
    business_manager.follow("Register", "register")
    business_manager.type_into("q", reference)
    business_manager.press("Search and filter", "register-search-by-reference")
    table = business_manager.page.locator("main table")
    assert table.get_by_role("link", name=reference, exact=True).is_visible()
    assert table.locator("tbody tr").count() == 1
    download = business_manager.download("Download these disputes as a CSV file")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(io.StringIO(handle.read())))


def column(rows: list[list[str]], heading: str) -> list[str]:
    index = rows[0].index(heading)
    return [row[index] for row in rows[1:]]


def test_bcssp_journey_by_keyboard_alone(journey):
    world = build_world("bcssp", "BCSSP")
    walk: Journey = journey("bcssp-keyboard")

    teacher = walk.person("teacher", world.teacher, keyboard=True)
    teacher.sign_in()
    reference = raise_dispute(
        teacher,
        world,
        description="The referral was closed with no assessment although Jamie disclosed harm at school.",
        tried="Phoned the duty social worker twice and e-mailed the team manager on Monday.",
        category="levels_of_need",
    )
    dispute = Dispute.objects.get(reference=reference)
    assert (dispute.state, dispute.current_stage, dispute.immediate_harm) == ("raised", 1, False)
    assert (dispute.raised_by, dispute.other_agency) == (world.teacher, world.social_care)

    reply(walk.person("social-worker", world.social_worker, keyboard=True), reference)
    assert RecordEntry.objects.filter(dispute=dispute, author=world.social_worker, text=REPLY).exists()

    propose_escalation(teacher, reference, "The strategy discussion did not happen and the child is still at risk.")
    dispute.refresh_from_db()
    assert dispute.state == "awaiting_approval"

    approve(walk.person("head", world.head, keyboard=True), reference, to_stage=2)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == ("in_discussion", 2)

    business_manager = walk.person("business-manager", world.business_manager, keyboard=True)
    business_manager.sign_in()  # First sign-in: sets up the authenticator app from the key on the page.
    rows = find_and_export(business_manager, reference)
    assert rows[0][0] == "Reference", f"the CSV must start with its header row, not {rows[0]}"
    assert column(rows, "Reference") == [reference]
    assert column(rows, "Stage") == ["2"]

    walk.assert_clean()


def test_tscp_journey_with_an_immediate_harm_start(journey):
    world = build_world("tscp", "TSCP")
    world.partnership.urgent_contacts = "Torbay MASH: 01803 208100 (24 hours)\nPolice: 999 if in danger now"
    world.partnership.save(update_fields=["urgent_contacts"])
    walk: Journey = journey("tscp-immediate-harm")

    teacher = walk.person("teacher", world.teacher)
    teacher.sign_in()
    # A leading dash, as in a pasted bullet point: a spreadsheet would run it as a formula unless escaped.
    description = "- No strategy meeting was held after the child said they were hurt at home last night."
    reference = raise_dispute(
        teacher,
        world,
        description=description,
        tried="Called the MASH at 9am and 11am; no call back.",
        category="need_for_action",
        start_stage=3,
    )
    dispute = Dispute.objects.get(reference=reference)
    assert (dispute.state, dispute.current_stage, dispute.immediate_harm) == ("raised", 3, True)
    current = teacher.page.locator(".app-ladder [aria-current=step] h3").inner_text()
    assert current == "Stage 3: Senior manager to senior manager", current

    reply(walk.person("social-worker", world.social_worker), reference)
    propose_escalation(teacher, reference, "No protective action within 24 hours: directors need to decide.")
    # "both senior managers must update their Divisional/Assistant Director" (torbay:54): the head, a line
    # manager and designated safeguarding lead, is not asked; the school's senior manager approves.
    head = walk.person("head", world.head)
    head.sign_in()
    head.follow("Approvals", "approvals-not-theirs")
    assert head.page.locator(f"#approval-{reference}").count() == 0
    approve(walk.person("senior", world.senior), reference, to_stage=4)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == ("in_discussion", 4)

    device = world.business_manager.totpdevice_set.create(name="Phone", confirmed=True)
    assert device.confirmed
    business_manager = walk.person("business-manager", world.business_manager)
    business_manager.sign_in()  # Enters the code from the app already set up.
    rows = find_and_export(business_manager, reference)
    assert rows[0][0] == "Reference"
    assert column(rows, "Reference") == [reference]
    assert column(rows, "Immediate harm") == ["Yes"]
    assert column(rows, "What the disagreement is about") == ["'" + description]
    assert timezone.localdate().isoformat() in column(rows, "Raised (UK time)")[0]

    walk.assert_clean()
