"""Every kind of audit event, in one place: its stored name, its label for people and what it records.

`AuditEventType` is the one list of what the audit trail can say happened. Its values are the strings stored in
`AuditEvent.action`, so rows written before this list existed read the same; a value is never renamed.

`DESCRIPTIONS` says, for each type:

- `label`: what a person reads ("Escalation proposed");
- `after` and `before`: the keys the event's `after` and `before` JSON carry, each with a line on what it holds
  (an empty `before` means the event stores none); keys in `optional` may be left out;
- `on_timeline`: shown on the dispute's timeline, because nothing else on the page records it;
- `on_who_looked`: listed on the dispute's "Who has looked at this dispute" page.

`record()` refuses a name that is not here, and with `AUDIT_CHECK_PAYLOADS` (on in DEBUG and in the tests) it
also refuses an `after` or `before` whose keys differ from the declaration, so a new key is documented here first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class AuditEventType(StrEnum):
    # A dispute's life
    DISPUTE_RAISED = "dispute.raised"
    RECORD_ENTRY_ADDED = "record_entry.added"
    DISPUTE_ESCALATED = "dispute.escalated"
    ESCALATION_PROPOSED = "escalation.proposed"
    ESCALATION_APPROVED = "escalation.approved"
    ESCALATION_DECLINED = "escalation.declined"
    DISPUTE_RESOLVED = "dispute.resolved"
    DECISION_RECORDED = "dispute.decision_recorded"
    RESOLUTION_AWAITING_CONFIRMATION = "resolution.awaiting_confirmation"
    RESOLUTION_CONFIRMED = "resolution.confirmed"
    RESOLUTION_REJECTED = "resolution.rejected"
    DISPUTE_ESCALATED_NO_RESPONSE = "dispute.escalated_no_response"
    DISPUTE_CLOSED = "dispute.closed"
    DISPUTE_WITHDRAWN = "dispute.withdrawn"
    DISPUTE_IMMEDIATE_HARM_FLAGGED = "dispute.immediate_harm_flagged"
    # Deadlines
    DEADLINE_SET = "deadline.set"
    DEADLINE_EXTENDED = "deadline.extended"
    DEADLINE_PAUSED = "deadline.paused"
    DEADLINE_RESUMED = "deadline.resumed"
    DEADLINE_RECOMPUTED = "deadline.recomputed"
    DEADLINE_SHORTENED = "deadline.shortened"
    DEADLINE_REMINDED = "deadline.reminded"
    DEADLINE_BREACHED = "deadline.breached"
    # Written records
    RECORD_REQUIRED = "record.required"
    RECORD_PRODUCED = "record.produced"
    RECORD_FAILED = "record.failed"
    RECORD_DOWNLOADED = "record.downloaded"
    RECORD_EXPORTED = "record.exported"
    # Reads
    DISPUTE_VIEWED = "dispute.viewed"
    DISPUTE_AUDIT_VIEWED = "dispute.audit_viewed"
    REGISTER_VIEWED = "register.viewed"
    REGISTER_EXPORTED = "register.exported"
    THEMES_VIEWED = "themes.viewed"
    DISPUTE_ACTION_FORM_VIEWED = "dispute.action_form_viewed"
    DISPUTE_DEADLINE_VIEWED = "dispute.deadline_viewed"
    DISPUTE_LISTED_FOR_APPROVAL = "dispute.listed_for_approval"
    # Security: a request the app refused (access rule, CSRF, two-factor, lockout)
    REQUEST_REFUSED = "security.request_refused"
    # Privacy
    SUBJECT_ACCESS_EXPORTED = "subject_access.exported"
    DISPUTE_REMOVED = "dispute.removed"
    RETENTION_LISTED = "retention.listed"
    RETENTION_APPLIED = "retention.applied"
    # Accounts
    ACCOUNT_SIGNED_OUT_EVERYWHERE = "account.signed_out_everywhere"
    ACCOUNT_TWO_FACTOR_ENABLED = "account.two_factor_enabled"
    ACCOUNT_TWO_FACTOR_RESET = "account.two_factor_reset"
    ACCOUNT_TWO_FACTOR_LINK_SENT = "account.two_factor_link_sent"
    ACCOUNT_TWO_FACTOR_RECOVERY_STARTED = "account.two_factor_recovery_started"
    ACCOUNT_TWO_FACTOR_RECOVERED = "account.two_factor_recovered"
    ACCOUNT_BACKUP_CODES_CREATED = "account.backup_codes_created"
    ACCOUNT_BACKUP_CODE_USED = "account.backup_code_used"
    # People a partnership runs itself: invitations, roles, suspension
    PERSON_INVITED = "person.invited"
    INVITATION_ACCEPTED = "person.invitation_accepted"
    PERSON_SUSPENDED = "person.suspended"
    PERSON_REINSTATED = "person.reinstated"
    ROLE_GRANTED = "role.granted"
    ROLE_REMOVED = "role.removed"
    ROLE_REQUESTED = "role.requested"
    ROLE_REQUEST_REFUSED = "role.request_refused"
    PEOPLE_IMPORTED = "people.imported"
    # Policies
    POLICY_VERSION_CREATED = "policy.version_created"
    POLICY_SCENARIO_TRIED = "policy.scenario_tried"
    POLICY_PUBLISHED = "policy.published"
    DISPUTE_POLICY_VERSION_CHANGED = "dispute.policy_version_changed"
    # A partnership's calendar
    CALENDAR_CHANGED = "partnership.calendar_changed"
    CLOSURE_DAY_ADDED = "closure_day.added"
    CLOSURE_DAY_CHANGED = "closure_day.changed"
    CLOSURE_DAY_REMOVED = "closure_day.removed"
    RETENTION_CHANGED = "partnership.retention_changed"
    # Partnership offices, and the people a rule brings in
    OFFICE_HOLDER_ADDED = "office.holder_added"
    OFFICE_HOLDER_CHANGED = "office.holder_changed"
    OFFICE_HOLDER_REMOVED = "office.holder_removed"
    DISPUTE_ACCESS_GRANTED = "dispute.access_granted"

    @property
    def description(self) -> EventDescription:
        return DESCRIPTIONS[self]

    @property
    def label(self) -> str:
        return DESCRIPTIONS[self].label


@dataclass(frozen=True)
class EventDescription:
    label: str
    after: Mapping[str, str] = field(default_factory=dict)
    before: Mapping[str, str] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    on_timeline: bool = False
    on_who_looked: bool = False


# Keys several events share.
DISPUTE_STATE = {
    "state": "the dispute's state (raised, awaiting_approval, resolved, ...)",
    "stage": "the number of the dispute's current stage",
}
REASON = {"reason": "the reason given, in the person's words"}
DEADLINE_STATE = {
    "rule": "the name of the deadline's rule in the policy",
    "due_at": "when it is due (ISO 8601, UTC), or null when not set",
    "remind_at": "when the reminder goes (ISO 8601), or null",
    "extended_days": "working days added by extensions so far",
    "paused_at": "when it was paused (ISO 8601), or null when running",
    "reminded_at": "when the reminder went (ISO 8601), or null",
    "breached_at": "when it was missed (ISO 8601), or null",
    "shortened_due_at": "an earlier due moment set to protect the subject (ISO 8601), or null",
}
CONFIRMING_SIDE = {"side": "the side that acted (raising or other), or null for someone outside both agencies"}
DUE_AT = {"due_at": "when the deadline is due (ISO 8601, UTC), or null when not set"}
RECORD_FILE = {
    "form": "the form of the written record",
    "snapshot": "the id of the stored snapshot, or null for the record as of now",
    "filename": "the PDF's file name",
}
RECORD_REQUIREMENT = {
    "form": "the form the policy asks for",
    "requirement": "which of the policy's form requirements it fulfils",
}
RETENTION_RUN = {
    "cutoff": "disputes closed before this moment are due for removal (ISO 8601)",
    "retention_days": "the partnership's retention period, in days",
    "references": "the references of the disputes due for removal",
    "removed": "the references actually removed",
    "failed": "the references that could not be removed",
}
CALENDAR_SETTINGS = {
    "nation": "whose bank holidays count (ENG, SCT or NIR); only the settings that changed are kept",
    "close_of_business": "when a working day ends (HH:MM, Europe/London)",
    "default_stage_working_days": "working days for a stage whose policy states no timescale",
}
CLOSURE_DAY = {"date": "the day closed (ISO 8601)", "reason": "why it is closed, or empty"}
DEADLINES_MOVED = {"deadlines_moved": "how many open deadlines of open disputes moved"}
OFFICE_HOLDING = {
    "office": "the partnership office (cp_chair, iro, designated_nurse, ...)",
    "user_id": "the id of the person who holds it",
    "username": "their username",
    "since": "since when they hold it (ISO 8601 date)",
    "note": "the admin's note on the holding, or empty",
}
ROLE_HELD = {
    "user_id": "the id of the person whose role it is",
    "username": "their username",
    "agency_id": "the id of the agency the role is held in",
    "agency": "the agency's name",
    "role": "the role (practitioner, manager, business_manager, ...)",
}
PERSON = {"user_id": "the id of the person", "username": "their username"}

TWO_FACTOR_LINK = {
    "user_id": "the id of the person the link is for",
    "username": "their username",
    "purpose": "first (setting up two-factor) or recovery (replacing a lost authenticator app)",
}

DESCRIPTIONS: dict[AuditEventType, EventDescription] = {
    AuditEventType.DISPUTE_RAISED: EventDescription(
        "Dispute raised",
        after={**DISPUTE_STATE, "concern_outset": "the day the concern was first considered, as the raiser gave it"},
        optional=frozenset({"concern_outset"}),
    ),
    AuditEventType.RECORD_ENTRY_ADDED: EventDescription(
        "Record added",
        before=DISPUTE_STATE,
        after={**DISPUTE_STATE, "kind": "discussion, action or decision"},
    ),
    AuditEventType.DISPUTE_ESCALATED: EventDescription(
        "Moved to the next stage", before=DISPUTE_STATE, after={**DISPUTE_STATE, **REASON}
    ),
    AuditEventType.ESCALATION_PROPOSED: EventDescription(
        "Escalation proposed",
        before=DISPUTE_STATE,
        after={**DISPUTE_STATE, "to_stage": "the stage asked for", **REASON},
        on_timeline=True,
    ),
    AuditEventType.ESCALATION_APPROVED: EventDescription(
        "Escalation approved", before=DISPUTE_STATE, after=DISPUTE_STATE
    ),
    AuditEventType.ESCALATION_DECLINED: EventDescription(
        "Escalation declined", before=DISPUTE_STATE, after={**DISPUTE_STATE, **REASON}, on_timeline=True
    ),
    AuditEventType.DISPUTE_RESOLVED: EventDescription(
        "Resolution recorded", before=DISPUTE_STATE, after=DISPUTE_STATE, on_timeline=True
    ),
    AuditEventType.DECISION_RECORDED: EventDescription(
        "Final and binding decision recorded", before=DISPUTE_STATE, after=DISPUTE_STATE, on_timeline=True
    ),
    AuditEventType.RESOLUTION_AWAITING_CONFIRMATION: EventDescription(
        "Resolution recorded, waiting for confirmation",
        before=DISPUTE_STATE,
        after={**DISPUTE_STATE, **CONFIRMING_SIDE},
        on_timeline=True,
    ),
    AuditEventType.RESOLUTION_CONFIRMED: EventDescription(
        "Resolution confirmed", before=DISPUTE_STATE, after={**DISPUTE_STATE, **CONFIRMING_SIDE}, on_timeline=True
    ),
    AuditEventType.RESOLUTION_REJECTED: EventDescription(
        "Resolution not agreed",
        before={**DISPUTE_STATE, "agreed_outcome": "the outcome that was recorded, removed from the dispute"},
        after={**DISPUTE_STATE, **CONFIRMING_SIDE, **REASON},
        on_timeline=True,
    ),
    AuditEventType.DISPUTE_ESCALATED_NO_RESPONSE: EventDescription(
        "Moved to the next stage for no response",
        before=DISPUTE_STATE,
        after={**DISPUTE_STATE, "rules": "the breached deadline rules that let it be moved on", **REASON},
    ),
    AuditEventType.DISPUTE_CLOSED: EventDescription(
        "Dispute closed", before=DISPUTE_STATE, after=DISPUTE_STATE, on_timeline=True
    ),
    AuditEventType.DISPUTE_WITHDRAWN: EventDescription(
        "Dispute withdrawn", before=DISPUTE_STATE, after={**DISPUTE_STATE, **REASON}, on_timeline=True
    ),
    AuditEventType.DISPUTE_IMMEDIATE_HARM_FLAGGED: EventDescription(
        "Risk of immediate harm reported",
        before={"immediate_harm": "whether a risk of immediate harm had been reported (false)"},
        after={
            **DISPUTE_STATE,
            "immediate_harm": "whether a risk of immediate harm has been reported (true)",
            "flagged_at": "when it was reported (ISO 8601, UTC)",
            **REASON,
        },
        on_timeline=True,
    ),
    AuditEventType.DEADLINE_SET: EventDescription(
        "Deadline set by the chair", before=DUE_AT, after=DUE_AT, on_timeline=True
    ),
    AuditEventType.DEADLINE_EXTENDED: EventDescription(
        "Deadline extended",
        before=DEADLINE_STATE,
        after={**DEADLINE_STATE, "working_days": "working days added this time", **REASON},
        on_timeline=True,
    ),
    AuditEventType.DEADLINE_PAUSED: EventDescription(
        "Deadline paused", before=DEADLINE_STATE, after={**DEADLINE_STATE, **REASON}, on_timeline=True
    ),
    AuditEventType.DEADLINE_RESUMED: EventDescription(
        "Deadline restarted",
        before=DEADLINE_STATE,
        after={**DEADLINE_STATE, "paused_working_days": "working days it was paused for", **REASON},
        on_timeline=True,
    ),
    AuditEventType.DEADLINE_SHORTENED: EventDescription(
        "Deadline brought forward to protect the subject",
        before=DEADLINE_STATE,
        after={**DEADLINE_STATE, **REASON},
        on_timeline=True,
    ),
    AuditEventType.DEADLINE_RECOMPUTED: EventDescription(
        "Deadline moved by a calendar change",
        before=DUE_AT,
        after={**DUE_AT, "reason": "why it moved (the calendar changed)"},
    ),
    AuditEventType.DEADLINE_REMINDED: EventDescription(
        "Deadline reminder sent",
        after={"rule": DEADLINE_STATE["rule"], "due_at": "when it is due (ISO 8601, UTC)"},
    ),
    AuditEventType.DEADLINE_BREACHED: EventDescription(
        "Deadline missed",
        after={
            "rule": DEADLINE_STATE["rule"],
            "due_at": "when it was due (ISO 8601, UTC)",
            "event": "the notification event the policy sends on a breach",
        },
    ),
    AuditEventType.RECORD_REQUIRED: EventDescription(
        "Written record asked for (drawn once the change is saved)",
        after={**RECORD_REQUIREMENT, "recipients": "whom to tell once the record is ready, as the policy names them"},
    ),
    AuditEventType.RECORD_PRODUCED: EventDescription(
        "Written record saved",
        after={**RECORD_REQUIREMENT, "recipients": "whom the record went to, as the policy names them"},
    ),
    AuditEventType.RECORD_FAILED: EventDescription("Written record could not be saved", after=RECORD_REQUIREMENT),
    AuditEventType.RECORD_DOWNLOADED: EventDescription(
        "Downloaded the written record", after=RECORD_FILE, on_who_looked=True
    ),
    AuditEventType.RECORD_EXPORTED: EventDescription(
        "Written record exported at the command line",
        after={**RECORD_FILE, "via": "the command that exported it"},
    ),
    AuditEventType.DISPUTE_VIEWED: EventDescription("Viewed the dispute", on_who_looked=True),
    AuditEventType.DISPUTE_AUDIT_VIEWED: EventDescription("Viewed who has looked at the dispute"),
    AuditEventType.DISPUTE_ACTION_FORM_VIEWED: EventDescription(
        "Opened a form to act on the dispute",
        after={"action": "the action the form is for (add_entry, propose_escalation, resolve, ...)"},
        on_who_looked=True,
    ),
    AuditEventType.DISPUTE_DEADLINE_VIEWED: EventDescription(
        "Viewed a deadline of the dispute",
        after={"deadline": "the id of the deadline", "rule": "the name of the deadline's rule in the policy"},
        on_who_looked=True,
    ),
    AuditEventType.DISPUTE_LISTED_FOR_APPROVAL: EventDescription(
        "Saw the dispute in their approvals queue", on_who_looked=True
    ),
    AuditEventType.REQUEST_REFUSED: EventDescription(
        "Request refused",
        after={
            "reason": "why: not_found (outside the access rule, or no such page), forbidden, csrf, "
            "two_factor_required, two_factor_wrong_code, locked_out",
            "status": "the HTTP status sent back",
            "method": "GET, POST, ...",
            "path": "the address asked for, without its query string (at most 500 characters)",
            "view": "the name of the page asked for, or empty when no page has that address",
        },
    ),
    AuditEventType.REGISTER_VIEWED: EventDescription(
        "Register viewed",
        after={
            "filters": "the filters in use (only those set)",
            "sort": "the sort order",
            "page": "the page number shown",
        },
    ),
    AuditEventType.REGISTER_EXPORTED: EventDescription(
        "Register exported",
        after={
            "filters": "the filters in use (only those set)",
            "sort": "the sort order",
            "rows": "how many disputes the CSV holds",
        },
    ),
    AuditEventType.THEMES_VIEWED: EventDescription(
        "Themes viewed",
        after={
            "raised_from": "the first raised date looked at (ISO 8601), or null",
            "raised_to": "the last raised date looked at (ISO 8601), or null",
        },
    ),
    AuditEventType.SUBJECT_ACCESS_EXPORTED: EventDescription(
        "Subject access export produced",
        after={
            "subject_ids": "the ids of the subjects found",
            "dispute_references": "the disputes exported (on the partnership-wide event only)",
        },
        optional=frozenset({"dispute_references"}),
    ),
    AuditEventType.DISPUTE_REMOVED: EventDescription(
        "Dispute removed at the end of its retention period",
        before={
            **DISPUTE_STATE,
            "raised_at": "when it was raised (ISO 8601)",
            "closed_at": "when it was closed (ISO 8601)",
            "participants": "how many participants it had",
            "stage_visits": "how many stage visits it had",
            "record_entries": "how many record entries it had",
            "deadlines": "how many deadlines it had",
            "notifications": "how many notifications it had",
            "record_snapshots": "how many stored written records it had",
            "outcome": "1 if an outcome was recorded, else 0",
        },
        after={"reason": "why it was removed", "retention_days": RETENTION_RUN["retention_days"]},
    ),
    AuditEventType.RETENTION_LISTED: EventDescription("Retention run listed (dry run)", after=RETENTION_RUN),
    AuditEventType.RETENTION_APPLIED: EventDescription("Retention run applied", after=RETENTION_RUN),
    AuditEventType.ACCOUNT_SIGNED_OUT_EVERYWHERE: EventDescription("Signed out everywhere"),
    AuditEventType.ACCOUNT_TWO_FACTOR_ENABLED: EventDescription("Authenticator app set up"),
    AuditEventType.ACCOUNT_TWO_FACTOR_RESET: EventDescription(
        "Authenticator apps removed by an operator",
        after={"username": "whose apps were removed", "devices": "how many apps were removed"},
    ),
    AuditEventType.ACCOUNT_TWO_FACTOR_LINK_SENT: EventDescription(
        "Link to set up two-factor authentication e-mailed",
        after={**TWO_FACTOR_LINK, "expires_at": "when the link stops working (ISO 8601)"},
    ),
    AuditEventType.ACCOUNT_TWO_FACTOR_RECOVERY_STARTED: EventDescription(
        "Two-factor recovery started for someone who lost their authenticator app",
        after={**TWO_FACTOR_LINK, "expires_at": "when the link stops working (ISO 8601)"},
    ),
    AuditEventType.ACCOUNT_TWO_FACTOR_RECOVERED: EventDescription(
        "Old authenticator app and backup codes removed through a recovery link",
        after={**TWO_FACTOR_LINK, "devices": "how many apps and backup code sets were removed"},
    ),
    AuditEventType.ACCOUNT_BACKUP_CODES_CREATED: EventDescription(
        "Backup codes created (any earlier ones stop working)", after={"codes": "how many codes were created"}
    ),
    AuditEventType.ACCOUNT_BACKUP_CODE_USED: EventDescription(
        "Signed in with a backup code", after={"codes_left": "how many unused backup codes remain"}
    ),
    AuditEventType.PERSON_INVITED: EventDescription(
        "Person invited",
        after={
            **PERSON,
            "expires_at": "when the invitation link stops working (ISO 8601)",
            "resent": "whether this replaces an earlier link",
        },
    ),
    AuditEventType.INVITATION_ACCEPTED: EventDescription("Invitation accepted and password set", after=PERSON),
    AuditEventType.PERSON_SUSPENDED: EventDescription(
        "Person suspended (signed out everywhere, cannot sign in)",
        before={"is_active": "whether they could sign in (true)"},
        after={**PERSON, "is_active": "whether they can sign in (false)"},
    ),
    AuditEventType.PERSON_REINSTATED: EventDescription(
        "Person reinstated",
        before={"is_active": "whether they could sign in (false)"},
        after={**PERSON, "is_active": "whether they can sign in (true)"},
    ),
    AuditEventType.ROLE_GRANTED: EventDescription(
        "Role granted",
        after={
            **ROLE_HELD,
            "requested_by": "who asked for it, when someone else approved it (username), or null",
        },
    ),
    AuditEventType.ROLE_REMOVED: EventDescription("Role removed", before=ROLE_HELD),
    AuditEventType.ROLE_REQUESTED: EventDescription(
        "Role asked for, waiting for the chair's approval",
        after={**ROLE_HELD, "request_id": "the id of the request"},
    ),
    AuditEventType.ROLE_REQUEST_REFUSED: EventDescription(
        "Role request refused",
        after={**ROLE_HELD, "request_id": "the id of the request", "requested_by": "who asked for it (username)"},
    ),
    AuditEventType.PEOPLE_IMPORTED: EventDescription(
        "Agencies and people imported from a CSV file",
        after={
            "file_sha256": "the SHA-256 of the file as uploaded",
            "rows": "how many rows the file has (blank rows left out)",
            "agencies_created": "the names of the agencies created",
            "people_invited": "how many new people were invited",
            "roles_granted": "how many roles were given to people already in the partnership",
            "roles_requested": "how many roles wait for the partnership chair's approval",
            "unchanged": "how many rows changed nothing",
        },
    ),
    AuditEventType.POLICY_VERSION_CREATED: EventDescription(
        "Policy version saved",
        after={
            "policy": "the policy's slug",
            "version": "the new version number",
            "content_hash": "the hash of the version's content",
        },
    ),
    AuditEventType.POLICY_SCENARIO_TRIED: EventDescription(
        "Scenario tried on a policy (nothing kept)",
        after={
            "policy": "the policy's slug",
            "version": "the version number played",
            "steps": "how many steps the scenario has",
            "lines": "how many lines the run gave",
        },
    ),
    AuditEventType.POLICY_PUBLISHED: EventDescription(
        "Policy version published",
        after={
            "policy": "the policy's slug",
            "version": "the version number published",
            "previous_version": "the version it replaces for new disputes, or null for the first",
            "changes": "what changed from the previous published version, in sentences",
        },
    ),
    AuditEventType.DISPUTE_POLICY_VERSION_CHANGED: EventDescription(
        "Moved to a corrected version of the policy",
        before={"policy": "the policy's slug", "version": "the version the dispute was on"},
        after={
            "policy": "the policy's slug",
            "version": "the version it is on now",
            "deadlines": "each deadline that changed: rule, change (moved, starts, stops), old_due, new_due (ISO)",
            "reason": "what changed for the dispute, in words (shown on its timeline)",
        },
        on_timeline=True,
    ),
    AuditEventType.CALENDAR_CHANGED: EventDescription(
        "Partnership calendar changed",
        before=CALENDAR_SETTINGS,
        after={**CALENDAR_SETTINGS, **DEADLINES_MOVED},
        optional=frozenset(CALENDAR_SETTINGS),
    ),
    AuditEventType.CLOSURE_DAY_ADDED: EventDescription("Closure day added", after={**CLOSURE_DAY, **DEADLINES_MOVED}),
    AuditEventType.CLOSURE_DAY_CHANGED: EventDescription(
        "Closure day changed", before=CLOSURE_DAY, after={**CLOSURE_DAY, **DEADLINES_MOVED}
    ),
    AuditEventType.CLOSURE_DAY_REMOVED: EventDescription(
        "Closure day removed", before=CLOSURE_DAY, after=DEADLINES_MOVED
    ),
    AuditEventType.RETENTION_CHANGED: EventDescription(
        "Retention period changed",
        before={"retention_days": "the period before, in days"},
        after={"retention_days": "the period now, in days", "lowered": "whether the period was shortened"},
    ),
    AuditEventType.OFFICE_HOLDER_ADDED: EventDescription("Office holder added", after=OFFICE_HOLDING),
    AuditEventType.OFFICE_HOLDER_CHANGED: EventDescription(
        "Office holder changed", before=OFFICE_HOLDING, after=OFFICE_HOLDING
    ),
    AuditEventType.OFFICE_HOLDER_REMOVED: EventDescription("Office holder removed", before=OFFICE_HOLDING),
    AuditEventType.DISPUTE_ACCESS_GRANTED: EventDescription(
        "Brought in by a policy rule and given access",
        after={
            "user_id": "the id of the person given access",
            "username": "their username",
            "office": "the office (or role) the rule named them by",
            "reason": "what brought them in (the notification's headline)",
        },
    ),
}

#: Shown on the dispute timeline, in the order declared.
TIMELINE_EVENTS = tuple(kind for kind in AuditEventType if DESCRIPTIONS[kind].on_timeline)
#: Someone read the dispute or took its record away.
WHO_LOOKED_EVENTS = tuple(kind for kind in AuditEventType if DESCRIPTIONS[kind].on_who_looked)


def event_type(action: AuditEventType | str) -> AuditEventType:
    """The member for `action`; a ValueError for a name that is not an audit event type."""
    try:
        return AuditEventType(action)
    except ValueError:
        raise ValueError(f"{action!r} is not an audit event type: add it to escalation/audit/events.py") from None


def label_for(action: str) -> str:
    """The label for a stored action; a name from before this list is shown as it was stored."""
    try:
        return AuditEventType(action).label
    except ValueError:
        return action


def payload_problems(kind: AuditEventType, *, before: dict | None, after: dict | None) -> list[str]:
    """How `before` and `after` differ from what `kind` declares; empty when they match."""
    described = DESCRIPTIONS[kind]
    problems = []
    for name, given, declared in (("after", after, described.after), ("before", before, described.before)):
        keys = set(given or {})
        unknown = keys - set(declared)
        missing = set(declared) - described.optional - keys
        if unknown:
            problems.append(f"{name} has undeclared keys {sorted(unknown)}")
        if missing:
            problems.append(f"{name} is missing {sorted(missing)}")
    return problems
