"""Who can see and do what: every persona × every page and action × disputes they are and are not party to.

The one table below is the specification. Each persona's test requests every row and compares what
happened with the table, cell by cell, reporting every difference at once. On top of the table:

* a refused or hidden POST leaves the dispute exactly as it was (checked for every POST cell);
* a 404 for a dispute that exists is byte-for-byte the 404 for one that does not (no hint it exists);
* a page shown to someone never carries the reference, subject or description of a dispute they may
  not see;
* every view of a dispute, every record download and every export leaves an audit event.

Disputes ("targets"):
  ours  raised by the school (raiser) against children's social care (o_pr, o_mgr)
  near  raised by the police (unrel's agency) against children's social care, same partnership
  away  a dispute in another partnership (whose business manager is "away")
A dispute action row is run on a dispute in the state the action needs (":awaiting", ":resolved"). A deadline
row posts an extension (the business manager's alone); ":shorten" posts bringing the deadline forward instead,
which the business manager or a manager of either agency in the dispute may do.

People ("targets" of the People rows, a partnership admin's pages; issue 12):
  colleague    someone in the home partnership's school (a fresh one for each POST; ":suspended" already suspended)
  self         the persona themselves: an admin trying to give themselves a role ("self:bm" business manager,
               "self:agency" a role in the school), remove their own, or suspend themselves
  away-person  someone in the other partnership
  invited      a person invited and not yet signed in; "used" an invitation link already used
  new          an invitation posted for a new address; "request" a business manager grant waiting for approval
Personas beyond the dispute's parties: "holder" holds a partnership office (the CP chair) and a rule brought them
in to "near" only; "suspended" is a school worker whose account a partnership admin suspended (a leaver).

Outcomes: a status code; "->name" a redirect to that URL name; "done" a POST that changed the dispute
and redirected; "refused" a POST answered with the form and an error, changing nothing; "hit"/"miss" a
200 whose body does or does not carry the target dispute's reference.
"""

import datetime
import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from agencies.models import Membership, Office, OfficeHolder, Role
from escalation.access.services import grant_access
from escalation.accounts.invitations import hash_token
from escalation.accounts.models import Invitation, RoleRequest
from escalation.accounts.roles import grant_role
from escalation.accounts.suspension import suspend_person
from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.models import Dispute
from escalation.notifications.models import Notification
from tests.auth_helpers import login
from tests.conftest import build_world
from tests.factories import UserFactory, member

PERSONAS = [
    "raiser",
    "r_mgr",
    "dsl",
    "o_pr",
    "o_mgr",
    "unrel",
    "bm",
    "chair",
    "admin",
    "away",
    "holder",
    "suspended",
    "anon",
]

TABLE = """
method url                target          raiser   r_mgr    dsl      o_pr     o_mgr    unrel    bm       chair    admin    away     holder   suspended anon
GET    home               -               200      200      200      200      200      200      200      200      200      200      200      ->login  ->login
GET    account            -               200      200      200      200      200      200      200      200      200      200      200      ->login  ->login
GET    notifications      -               200      200      200      200      200      200      200      200      200      200      200      ->login  ->login
POST   notifications      -               ->notifications ->notifications ->notifications ->notifications ->notifications ->notifications ->notifications ->notifications ->notifications ->notifications ->notifications ->login  ->login
GET    notification-open  ours            404      404      404      404      ->dispute 404      404      404      404      404      404      ->login  ->login
GET    raise-start        -               200      200      200      200      200      200      403      403      403      403      403      ->login  ->login
GET    approvals          ours:awaiting   miss     hit      hit      miss     miss     miss     miss     miss     miss     miss     miss     ->login  ->login
GET    register           -               404      404      404      404      404      404      200      200      404      200      404      ->login  ->login
GET    register-search    ours            404      404      404      404      404      404      hit      hit      404      miss     404      ->login  ->login
GET    register-search    away            404      404      404      404      404      404      miss     miss     404      hit      404      ->login  ->login
GET    register-csv       ours            404      404      404      404      404      404      hit      hit      404      miss     404      ->login  ->login
GET    register-csv       away            404      404      404      404      404      404      miss     miss     404      hit      404      ->login  ->login
GET    themes             -               404      404      404      404      404      404      200      200      404      200      404      ->login  ->login
GET    policies           -               200      200      200      200      200      200      200      200      200      200      200      ->login  ->login
GET    policy             bcssp           200      200      200      200      200      200      200      200      200      404      404      ->login  ->login
GET    policy             tscp            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
GET    policy-preview     bcssp           200      200      200      200      200      200      200      200      200      404      404      ->login  ->login
GET    policy-preview     tscp            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
GET    policy-try-scenario bcssp 404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
GET    policy-try-scenario tscp 404      404      404      404      404      404      404      404      404      404      404      ->login  ->login
GET    admin              -               ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login
GET    admin-audit        -               ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login  ->login
GET    dispute            ours            200      200      200      200      200      404      200      200      404      404      404      ->login  ->login
GET    dispute            near            404      404      404      200      200      200      200      200      404      404      200      ->login  ->login
GET    dispute            away            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
GET    dispute-record-pdf ours            200      200      200      200      200      404      200      200      404      404      404      ->login  ->login
GET    dispute-record-pdf near            404      404      404      200      200      200      200      200      404      404      200      ->login  ->login
GET    dispute-record-pdf away            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
GET    dispute-audit      ours            404      404      404      404      404      404      200      200      404      404      404      ->login  ->login
GET    dispute-audit      near            404      404      404      404      404      404      200      200      404      404      404      ->login  ->login
GET    dispute-audit      away            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
GET    dispute-add-entry  ours            200      200      200      200      200      404      200      200      404      404      404      ->login  ->login
GET    dispute-add-entry  near            404      404      404      200      200      200      200      200      404      404      ->dispute ->login  ->login
GET    dispute-add-entry  away            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
POST   dispute-add-entry  ours            done     done     done     done     done     404      done     done     404      404      404      ->login  ->login
POST   dispute-add-entry  near            404      404      404      done     done     done     done     done     404      404      refused  ->login  ->login
POST   dispute-add-entry  away            404      404      404      404      404      404      404      404      404      done     404      ->login  ->login
GET    dispute-escalate   ours            200      200      200      200      200      404      ->dispute ->dispute 404      404      404      ->login  ->login
GET    dispute-escalate   near            404      404      404      200      200      200      ->dispute ->dispute 404      404      ->dispute ->login  ->login
GET    dispute-escalate   away            404      404      404      404      404      404      404      404      404      ->dispute 404      ->login  ->login
POST   dispute-escalate   ours            done     done     done     done     done     404      refused  refused  404      404      404      ->login  ->login
POST   dispute-escalate   near            404      404      404      done     done     done     refused  refused  404      404      refused  ->login  ->login
POST   dispute-escalate   away            404      404      404      404      404      404      404      404      404      refused  404      ->login  ->login
GET    dispute-decide     ours:awaiting   ->dispute 200      200      ->dispute ->dispute 404      ->dispute ->dispute 404      404      404      ->login  ->login
GET    dispute-decide     near:awaiting   404      404      404      ->dispute ->dispute 200      ->dispute ->dispute 404      404      ->dispute ->login  ->login
GET    dispute-decide     away:awaiting   404      404      404      404      404      404      404      404      404      ->dispute 404      ->login  ->login
POST   dispute-decide     ours:awaiting   refused  done     done     refused  refused  404      refused  refused  404      404      404      ->login  ->login
POST   dispute-decide     near:awaiting   404      404      404      refused  refused  done     refused  refused  404      404      refused  ->login  ->login
POST   dispute-decide     away:awaiting   404      404      404      404      404      404      404      404      404      refused  404      ->login  ->login
GET    dispute-resolve    ours            200      200      200      200      200      404      200      200      404      404      404      ->login  ->login
GET    dispute-resolve    near            404      404      404      200      200      200      200      200      404      404      ->dispute ->login  ->login
GET    dispute-resolve    away            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
POST   dispute-resolve    ours            done     done     done     done     done     404      done     done     404      404      404      ->login  ->login
POST   dispute-resolve    near            404      404      404      done     done     done     done     done     404      404      refused  ->login  ->login
POST   dispute-resolve    away            404      404      404      404      404      404      404      404      404      done     404      ->login  ->login
GET    dispute-record-decision ours ->dispute ->dispute ->dispute ->dispute ->dispute 404      ->dispute ->dispute 404      404      404      ->login  ->login
POST   dispute-record-decision ours refused  refused  refused  refused  refused  404      refused  refused  404      404      404      ->login  ->login
GET    dispute-confirm-resolution ours ->dispute ->dispute ->dispute ->dispute ->dispute 404      ->dispute ->dispute 404      404      404      ->login  ->login
POST   dispute-confirm-resolution ours refused  refused  refused  refused  refused  404      refused  refused  404      404      404      ->login  ->login
GET    dispute-reject-resolution ours ->dispute ->dispute ->dispute ->dispute ->dispute 404      ->dispute ->dispute 404      404      404      ->login  ->login
POST   dispute-reject-resolution ours refused  refused  refused  refused  refused  404      refused  refused  404      404      404      ->login  ->login
GET    dispute-escalate-no-response ours ->dispute ->dispute ->dispute ->dispute ->dispute 404      ->dispute ->dispute 404      404      404      ->login  ->login
POST   dispute-escalate-no-response ours refused  refused  refused  refused  refused  404      refused  refused  404      404      404      ->login  ->login
GET    dispute-close      ours:resolved   200      200      200      200      200      404      200      200      404      404      404      ->login  ->login
GET    dispute-close      near:resolved   404      404      404      200      200      200      200      200      404      404      ->dispute ->login  ->login
GET    dispute-close      away:resolved   404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
POST   dispute-close      ours:resolved   done     done     done     done     done     404      done     done     404      404      404      ->login  ->login
POST   dispute-close      near:resolved   404      404      404      done     done     done     done     done     404      404      refused  ->login  ->login
POST   dispute-close      away:resolved   404      404      404      404      404      404      404      404      404      done     404      ->login  ->login
GET    dispute-withdraw   ours            200      200      200      ->dispute ->dispute 404      ->dispute ->dispute 404      404      404      ->login  ->login
GET    dispute-withdraw   near            404      404      404      ->dispute ->dispute 200      ->dispute ->dispute 404      404      ->dispute ->login  ->login
GET    dispute-withdraw   away            404      404      404      404      404      404      404      404      404      ->dispute 404      ->login  ->login
POST   dispute-withdraw   ours            done     done     done     refused  refused  404      refused  refused  404      404      404      ->login  ->login
POST   dispute-withdraw   near            404      404      404      refused  refused  done     refused  refused  404      404      refused  ->login  ->login
POST   dispute-withdraw   away            404      404      404      404      404      404      404      404      404      refused  404      ->login  ->login
GET    dispute-flag-harm  ours            200      200      200      200      200      404      ->dispute ->dispute 404      404      404      ->login  ->login
GET    dispute-flag-harm  near            404      404      404      200      200      200      ->dispute ->dispute 404      404      ->dispute ->login  ->login
GET    dispute-flag-harm  away            404      404      404      404      404      404      404      404      404      ->dispute 404      ->login  ->login
POST   dispute-flag-harm  ours            done     done     done     done     done     404      refused  refused  404      404      404      ->login  ->login
POST   dispute-flag-harm  near            404      404      404      done     done     done     refused  refused  404      404      refused  ->login  ->login
POST   dispute-flag-harm  away            404      404      404      404      404      404      404      404      404      refused  404      ->login  ->login
GET    dispute-deadline   ours            ->dispute 200      200      ->dispute 200      404      200      ->dispute 404      404      404      ->login  ->login
GET    dispute-deadline   near            404      404      404      ->dispute 200      200      200      ->dispute 404      404      ->dispute ->login  ->login
GET    dispute-deadline   away            404      404      404      404      404      404      404      404      404      200      404      ->login  ->login
POST   dispute-deadline   ours            refused  refused  refused  refused  refused  404      done     refused  404      404      404      ->login  ->login
POST   dispute-deadline   near            404      404      404      refused  refused  refused  done     refused  404      404      refused  ->login  ->login
POST   dispute-deadline   away            404      404      404      404      404      404      404      404      404      done     404      ->login  ->login
POST   dispute-deadline   ours:shorten    refused  done     done     refused  done     404      done     refused  404      404      404      ->login  ->login
POST   dispute-deadline   near:shorten    404      404      404      refused  done     done     done     refused  404      404      refused  ->login  ->login
POST   dispute-deadline   away:shorten    404      404      404      404      404      404      404      404      404      done     404      ->login  ->login
GET    people             -               404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
GET    people-invite      -               404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
GET    people-import      -               404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
GET    people-import-template -           404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
POST   people-invite      new             404      404      404      404      404      404      404      404      done     404      404      ->login  ->login
GET    person             colleague       404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
GET    person             self            404      404      404      404      404      404      404      404      200      404      404      ->login  ->login
GET    person             away-person     404      404      404      404      404      404      404      404      404      404      404      ->login  ->login
POST   person-add-role    colleague       404      404      404      404      404      404      404      404      done     404      404      ->login  ->login
POST   person-add-role    self:bm         404      404      404      404      404      404      404      404      refused  404      404      ->login  ->login
POST   person-add-role    self:agency     404      404      404      404      404      404      404      404      refused  404      404      ->login  ->login
POST   person-add-role    away-person     404      404      404      404      404      404      404      404      404      404      404      ->login  ->login
POST   person-remove-role colleague       404      404      404      404      404      404      404      404      done     404      404      ->login  ->login
POST   person-remove-role self            404      404      404      404      404      404      404      404      refused  404      404      ->login  ->login
POST   person-suspend     colleague       404      404      404      404      404      404      404      404      done     404      404      ->login  ->login
POST   person-suspend     self            404      404      404      404      404      404      404      404      refused  404      404      ->login  ->login
POST   person-suspend     away-person     404      404      404      404      404      404      404      404      404      404      404      ->login  ->login
POST   person-reinstate colleague:suspended 404      404      404      404      404      404      404      404      done     404      404      ->login  ->login
POST   person-resend-invitation invited 404      404      404      404      404      404      404      404      done     404      404      ->login  ->login
GET    role-requests      -               404      404      404      404      404      404      404      200      404      404      404      ->login  ->login
POST   role-requests      request         404      404      404      404      404      404      404      done     404      404      404      ->login  ->login
GET    invitation-accept  invited         200      200      200      200      200      200      200      200      200      200      200      200      200
GET    invitation-accept  used            404      404      404      404      404      404      404      404      404      404      404      404      404
"""  # noqa: E501


@dataclass(frozen=True)
class Row:
    method: str
    url: str
    target: str
    expected: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.url} {self.target}"

    @property
    def dispute_target(self) -> str | None:
        name = self.target.split(":")[0]
        return name if name in ("ours", "near", "away") else None

    @property
    def state(self) -> str:
        return self.target.split(":")[1] if ":" in self.target else "open"

    @property
    def people_target(self) -> str | None:
        name = self.target.split(":")[0]
        return name if name in PEOPLE_TARGETS else None

    @property
    def checks_hits(self) -> bool:
        return any(cell in ("hit", "miss") for cell in self.expected.values())


def parse_table(text: str) -> list[Row]:
    lines = [line.split() for line in text.strip().splitlines()]
    header, body = lines[0], lines[1:]
    assert header[3:] == PERSONAS, "the table's columns are the personas, in order"
    rows = []
    for cells in body:
        assert len(cells) == 3 + len(PERSONAS), f"row {' '.join(cells[:3])} has {len(cells) - 3} cells"
        rows.append(Row(cells[0], cells[1], cells[2], dict(zip(PERSONAS, cells[3:], strict=True))))
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)), "each row once"
    return rows


PEOPLE_TARGETS = ("colleague", "self", "away-person", "invited", "used", "new", "request")
ROWS = parse_table(TABLE)
#: The secret of the invitation links the scene makes (only its hash is stored, as the app stores them).
INVITED_TOKEN = "matrix-invitation-link"
USED_TOKEN = "matrix-used-invitation-link"
SECRET = {
    "ours": ("Ours Child Matrix", "OURS-DESCRIPTION-school-v-social-care"),
    "near": ("Near Child Matrix", "NEAR-DESCRIPTION-police-v-social-care"),
    "away": ("Away Child Matrix", "AWAY-DESCRIPTION-other-partnership"),
}


class Scene:
    """Two partnerships, their people, and disputes made on demand in the state a row needs."""

    def __init__(self):
        self.home = build_world("bcssp", "BCSSP")
        self.away = build_world("tscp", "TSCP")
        self.dsl = member(self.home.school, Role.DSL, username="bcssp-dsl-only")
        self.police_pc = member(self.home.bystander, Role.PRACTITIONER, username="bcssp-pc")
        self.users = {
            "raiser": self.home.teacher,
            "r_mgr": self.home.head,
            "dsl": self.dsl,
            "o_pr": self.home.social_worker,
            "o_mgr": self.home.team_manager,
            "unrel": self.home.outsider,
            "bm": self.home.business_manager,
            "chair": self.home.chair,
            "admin": self.home.admin,
            "away": self.away.business_manager,
            "holder": UserFactory(username="bcssp-cp-chair"),
            "suspended": member(self.home.school, Role.PRACTITIONER, username="bcssp-leaver"),
            "anon": None,
        }
        OfficeHolder.objects.create(partnership=self.home.partnership, office=Office.CP_CHAIR, user=self.holder)
        self.fixed = {name: self.make(name, "open") for name in ("ours", "near", "away")}
        self._stateful: dict[tuple[str, str], Dispute] = {}
        suspend_person(user=self.users["suspended"], suspended_by=self.home.admin, now=timezone.now())
        self.away_person = self.away.teacher
        self.invited = self.invite("bcssp-invited@example.org", INVITED_TOKEN)
        used = self.invite("bcssp-used@example.org", USED_TOKEN)
        Invitation.objects.filter(user=used).update(accepted_at=timezone.now())
        self._people = 0

    @property
    def holder(self):
        return self.users["holder"]

    def invite(self, email: str, token: str):
        """Someone invited to the school with a link whose secret is `token`, as `invite_person` leaves them."""
        person = UserFactory(username=email, email=email)
        person.set_unusable_password()
        person.save()
        Membership.objects.create(user=person, agency=self.home.school, role=Role.PRACTITIONER)
        now = timezone.now()
        Invitation.objects.create(
            user=person,
            partnership=self.home.partnership,
            invited_by=self.home.admin,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + datetime.timedelta(days=7),
        )
        return person

    def colleague(self, *, suspended: bool = False):
        """A fresh practitioner at the home school."""
        self._people += 1
        person = member(self.home.school, Role.PRACTITIONER, username=f"bcssp-colleague-{self._people}")
        if suspended:
            suspend_person(user=person, suspended_by=self.home.admin, now=timezone.now())
        return person

    def person_for(self, row: "Row", persona: str):
        """The account a People row is about (for `self`, the persona's own, or a colleague for the anonymous)."""
        target = row.people_target
        if target == "self":
            return self.users[persona] or self.colleague()
        if target == "away-person":
            return self.away_person
        if target == "invited":
            return self.invited if row.method == "GET" else self.invite(f"bcssp-inv-{self._next()}@example.org", "x")
        if target == "request":
            return self.colleague()
        if target == "colleague":
            return self.colleague(suspended=row.state == "suspended")
        return None

    def _next(self) -> int:
        self._people += 1
        return self._people

    def raiser_of(self, target: str):
        return {"ours": self.home.teacher, "near": self.police_pc, "away": self.away.teacher}[target]

    def make(self, target: str, state: str) -> Dispute:
        subject_name, description = SECRET[target]
        now = timezone.now() - datetime.timedelta(days=1)
        subject = {"kind": "child", "name": subject_name, "date_of_birth": datetime.date(2015, 3, 1)}
        if target == "away":
            dispute = self.away.raise_dispute(subject=subject, description=description, now=now)
        else:
            agency = self.home.school if target == "ours" else self.home.bystander
            dispute = self.home.raise_dispute(
                raised_by=self.raiser_of(target),
                raising_agency=agency,
                subject=subject,
                description=description,
                now=now,
            )
        raiser = self.raiser_of(target)
        if target == "near":
            grant_access(
                dispute=dispute, user=self.holder, reason="Matrix: the CP chair is told.", office="cp_chair", now=now
            )
        if state == "awaiting":
            services.propose_escalation(dispute=dispute, proposed_by=raiser, reason="Matrix: needs managers.")
        elif state == "resolved":
            services.record_resolution(
                dispute=dispute, recorded_by=raiser, agreed_outcome="Matrix: agreed.", decided_on=now.date()
            )
            if Dispute.objects.get(pk=dispute.pk).state == "awaiting_confirmation":
                other = (self.away if target == "away" else self.home).social_worker
                services.confirm_resolution(dispute=dispute, confirmed_by=other)
        return Dispute.objects.get(pk=dispute.pk)

    def dispute_for(self, row: Row, fresh: bool) -> Dispute | None:
        target = row.dispute_target
        if target is None:
            return None
        if fresh:
            return self.make(target, row.state)
        if row.state == "open":
            return self.fixed[target]
        key = (target, row.state)
        if key not in self._stateful:
            self._stateful[key] = self.make(target, row.state)
        return self._stateful[key]


def today_parts(name: str) -> dict[str, str]:
    today = timezone.localdate()
    return {f"{name}_0": str(today.day), f"{name}_1": str(today.month), f"{name}_2": str(today.year)}


def shorten_parts() -> dict[str, str]:
    """Bring the deadline forward to two hours from now: before every deadline the scene's disputes have."""
    moment = timezone.localtime(timezone.now() + datetime.timedelta(hours=2))
    return {
        "change": "shorten",
        "shorten-due_on_0": str(moment.day),
        "shorten-due_on_1": str(moment.month),
        "shorten-due_on_2": str(moment.year),
        "shorten-due_time": moment.strftime("%H:%M"),
        "shorten-reason": "Matrix: the child moves placement sooner.",
    }


POSTS = {
    "dispute-add-entry": lambda: {"kind": "discussion", "text": "Matrix record entry.", **today_parts("occurred_on")},
    "dispute-escalate": lambda: {"reason": "Matrix: escalate please."},
    "dispute-decide": lambda: {"decision": "approve", "reason": ""},
    "dispute-resolve": lambda: {
        "agreed_outcome": "Matrix: agreed outcome.",
        "outstanding_actions": "",
        "convened": "neither",
        **today_parts("decided_on"),
    },
    "dispute-record-decision": lambda: {
        "agreed_outcome": "Matrix: decided.",
        "outstanding_actions": "",
        "convened": "panel",
        **today_parts("decided_on"),
    },
    "dispute-confirm-resolution": dict,
    "dispute-reject-resolution": lambda: {"reason": "Matrix: we do not agree."},
    "dispute-escalate-no-response": lambda: {"reason": ""},
    "dispute-close": dict,
    "dispute-withdraw": lambda: {"reason": "Matrix: no longer needed."},
    "dispute-flag-harm": lambda: {"reason": "Matrix: a risk of immediate harm."},
    "dispute-deadline": lambda: {"change": "extend", "extend-working_days": "2", "extend-reason": "Matrix: more time."},
    "dispute-deadline:shorten": shorten_parts,
    "notifications": dict,
}


def people_url(row: Row, person) -> str:
    if row.url == "invitation-accept":
        return reverse(row.url, kwargs={"token": INVITED_TOKEN if row.target == "invited" else USED_TOKEN})
    if person is None or row.url in ("people-invite", "role-requests"):
        return reverse(row.url)
    return reverse(row.url, kwargs={"user_id": person.pk})


def people_fingerprint(person) -> tuple | None:
    """What a People row may change: whether the person can sign in, their roles, requests and invitation links."""
    if person is None:
        return (Invitation.objects.count(), RoleRequest.objects.filter(status=RoleRequest.Status.PENDING).count())
    person.refresh_from_db()
    return (
        person.is_active,
        tuple(Membership.objects.filter(user=person).order_by("pk").values_list("agency_id", "role")),
        tuple(RoleRequest.objects.filter(user=person).order_by("pk").values_list("role", "status")),
        tuple(Invitation.objects.filter(user=person).order_by("pk").values_list("token_hash", "withdrawn_at")),
    )


def people_post(scene: Scene, row: Row, person, persona: str) -> dict:
    home = scene.home
    if row.url == "people-invite":
        return {
            "first_name": "New",
            "last_name": "Person",
            "email": f"new-{persona}-{scene._next()}@example.org",
            "agency": home.school.pk,
            "role": Role.PRACTITIONER,
        }
    if row.url == "person-add-role":
        if row.state == "bm":
            return {"agency": home.office.pk, "role": Role.BUSINESS_MANAGER}
        return {"agency": home.school.pk, "role": Role.DSL if row.target == "colleague" else Role.MANAGER}
    if row.url == "person-remove-role":
        return {
            "membership": Membership.objects.filter(user=person).order_by("pk").values_list("pk", flat=True).first()
            or ""
        }
    if row.url == "role-requests":
        request = grant_role(
            user=person, agency=home.office, role=Role.BUSINESS_MANAGER, granted_by=home.admin, now=timezone.now()
        )
        return {"request": request.pk, "decision": "approve"}
    return {}


def url_for(scene: Scene, row: Row, dispute: Dispute | None) -> str:
    if dispute is not None:
        reference = dispute.reference
        if row.url == "dispute-deadline":
            deadline = dispute.deadlines.filter(closed_at__isnull=True).order_by("pk").first()
            assert deadline is not None, f"{reference} needs an open deadline for this row"
            return reverse(row.url, kwargs={"reference": reference, "deadline_id": deadline.pk})
        if row.url == "notification-open":
            notification = Notification.objects.filter(dispute=dispute, recipient=scene.users["o_mgr"]).first()
            assert notification is not None, "the other agency's manager is told when a dispute is raised"
            return reverse(row.url, kwargs={"notification_id": notification.pk})
        if row.url in ("register-search", "register-csv"):
            name = "register" if row.url == "register-search" else "register-csv"
            return f"{reverse(name)}?{urlencode({'q': reference})}"
        if row.url == "approvals":
            return reverse("approvals")
        return reverse(row.url, kwargs={"reference": reference})
    if row.url in ("policy", "policy-preview", "policy-try-scenario"):
        return reverse(row.url, kwargs={"slug": row.target})
    if row.url == "admin":
        return "/admin/"
    if row.url == "admin-audit":
        return "/admin/escalation/auditevent/"
    return reverse(row.url)


def fingerprint(dispute: Dispute | None) -> tuple | None:
    if dispute is None:
        return None
    current = Dispute.objects.get(pk=dispute.pk)
    return (
        current.state,
        current.current_stage,
        current.closed_at,
        current.escalation_proposed_by_id,
        current.immediate_harm,
        current.record_entries.count(),
        current.stage_visits.count(),
        Dispute.objects.filter(pk=dispute.pk, outcome__isnull=False).exists(),
        tuple(
            current.deadlines.order_by("pk").values_list(
                "pk", "due_at", "paused_at", "extended_days", "manual_due_at", "closed_at"
            )
        ),
    )


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def without_tokens(body: bytes) -> bytes:
    """The page without its per-request CSRF token (the sign-out form carries one)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)


def redirect_name(location: str) -> str:
    try:
        name = resolve(urlsplit(location).path).url_name
    except Resolver404:
        return f"->{location}"
    return "->login" if name in ("login", "admin-login") else f"->{name}"


def outcome(row: Row, response, body: bytes, before, after, dispute: Dispute | None) -> str:
    status = response.status_code
    changed = before != after
    tracked = dispute is not None or row.people_target is not None
    if row.method == "POST" and tracked and status == 302 and changed:
        return "done"
    if row.method == "POST" and tracked and status == 200:
        if not changed and b"govuk-error-summary" in body:
            return "refused"
        return f"200-{'changed' if changed else 'unchanged'}"
    if status == 302:
        return redirect_name(response["Location"])
    if status == 200 and row.checks_hits:
        return "hit" if shows(dispute, body) else "miss"
    return str(status)


def shows(dispute: Dispute, body: bytes) -> bool:
    """The page lists the dispute: links to it or carries its description (the search box may echo the reference)."""
    link = reverse("dispute", kwargs={"reference": dispute.reference}).encode()
    return link in body or dispute.description.encode() in body


def leaks(scene: Scene, persona: str, body: bytes, url: str) -> list[str]:
    """Markers of fixed disputes this persona may not see, found in a page shown to them.

    The bare reference is not a marker when the person typed it into the search (the box shows it back).
    """
    found = []
    for target, dispute in scene.fixed.items():
        if ROW_BY_KEY[f"GET dispute {target}"].expected[persona] == "200":
            continue
        markers = [reverse("dispute", kwargs={"reference": dispute.reference}), *SECRET[target]]
        if dispute.reference not in urlsplit(url).query:
            markers.append(dispute.reference)
        for marker in markers:
            if marker.encode() in body:
                found.append(f"{marker} ({target})")
    return found


ROW_BY_KEY = {row.key: row for row in ROWS}
AUDITED = {"dispute", "dispute-record-pdf", "register-csv"}


@pytest.fixture
def scene(db):
    return Scene()


def client_for(scene: Scene, persona: str) -> Client:
    client = Client()
    user = scene.users[persona]
    if user is not None:
        login(client, user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(scene, persona):
    user = scene.users[persona]
    differences, problems = [], []
    for row in ROWS:
        fresh = row.method == "POST" and row.dispute_target is not None
        dispute = scene.dispute_for(row, fresh)
        client = client_for(scene, persona)
        if row.people_target:
            person = scene.person_for(row, persona)
            url = people_url(row, person)
            data = partial(people_post, scene, row, person, persona)
            state = partial(people_fingerprint, person)
        else:
            url = url_for(scene, row, dispute)
            data = POSTS.get(f"{row.url}:{row.state}", POSTS.get(row.url))
            state = partial(fingerprint, dispute)
        posted = data() if row.method == "POST" else None
        before = state()
        audit_before = AuditEvent.objects.filter(actor=user).count() if user else 0
        response = client.post(url, posted) if row.method == "POST" else client.get(url)
        body = body_of(response)
        after = state()
        actual = outcome(row, response, body, before, after, dispute)
        expected = row.expected[persona]
        if actual != expected:
            differences.append(f"{row.key:<40} expected {expected:<16} got {actual}")
        if expected in ("404", "refused", "->login") and before != after:
            problems.append(f"{row.key}: a refused request changed the dispute")
        if actual == "403" and row.dispute_target:
            problems.append(f"{row.key}: 403 tells an outsider the dispute exists; must be 404")
        if response.status_code == 200 and response.get("Content-Type", "").startswith(("text/html", "text/csv")):
            for marker in leaks(scene, persona, body, url):
                problems.append(f"{row.key}: shows {marker}, which {persona} may not see")
        if actual == "404" and row.method == "GET" and dispute is not None and dispute.reference in url:
            nothing = client.get(url.replace(dispute.reference, "BCSSP-2026-9999"))
            if nothing.status_code != 404 or without_tokens(body_of(nothing)) != without_tokens(body):
                problems.append(f"{row.key}: the 404 for a hidden dispute differs from the 404 for no dispute")
        audited = AuditEvent.objects.filter(actor=user).count() > audit_before if user else False
        if response.status_code == 200 and row.method == "GET" and row.url in AUDITED and not audited:
            problems.append(f"{row.key}: shown to {persona} without an audit event")
    report = "\n".join(differences + problems)
    assert not report, f"\n{persona}: {len(differences)} cell(s) differ from the table\n{report}"


def test_the_table_covers_every_url_name():
    """A new page must be added to the table: every URL name in the app appears in it (or is listed here)."""
    from escalation.urls import urlpatterns

    def names(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                if getattr(pattern, "app_name", None) == "admin":
                    continue
                yield from names(pattern.url_patterns)
            elif pattern.name:
                yield pattern.name

    covered = {row.url for row in ROWS} | {"register", "register-csv"}
    # Not in the table: the raise journey's later steps (need answers in the session; tested by the fuzz
    # tests and the journey's own tests), sign-in/out and the 2FA pages (tests/security/test_two_factor.py), the
    # password reset pages, the same for everyone (tests/security/test_password_reset.py).
    elsewhere = {
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "raise-step",
        "raise-check",
        "login",
        "logout",
        "logout-everywhere",
        "two-factor-setup",
        "two-factor-verify",
        # The e-mailed set-up link, backup codes and recovery (tests/security/test_two_factor_recovery.py).
        "two-factor-send-link",
        "two-factor-link",
        "two-factor-backup-code",
        "two-factor-backup-codes",
        "two-factor-recovery",
        "admin-login",
        # Applying a checked import carries the checked file and its plan (tests/web/test_people_import.py, which
        # also shows it is a 404 for anyone but an admin).
        "people-import-apply",
        # Restarts the signed-in person's idle time, nothing else (tests/web/test_timeout_warning.py).
        "keep-signed-in",
    }
    missing = set(names(urlpatterns)) - covered - elsewhere
    assert not missing, f"URL names with no row in the access table: {sorted(missing)}"


def test_raise_journey_pages_need_a_sign_in_and_a_raising_agency(scene):
    anonymous = Client()
    for url in (reverse("raise-step", kwargs={"step": "subject"}), reverse("raise-check")):
        response = anonymous.get(url)
        assert response.status_code == 302 and redirect_name(response["Location"]) == "->login"
    office = client_for(scene, "bm")
    for url in (reverse("raise-step", kwargs={"step": "subject"}), reverse("raise-check")):
        assert office.get(url).status_code == 403
    before = Dispute.objects.count()
    assert office.post(reverse("raise-check")).status_code == 403
    assert Dispute.objects.count() == before


def test_a_notification_of_another_person_is_a_404(scene):
    theirs = Notification.objects.filter(recipient=scene.users["o_mgr"]).first()
    for persona in ("raiser", "bm", "away"):
        response = client_for(scene, persona).get(reverse("notification-open", kwargs={"notification_id": theirs.pk}))
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None, "someone else opening it must not mark it read"


def test_the_audit_page_shows_who_viewed_the_dispute(scene):
    """The business manager sees each view: who and when; nobody who did not look is listed."""
    ours = scene.fixed["ours"]
    audit_url = reverse("dispute-audit", kwargs={"reference": ours.reference})
    client_for(scene, "raiser").get(reverse("dispute", kwargs={"reference": ours.reference}))
    page = client_for(scene, "bm").get(audit_url).content.decode()
    assert scene.users["raiser"].get_username() in page
    assert "Viewed the dispute" in page
    assert not re.search(r"bcssp-(police|admin)", page)
