"""Bulk import of a partnership's agencies and people from a CSV file: a dry run that writes nothing, then an apply.

One row is one role one person holds in one agency (a person with two roles has two rows); a row with only an
agency adds the agency. `plan_import` reads the file and the database and says, row by row, what the import would
create, change or leave alone, and every problem it finds; `apply_import` carries out exactly that plan in one
transaction, through the same services as the People pages: a new person through `invitations.invite_person` (an
account with no password and an e-mail with a link to set one), a new role for someone already in the partnership
through `roles.grant_role` (business manager and chair wait for the partnership chair's approval). If anything in
the database changed since the dry run so that the plan would differ, nothing is written and the new plan is shown.

Existing agencies are matched by name (ignoring case), existing people by e-mail address; names of people already
in the partnership are never changed, and nothing is ever removed: a role missing from the file stays held.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from agencies import text_limits as limits
from agencies.models import Agency, Membership, Partnership, Role, Sector
from escalation.accounts import invitations, roles
from escalation.accounts.models import RoleRequest
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from policies.runtime import ActionRefused

#: The largest file read; a partnership of a few thousand people fits well within it.
MAX_FILE_BYTES = 512 * 1024
#: The most rows (after the header, blank rows left out) one import takes.
MAX_ROWS = 5_000
#: The columns, in the template's order.
COLUMNS = ("agency_name", "agency_type", "person_email", "first_name", "last_name", "role", "job_title")
#: Columns a file must have; the others may be left out.
REQUIRED_COLUMNS = ("agency_name", "person_email", "role")
#: Other headings people write for the same columns.
ALIASES = {
    "agency": "agency_name",
    "sector": "agency_type",
    "email": "person_email",
    "e_mail": "person_email",
    "email_address": "person_email",
    "designation": "job_title",
}
#: A partnership admin's powers are given one person at a time, on the person's page, never by a file.
NOT_BY_IMPORT = frozenset({Role.ADMIN})
NAME_LIMIT = 150

OTHER_PARTNERSHIP = (
    "Someone with this e-mail address already has an account outside your partnership: ask a superuser to give "
    "them a role in yours."
)


class FileRefused(Exception):
    """The file as a whole cannot be read (not UTF-8, too big, too many rows, wrong columns)."""


class Outcome(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    ERROR = "error"


class RoleChange(StrEnum):
    NONE = ""  # a row with only an agency
    GRANT = "grant"
    REQUEST = "request"  # waits for the partnership chair
    HELD = "held"
    WAITING = "waiting"  # already waiting for the chair


@dataclass(frozen=True)
class RowProblem:
    column: str
    message: str


@dataclass
class PlannedRow:
    """One row of the file and what the import would do with it."""

    number: int  # as a spreadsheet numbers it: the header is row 1
    agency_name: str = ""
    sector: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    role: str = ""
    job_title: str = ""
    new_agency: bool = False  # this row is the first to name an agency that does not exist yet
    agency_new_in_file: bool = False
    new_person: bool = False
    role_change: RoleChange = RoleChange.NONE
    problems: list[RowProblem] = field(default_factory=list)

    def refuse(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(column, message))

    @property
    def outcome(self) -> Outcome:
        if self.problems:
            return Outcome.ERROR
        if self.new_agency or self.new_person:
            return Outcome.CREATED
        if self.role_change in (RoleChange.GRANT, RoleChange.REQUEST):
            return Outcome.CHANGED
        return Outcome.UNCHANGED

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role

    @property
    def what_happens(self) -> list[str]:
        """What the import would do, in sentences (nothing for a row with problems); the row's own columns say to
        whom and where."""
        if self.problems:
            return []
        said = []
        if self.new_agency:
            said.append(f"Adds the agency ({Sector(self.sector).label}).")
        waits = self.role_change == RoleChange.REQUEST
        if self.new_person:
            said.append("Invites this new person by e-mail.")
            if waits:
                said.append("The role waits for the partnership chair's approval.")
        elif self.role_change == RoleChange.GRANT:
            said.append("Gives them this role.")
        elif waits:
            said.append("Asks the partnership chair to approve this role.")
        elif self.role_change == RoleChange.HELD:
            said.append("Nothing: they already hold this role.")
        elif self.role_change == RoleChange.WAITING:
            said.append("Nothing: this role already waits for the chair's approval.")
        elif not self.new_agency:
            said.append("Nothing: the agency is already in your partnership.")
        return said


@dataclass
class ImportPlan:
    partnership: Partnership
    rows: list[PlannedRow]
    file_sha256: str

    @property
    def has_errors(self) -> bool:
        return any(row.problems for row in self.rows)

    @property
    def error_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.problems]

    @property
    def agencies_created(self) -> list[str]:
        return [row.agency_name for row in self.rows if row.new_agency and not row.problems]

    @property
    def people_invited(self) -> int:
        return len({row.email for row in self.rows if row.new_person and not row.problems})

    def _count(self, change: RoleChange, *, new_person: bool | None = None) -> int:
        return sum(
            1
            for row in self.rows
            if not row.problems and row.role_change == change and (new_person is None or row.new_person == new_person)
        )

    @property
    def roles_granted(self) -> int:
        """Roles given at once to people already in the partnership."""
        return self._count(RoleChange.GRANT, new_person=False)

    @property
    def roles_requested(self) -> int:
        """Roles that wait for the partnership chair, for new people and people already in the partnership."""
        return self._count(RoleChange.REQUEST)

    @property
    def unchanged(self) -> int:
        return sum(1 for row in self.rows if row.outcome == Outcome.UNCHANGED)

    @property
    def digest(self) -> str:
        """What the plan would do, as a hash: an apply goes ahead only if the plan is still the one checked."""
        content = [self.partnership.pk, self.file_sha256] + [
            [row.number, row.outcome, row.what_happens, [(p.column, p.message) for p in row.problems]]
            for row in self.rows
        ]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class ImportResult:
    agencies_created: int
    people_invited: int
    roles_granted: int
    roles_requested: int
    unchanged: int


class PlanChanged(ActionRefused):
    """The database changed since the dry run, so the import would now do something else; nothing was written."""

    def __init__(self, plan: ImportPlan):
        super().__init__(
            "Something changed in your partnership since you checked this file, so the import would now do something "
            "different. Nothing has been imported: check what it would do now, then import again."
        )
        self.plan = plan


def _heading(text: str) -> str:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return ALIASES.get(key, key)


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (spreadsheet row number, {column: text}); blank rows are left out.

    UTF-8 with or without a byte order mark (Excel's "CSV UTF-8" writes one)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"The file must be no larger than {MAX_FILE_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            "The file must be saved as UTF-8: in Excel choose Save As, then \u201cCSV UTF-8 (comma delimited)\u201d."
        ) from None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise FileRefused("The file is not a CSV file that can be read: save it again as CSV UTF-8.") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise FileRefused("The file is empty: its first row must name the columns, as in the template.")
    headings = [_heading(cell) for cell in records[0]]
    unknown = [heading for heading in headings if heading not in COLUMNS]
    if unknown:
        raise FileRefused(
            f"The file has columns this import does not read ({', '.join(unknown)}): use only {', '.join(COLUMNS)}."
        )
    repeated = sorted({heading for heading in headings if headings.count(heading) > 1})
    if repeated:
        raise FileRefused(f"The file names these columns more than once: {', '.join(repeated)}.")
    missing = [column for column in REQUIRED_COLUMNS if column not in headings]
    if missing:
        raise FileRefused(f"The file must have the columns {', '.join(missing)} (see the template).")
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = dict.fromkeys(COLUMNS, "")
        for heading, cell in zip(headings, record, strict=False):
            cells[heading] = cell.strip()
        if len(record) > len(headings) and any(cell.strip() for cell in record[len(headings) :]):
            cells["__extra__"] = "yes"
        rows.append((index, cells))
    if len(rows) > MAX_ROWS:
        raise FileRefused(f"The file has {len(rows):,} rows: import at most {MAX_ROWS:,} at a time.")
    if not rows:
        raise FileRefused("The file has no rows under its column names.")
    return rows


def _choice(text: str, choices: type[Sector] | type[Role]) -> str | None:
    """The choice a cell names, by its key (education) or its label (Education), ignoring case."""
    wanted = _heading(text)
    for value, label in choices.choices:
        if wanted in (value, _heading(label)):
            return value
    return None


def _check_cells(row: PlannedRow, cells: dict[str, str]) -> None:
    """What can be told from the row alone."""
    if "__extra__" in cells:
        row.refuse("", "This row has more cells than the file has columns: check for a stray comma.")
    row.agency_name, row.job_title = cells["agency_name"], cells["job_title"]
    row.first_name, row.last_name = cells["first_name"], cells["last_name"]
    if not row.agency_name:
        row.refuse("agency_name", "Enter the agency's name.")
    elif len(row.agency_name) > limits.NAME:
        row.refuse("agency_name", f"The agency's name must be {limits.NAME} characters or fewer.")
    if cells["agency_type"]:
        row.sector = _choice(cells["agency_type"], Sector) or ""
        if not row.sector:
            row.refuse(
                "agency_type", f"{cells['agency_type']!r} is not an agency type: see the list on the import page."
            )
    if len(row.job_title) > limits.SHORT_TEXT:
        row.refuse("job_title", f"The job title must be {limits.SHORT_TEXT} characters or fewer.")
    for column, value in (("first_name", row.first_name), ("last_name", row.last_name)):
        if len(value) > NAME_LIMIT:
            row.refuse(column, f"The name must be {NAME_LIMIT} characters or fewer.")
    person_given = any(cells[column] for column in ("person_email", "first_name", "last_name", "role", "job_title"))
    if not person_given:
        return
    if not cells["person_email"]:
        row.refuse("person_email", "Enter the person's e-mail address.")
    else:
        try:
            row.email = invitations.normalise_email(cells["person_email"])
        except ActionRefused as refused:
            row.email = cells["person_email"]
            row.refuse("person_email", str(refused))
    if not cells["role"]:
        row.refuse("role", "Enter the person's role.")
        return
    role = _choice(cells["role"], Role)
    if role is None:
        row.refuse("role", f"{cells['role']!r} is not a role: see the list on the import page.")
    elif role in NOT_BY_IMPORT:
        row.refuse("role", "Partnership admins are made one at a time, on the person's page, not by import.")
    else:
        row.role = role


def _existing_people(partnership: Partnership, addresses: set[str]) -> tuple[dict[str, object], set[int]]:
    """({address: account} for accounts with these addresses, the ids of those already in the partnership)."""
    found = (
        get_user_model()
        .objects.annotate(lower_username=Lower("username"), lower_email=Lower("email"))
        .filter(Q(lower_username__in=addresses) | Q(lower_email__in=addresses))
    )
    by_address: dict[str, object] = {}
    for user in found:
        for address in (user.lower_username, user.lower_email):
            if address in addresses:
                by_address.setdefault(address, user)
    ids = {user.pk for user in by_address.values()}
    inside = set(roles.people_of([partnership]).filter(pk__in=ids).values_list("pk", flat=True))
    return by_address, inside


def plan_import(*, partnership: Partnership, data: bytes, by) -> ImportPlan:
    """What importing `data` into `partnership` would do, row by row, and every problem; writes nothing.

    Raises `FileRefused` for a file that cannot be read at all, `ActionRefused` for someone who is not an admin of
    `partnership`."""
    if not roles.administers(by, partnership):
        raise ActionRefused(roles.NOT_YOUR_PARTNERSHIP)
    records = read_rows(data)
    rows = []
    for number, cells in records:
        row = PlannedRow(number=number)
        _check_cells(row, cells)
        rows.append(row)
    agencies = {agency.name.lower(): agency for agency in Agency.objects.filter(partnership=partnership)}
    addresses = {row.email for row in rows if row.email and not any(p.column == "person_email" for p in row.problems)}
    accounts, inside = _existing_people(partnership, addresses)
    held = set(
        Membership.objects.filter(
            agency__partnership=partnership, user__in=[a.pk for a in accounts.values()]
        ).values_list("user_id", "agency_id", "role")
    )
    waiting = set(
        RoleRequest.objects.filter(
            agency__partnership=partnership,
            user__in=[a.pk for a in accounts.values()],
            status=RoleRequest.Status.PENDING,
        ).values_list("user_id", "agency_id", "role")
    )
    new_agencies: dict[str, PlannedRow] = {}
    new_people: dict[str, PlannedRow] = {}
    seen: dict[tuple[str, str, str], int] = {}
    refusals: dict[int, str | None] = {}
    for row in rows:
        key = row.agency_name.lower()
        agency = agencies.get(key)
        if row.agency_name and agency is not None:
            row.agency_name = agency.name
            if row.sector and row.sector != agency.sector:
                row.refuse(
                    "agency_type",
                    f"{agency.name} is already in your partnership as {agency.get_sector_display()}: "
                    "write that type or leave it blank.",
                )
        elif row.agency_name and key in new_agencies:
            first = new_agencies[key]
            row.agency_name, row.agency_new_in_file = first.agency_name, True
            if row.sector and first.sector and row.sector != first.sector:
                row.refuse("agency_type", f"Row {first.number} gives {first.agency_name} another type.")
            row.sector = row.sector or first.sector
        elif row.agency_name and not any(p.column == "agency_name" for p in row.problems):
            if not row.sector and not any(p.column == "agency_type" for p in row.problems):
                row.refuse("agency_type", f"Enter the type of agency: {row.agency_name} is new to your partnership.")
            elif row.sector:
                row.new_agency = True
                new_agencies[key] = row
        if row.problems or not row.email:
            continue
        duplicate = seen.get((row.email, key, row.role))
        if duplicate:
            row.refuse("", f"Row {duplicate} already gives this person this role in this agency.")
            continue
        seen[(row.email, key, row.role)] = row.number
        account = accounts.get(row.email)
        waits = row.role in roles.NEEDS_APPROVAL and not by.is_superuser
        if account is None:
            _plan_new_person(row, new_people, waits)
            continue
        if account.pk not in inside:
            row.refuse("person_email", OTHER_PARTNERSHIP)
            continue
        agency_id = agency.pk if agency is not None else None
        if (account.pk, agency_id, row.role) in held:
            row.role_change = RoleChange.HELD
        elif (account.pk, agency_id, row.role) in waiting:
            row.role_change = RoleChange.WAITING
        else:
            if account.pk not in refusals:
                refusals[account.pk] = roles.refusal_to_change(changed_by=by, user=account, partnership=partnership)
            if refusals[account.pk]:
                row.refuse("person_email", refusals[account.pk])
            elif not account.is_active:
                row.refuse("person_email", "This person is suspended: reinstate them first.")
            else:
                row.role_change = RoleChange.REQUEST if waits else RoleChange.GRANT
    return ImportPlan(partnership=partnership, rows=rows, file_sha256=hashlib.sha256(data).hexdigest())


def _plan_new_person(row: PlannedRow, new_people: dict[str, PlannedRow], waits: bool) -> None:
    first = new_people.get(row.email)
    if first is None:
        if not row.first_name:
            row.refuse("first_name", "Enter the person's first name: they are new to your partnership.")
        if not row.last_name:
            row.refuse("last_name", "Enter the person's last name: they are new to your partnership.")
        if row.problems:
            return
        new_people[row.email] = row
    elif (row.first_name or first.first_name, row.last_name or first.last_name) != (first.first_name, first.last_name):
        row.refuse("first_name", f"Row {first.number} gives this person another name.")
        return
    else:
        row.first_name, row.last_name = first.first_name, first.last_name
    row.new_person = True
    row.role_change = RoleChange.REQUEST if waits else RoleChange.GRANT


@transaction.atomic
def apply_import(*, partnership: Partnership, data: bytes, by, checked: str, now: datetime.datetime) -> ImportResult:
    """Carry out the plan the admin checked (`checked` is its `digest`) in one transaction, audited.

    Refused (`ActionRefused`) when the file has problems, and `PlanChanged` (nothing written) when the plan is no
    longer the one checked. Invitation e-mails go after the commit, one per new person."""
    plan = plan_import(partnership=partnership, data=data, by=by)
    if plan.has_errors:
        raise ActionRefused("The file has problems: correct them and check the file again.")
    if plan.digest != checked:
        raise PlanChanged(plan)
    try:
        with transaction.atomic():
            agencies = {
                row.agency_name.lower(): Agency.objects.create(
                    partnership=partnership, name=row.agency_name, sector=row.sector
                )
                for row in plan.rows
                if row.new_agency
            }
    except IntegrityError:
        raise PlanChanged(plan_import(partnership=partnership, data=data, by=by)) from None
    agencies.update({agency.name.lower(): agency for agency in Agency.objects.filter(partnership=partnership)})
    to_invite: dict[str, list[PlannedRow]] = defaultdict(list)
    for row in plan.rows:
        if row.new_person:
            to_invite[row.email].append(row)
    for email, person_rows in to_invite.items():
        invitations.invite_person(
            partnership=partnership,
            email=email,
            first_name=person_rows[0].first_name,
            last_name=person_rows[0].last_name,
            roles=[
                invitations.RoleToGrant(agencies[row.agency_name.lower()], row.role, row.job_title)
                for row in person_rows
            ],
            invited_by=by,
            now=now,
        )
    user_model = get_user_model()
    for row in plan.rows:
        if row.new_person or row.role_change not in (RoleChange.GRANT, RoleChange.REQUEST):
            continue
        person = user_model.objects.annotate(lower_username=Lower("username"), lower_email=Lower("email")).filter(
            Q(lower_username=row.email) | Q(lower_email=row.email)
        )[0]
        roles.grant_role(
            user=person,
            agency=agencies[row.agency_name.lower()],
            role=row.role,
            designation=row.job_title,
            granted_by=by,
            now=now,
        )
    result = ImportResult(
        agencies_created=len(plan.agencies_created),
        people_invited=plan.people_invited,
        roles_granted=plan.roles_granted,
        roles_requested=plan.roles_requested,
        unchanged=plan.unchanged,
    )
    audit.record(
        by,
        AuditEventType.PEOPLE_IMPORTED,
        obj=partnership,
        partnership=partnership,
        after={
            "file_sha256": plan.file_sha256,
            "rows": len(plan.rows),
            "agencies_created": plan.agencies_created,
            "people_invited": result.people_invited,
            "roles_granted": result.roles_granted,
            "roles_requested": result.roles_requested,
            "unchanged": result.unchanged,
        },
        now=now,
    )
    return result
