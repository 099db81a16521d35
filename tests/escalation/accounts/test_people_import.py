"""Bulk import of agencies and people: the dry run writes nothing and says every problem; the apply does what it
showed, through the account services, audited; importing the same file again changes nothing."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from agencies.models import Agency, Membership, Role, Sector
from escalation.accounts import people_import as imports
from escalation.accounts.models import Invitation, RoleRequest
from escalation.audit.models import AuditEvent
from policies.runtime import ActionRefused

HEADER = ["agency_name", "agency_type", "person_email", "first_name", "last_name", "role", "job_title"]


def csv_bytes(rows, header=HEADER, bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def people_file(agencies: int, people: int) -> bytes:
    """`people` practitioners spread over `agencies` new schools."""
    return csv_bytes(
        [
            [
                f"School {n % agencies:02d}",
                "education",
                f"person{n:03d}@school.example",
                "Pat",
                f"Person{n}",
                "practitioner",
                "",
            ]
            for n in range(people)
        ]
    )


def counts() -> tuple:
    return (
        Agency.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        RoleRequest.objects.count(),
        Invitation.objects.count(),
        AuditEvent.objects.count(),
    )


def plan(world, data, by=None):
    return imports.plan_import(partnership=world.partnership, data=data, by=by or world.admin)


def apply(world, data, by=None, checked=None):
    by = by or world.admin
    checked = checked or plan(world, data, by).digest
    return imports.apply_import(partnership=world.partnership, data=data, by=by, checked=checked, now=timezone.now())


def test_the_dry_run_writes_nothing(bcssp):
    before = counts()
    checked = plan(bcssp, people_file(4, 12))
    assert counts() == before
    assert [row.outcome for row in checked.rows] == [imports.Outcome.CREATED] * 12
    assert len(checked.agencies_created) == 4
    assert checked.people_invited == 12
    assert not checked.has_errors


def test_every_rows_problem_is_said(bcssp, world_for):
    away = world_for("tscp", "AWAY")
    data = csv_bytes(
        [
            ["New Agency", "spaceship", "a@x.example", "A", "B", "practitioner", ""],  # 2: unknown type
            [bcssp.school.name, "", "not an address", "A", "B", "practitioner", ""],  # 3: bad e-mail
            [bcssp.school.name, "", "c@x.example", "C", "D", "manager", ""],  # 4: fine
            [bcssp.school.name, "", "C@X.example", "C", "D", "manager", ""],  # 5: duplicate of 4
            [bcssp.school.name, "", "e@x.example", "E", "F", "admin", ""],  # 6: role not allowed
            [bcssp.school.name, "", "g@x.example", "G", "H", "headmaster", ""],  # 7: not a role
            [bcssp.school.name, "", away.teacher.email, "T", "U", "practitioner", ""],  # 8: another partnership's
            [bcssp.school.name, "police", "i@x.example", "I", "J", "practitioner", ""],  # 9: other type than held
            ["Brand New", "", "k@x.example", "K", "L", "practitioner", ""],  # 10: new agency without a type
            [bcssp.school.name, "", "m@x.example", "", "", "practitioner", ""],  # 11: new person without a name
            [bcssp.school.name, "", bcssp.admin.email, "", "", "manager", ""],  # 12: the admin's own roles
        ]
    )
    checked = plan(bcssp, data)
    problems = {row.number: [(p.column, p.message) for p in row.problems] for row in checked.rows}
    assert "not an agency type" in problems[2][0][1]
    assert problems[3][0][0] == "person_email" and "correct format" in problems[3][0][1]
    assert problems[4] == []
    assert "Row 4 already gives" in problems[5][0][1]
    assert problems[6][0][0] == "role" and "one at a time" in problems[6][0][1]
    assert "not a role" in problems[7][0][1]
    assert problems[8] == [("person_email", imports.OTHER_PARTNERSHIP)]
    assert "already in your partnership as Education" in problems[9][0][1]
    assert problems[10][0][0] == "agency_type"
    assert {column for column, _ in problems[11]} == {"first_name", "last_name"}
    assert "your own roles" in problems[12][0][1]
    assert checked.has_errors
    with pytest.raises(ActionRefused):
        apply(bcssp, data)


def test_apply_creates_exactly_what_the_dry_run_showed(bcssp, django_capture_on_commit_callbacks):
    data = csv_bytes(
        [
            [
                "Riverside School",
                "Education",
                "sam@riverside.example",
                "Sam",
                "Patel",
                "Designated safeguarding lead",
                "Deputy Head",
            ],
            ["Riverside School", "", "sam@riverside.example", "Sam", "Patel", "manager", ""],
            ["Hillside Nursery", "early_years", "", "", "", "", ""],
            [bcssp.school.name.upper(), "", bcssp.teacher.email, "", "", "manager", ""],  # someone already here
            [bcssp.school.name, "", bcssp.teacher.email, "", "", "practitioner", ""],  # a role already held
            [bcssp.office.name, "", "new.chair@partnership.example", "Ada", "Chair", "chair", ""],
        ],
        bom=True,
    )
    checked = plan(bcssp, data)
    assert [row.outcome for row in checked.rows] == ["created", "created", "created", "changed", "unchanged", "created"]
    assert checked.agencies_created == ["Riverside School", "Hillside Nursery"]
    with django_capture_on_commit_callbacks(execute=True):
        result = apply(bcssp, data, checked=checked.digest)
    assert result == imports.ImportResult(
        agencies_created=2, people_invited=2, roles_granted=1, roles_requested=1, unchanged=1
    )
    riverside = Agency.objects.get(partnership=bcssp.partnership, name="Riverside School")
    assert riverside.sector == Sector.EDUCATION
    sam = get_user_model().objects.get(username="sam@riverside.example")
    assert not sam.has_usable_password()
    assert set(Membership.objects.filter(user=sam).values_list("agency__name", "role", "designation")) == {
        ("Riverside School", Role.DSL, "Deputy Head"),
        ("Riverside School", Role.MANAGER, ""),
    }
    assert Membership.objects.filter(user=bcssp.teacher, agency=bcssp.school, role=Role.MANAGER).exists()
    chair = get_user_model().objects.get(username="new.chair@partnership.example")
    assert not Membership.objects.filter(user=chair).exists()
    assert RoleRequest.objects.get(user=chair).status == RoleRequest.Status.PENDING
    assert sorted(message.to[0] for message in mail.outbox) == [
        "new.chair@partnership.example",
        "sam@riverside.example",
    ]


def test_importing_the_same_file_again_changes_nothing(bcssp, django_capture_on_commit_callbacks):
    data = people_file(3, 9)
    with django_capture_on_commit_callbacks(execute=True):
        apply(bcssp, data)
    before, sent = counts(), len(mail.outbox)
    again = plan(bcssp, data)
    assert {row.outcome for row in again.rows} == {imports.Outcome.UNCHANGED}
    with django_capture_on_commit_callbacks(execute=True):
        result = apply(bcssp, data)
    assert result.unchanged == 9 and result.people_invited == result.agencies_created == 0
    assert counts()[:5] == before[:5]
    assert counts()[5] == before[5] + 1  # only the import's own event
    assert len(mail.outbox) == sent


def test_the_import_is_audited_once_with_its_counts_and_the_services_events(bcssp, django_capture_on_commit_callbacks):
    data = people_file(2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        apply(bcssp, data)
    event = AuditEvent.objects.get(action="people.imported")
    assert event.actor == bcssp.admin and event.partnership == bcssp.partnership
    assert event.after["rows"] == 4 and event.after["people_invited"] == 4
    assert event.after["agencies_created"] == ["School 00", "School 01"]
    assert len(event.after["file_sha256"]) == 64
    assert AuditEvent.objects.filter(action="person.invited").count() == 4
    assert AuditEvent.objects.filter(action="role.granted").count() == 4


def test_nothing_is_written_when_the_partnership_changed_since_the_check(bcssp):
    data = csv_bytes([[bcssp.school.name, "", "late@x.example", "La", "Te", "practitioner", ""]])
    checked = plan(bcssp, data).digest
    Agency.objects.create(partnership=bcssp.partnership, name="Unrelated", sector=Sector.HEALTH)
    assert plan(bcssp, data).digest == checked  # something the file does not touch: same plan
    from escalation.accounts.invitations import RoleToGrant, invite_person

    invite_person(
        partnership=bcssp.partnership,
        email="late@x.example",
        first_name="La",
        last_name="Te",
        roles=[RoleToGrant(bcssp.school, Role.MANAGER)],
        invited_by=bcssp.admin,
        now=timezone.now(),
    )
    before = counts()
    with pytest.raises(imports.PlanChanged) as changed:
        apply(bcssp, data, checked=checked)
    assert counts() == before
    assert changed.value.plan.rows[0].outcome == imports.Outcome.CHANGED


def test_only_an_admin_of_the_partnership_imports(bcssp, world_for):
    away = world_for("tscp", "AWAY")
    data = people_file(1, 1)
    for outsider in (bcssp.business_manager, away.admin):
        with pytest.raises(ActionRefused):
            plan(bcssp, data, by=outsider)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\xff\xfeagency_name", "UTF-8"),
        (b"", "empty"),
        (b"agency_name,person_email\n", "must have the columns role"),
        (b"agency_name,person_email,role,phone\nA,b@x.example,manager,1\n", "(phone)"),
        (b"x" * (imports.MAX_FILE_BYTES + 1), "no larger than"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(bcssp, data, said):
    with pytest.raises(imports.FileRefused, match=None) as refused:
        plan(bcssp, data)
    assert said in str(refused.value)


def test_too_many_rows_are_refused(bcssp, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 5)
    with pytest.raises(imports.FileRefused, match="at most 5"):
        plan(bcssp, people_file(1, 6))


def test_headings_in_other_words_and_a_bom_are_read(bcssp):
    data = csv_bytes(
        [["New Place", "Health", "x@y.example", "X", "Y", "Nominated partnership representative", ""]],
        header=["Agency name", "Sector", "E-mail", "First name", "Last name", "Role", "Job title"],
        bom=True,
    )
    row = plan(bcssp, data).rows[0]
    assert not row.problems
    assert (row.sector, row.role, row.email) == (Sector.HEALTH, Role.NOMINATED_REPRESENTATIVE, "x@y.example")


def test_the_dry_run_reads_the_same_few_queries_for_30_people_or_300(bcssp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(people: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            plan(bcssp, people_file(10, people))
        return len(captured)

    assert queries(30) == queries(300)
