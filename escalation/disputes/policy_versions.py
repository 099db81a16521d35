"""Publishing a policy version, and moving open disputes onto a corrected one. Every change audited.

A version an admin saves is a draft; publishing it (`publish_policy_version`) makes it the one new disputes are
raised under, and records what changed from the version it replaces. Disputes already raised keep their version
until an admin moves them: `preview_version_change` says what would change for one open dispute (deadlines moved,
started or stopped, and who would be told), and `apply_version_change` does it, audited on the dispute. The
comparison itself is `policies.version_change.plan_version_change`, over the runtime's deadline plan.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from agencies.models import Membership, Office, Role
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import london_time
from escalation.deadlines.rules import deadline_facts, sync_deadlines
from escalation.disputes.models import Dispute, WaitingOn
from escalation.disputes.permissions import ActionRefused, snapshot_of
from escalation.notifications.outbox import queue
from policies.calendar import calendar_for
from policies.changes import describe_changes
from policies.loading import deadline_rules_of
from policies.models import Policy, PolicyVersion
from policies.runtime import waiting_for_approval
from policies.services import PublishRefused, publish_version
from policies.version_change import DeadlineChange, DeadlineMove, VersionChange, plan_version_change
from policies.vocabulary import OPEN_STATES, DisputeState, PublicationStatus

ROLE_LABELS = {**dict(Role.choices), **dict(Office.choices)}


def may_manage(user, policy: Policy) -> bool:
    """Whether the user may publish the policy's versions and move its disputes: a superuser, or an admin of
    every partnership that uses it (as the admin lets them edit it)."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    users = set(policy.partnerships.values_list("pk", flat=True))
    mine = set(
        Membership.objects.filter(user=user, role=Role.ADMIN, agency__partnership__in=users).values_list(
            "agency__partnership_id", flat=True
        )
    )
    return bool(users) and users <= mine


def _require_manager(user, policy: Policy) -> None:
    if not may_manage(user, policy):
        raise ActionRefused("Only an admin of every partnership that uses this policy can do this.")


# Publishing ------------------------------------------------------------------------------------------------------


def changes_on_publishing(version: PolicyVersion) -> list[str]:
    """What publishing `version` changes from the published version it would replace, in sentences."""
    previous = version.policy.current_version
    if previous is not None and previous.pk == version.pk:
        previous = (
            version.policy.versions.filter(status=PublicationStatus.PUBLISHED, number__lt=version.number)
            .order_by("-number")
            .first()
        )
    return describe_changes(previous.document if previous else None, version.document)


@transaction.atomic
def publish_policy_version(*, version: PolicyVersion, by, now: datetime.datetime) -> list[str]:
    """Publish a draft: new disputes are raised under it from now. Audited with what changed; returns that."""
    _require_manager(by, version.policy)
    previous = version.policy.current_version
    changes = changes_on_publishing(version)
    try:
        published = publish_version(version=version, by=by, now=now)
    except PublishRefused as exc:
        raise ActionRefused(str(exc)) from None
    audit.record(
        by,
        AuditEventType.POLICY_PUBLISHED,
        obj=published,
        partnership=published.policy.partnerships.order_by("name").first(),
        after={
            "policy": published.policy.slug,
            "version": published.number,
            "previous_version": previous.number if previous else None,
            "changes": changes,
        },
        now=now,
    )
    return changes


# Moving open disputes --------------------------------------------------------------------------------------------


def disputes_to_move(version: PolicyVersion) -> QuerySet[Dispute]:
    """The open disputes on an earlier version of the same policy: those an admin may move to `version`."""
    return (
        Dispute.objects.filter(
            policy_version__policy_id=version.policy_id,
            policy_version__number__lt=version.number,
            state__in=OPEN_STATES,
        )
        .select_related("partnership", "policy_version", "subject", "raising_agency", "other_agency")
        .defer("policy_version__document")
        .order_by("reference")
    )


@dataclass(frozen=True)
class DisputeMove:
    """What moving one dispute to `to_version` changes, in words without personal data: a reference, its stage,
    the deadlines that move, start or stop, and the roles that would be told. `refusal`: why it cannot move."""

    reference: str
    stage: int
    stage_name: str
    from_version: int
    to_version: int
    refusal: str
    change: VersionChange

    @property
    def deadlines(self) -> tuple[DeadlineMove, ...]:
        return self.change.changes

    @property
    def people_to_tell(self) -> list[str]:
        return [ROLE_LABELS.get(role, role) for role in self.change.roles_to_tell]

    @property
    def can_move(self) -> bool:
        return not self.refusal


def _refusal(dispute: Dispute, version: PolicyVersion) -> str:
    if version.status != PublicationStatus.PUBLISHED:
        return f"Version {version.number} is a draft: publish it before moving disputes to it."
    if dispute.policy_version.policy_id != version.policy_id:
        return "The dispute is under another policy."
    if not dispute.is_open:
        return "The dispute is closed: a closed dispute keeps the version it ended under."
    if dispute.policy_version.number >= version.number:
        return f"The dispute is already on version {dispute.policy_version.number}."
    return ""


def _plan(dispute: Dispute, version: PolicyVersion, now: datetime.datetime) -> VersionChange:
    open_rows = list(dispute.deadlines.filter(closed_at__isnull=True).select_related("rule"))
    return plan_version_change(
        old_rules=deadline_rules_of(dispute.policy_version),
        new_rules=deadline_rules_of(version),
        new_stages=frozenset(stage.number for stage in version.stages.all()),
        dispute=deadline_facts(dispute, open_rows),
        calendar=calendar_for(dispute.partnership),
        default_working_days=dispute.partnership.default_stage_working_days,
        now=now,
        due_soon_working_days=version.due_soon_working_days,
    )


def _move(dispute: Dispute, version: PolicyVersion, now: datetime.datetime) -> DisputeMove:
    refusal = _refusal(dispute, version)
    change = VersionChange(refusal=refusal) if refusal else _plan(dispute, version, now)
    stage = next((stage for stage in version.stages.all() if stage.number == dispute.current_stage), None)
    return DisputeMove(
        reference=dispute.reference,
        stage=dispute.current_stage,
        stage_name=stage.name if stage else "",
        from_version=dispute.policy_version.number,
        to_version=version.number,
        refusal=refusal or change.refusal,
        change=change,
    )


def preview_version_change(dispute: Dispute, version: PolicyVersion, now: datetime.datetime) -> DisputeMove:
    """What moving the dispute to `version` would change now; nothing is written."""
    return _move(dispute, version, now)


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _sentence(move: DeadlineMove) -> str:
    """A deadline's change in words, for the timeline and the people told (no personal data)."""
    if move.change == DeadlineChange.MOVED:
        was = f"due at {london_time(move.old_due)}" if move.old_due else "not set"
        now_due = f"due at {london_time(move.new_due)}" if move.new_due else "not set"
        return f"'{move.label}' was {was} and is now {now_due}."
    if move.change == DeadlineChange.STARTS:
        due = f", due at {london_time(move.new_due)}" if move.new_due else " (its date is set by hand)"
        return f"'{move.label}' now applies{due}."
    return f"'{move.label}' no longer applies."


def _summary(old: PolicyVersion, new: PolicyVersion, moves: tuple[DeadlineMove, ...]) -> str:
    head = f"Moved from version {old.number} to version {new.number} of the policy."
    if not moves:
        return f"{head} No deadline changes."
    return " ".join([head, *(_sentence(move) for move in moves)])


def _wait_on_approvers(dispute: Dispute) -> None:
    """An escalation waiting for approval waits on the approvers the dispute's version now names."""
    if dispute.state != DisputeState.AWAITING_APPROVAL:
        return
    next_stage = snapshot_of(dispute).next_stage
    dispute.waiting_on.filter(reason="approval").delete()
    if next_stage is not None:
        WaitingOn.objects.bulk_create(
            WaitingOn(dispute=dispute, agency_id=row.agency_id, role=row.role, reason=row.reason)
            for row in waiting_for_approval(next_stage, dispute.escalation_side_id)
        )


@transaction.atomic
def apply_version_change(*, dispute: Dispute, version: PolicyVersion, by, now: datetime.datetime) -> DisputeMove:
    """Move an open dispute to a newer published version of its policy: re-pin it, carry its open deadlines over
    (moved, started or stopped as the new version says), tell the people whose deadlines changed, and audit it."""
    dispute = (
        Dispute.objects.select_for_update()
        .select_related("partnership", "policy_version__policy", "subject", "raising_agency", "other_agency")
        .get(pk=dispute.pk)
    )
    version = PolicyVersion.objects.select_related("policy").prefetch_related("stages").get(pk=version.pk)
    _require_manager(by, version.policy)
    move = _move(dispute, version, now)
    if move.refusal:
        raise ActionRefused(move.refusal)
    change, old_version = move.change, dispute.policy_version
    Deadline.objects.filter(pk__in=change.stop).update(closed_at=now, met=None)
    rows = Deadline.objects.select_for_update().filter(pk__in=change.repoint)
    guides = {rule.id for rule in deadline_rules_of(version) if rule.guide}
    for row in rows:
        row.rule_id = change.repoint[row.pk]
        row.anchor_at = change.reanchor.get(row.pk, row.anchor_at)
        row.guide = row.rule_id in guides
        row.save(update_fields=["rule", "anchor_at", "guide"])
    dispute.policy_version = version
    dispute.save(update_fields=["policy_version", "updated_at"])
    open_rows = sync_deadlines(dispute, now)
    # A deadline the corrected version no longer runs was neither met nor missed: it stopped applying.
    stopped = [closing.id for closing in change.plan.close] if change.plan else []
    Deadline.objects.filter(pk__in=stopped, closed_at=now).update(met=None)
    for row in open_rows:
        # A deadline that moved later is no longer missed, and its reminder goes again if still ahead.
        missed = row.breached_at is not None and row.due_at is not None and row.due_at >= now
        reminded = row.reminded_at is not None and row.remind_at is not None and row.remind_at > now
        if missed or reminded:
            row.breached_at = None if missed else row.breached_at
            row.reminded_at = None if reminded else row.reminded_at
            row.save(update_fields=["breached_at", "reminded_at"])
    _wait_on_approvers(dispute)
    open_by_rule = {row.rule_id: row for row in open_rows}
    rule_ids = {rule.name: rule.id for rule in deadline_rules_of(version)}
    for deadline_move in change.changes:
        row = open_by_rule.get(rule_ids.get(deadline_move.rule))
        if row is None and deadline_move.row_id is not None:
            row = Deadline.objects.filter(pk=deadline_move.row_id).first()
        queue(
            dispute,
            "deadline_changed",
            deadline_move.roles,
            f"{dispute.reference}: deadline changed by a corrected policy ({deadline_move.label})"[:300],
            now,
            message=f"The partnership moved this dispute to version {version.number} of its policy. "
            f"{_sentence(deadline_move)}",
            deadline=row,
            exclude=[by],
        )
    audit.record(
        by,
        AuditEventType.DISPUTE_POLICY_VERSION_CHANGED,
        dispute=dispute,
        obj=dispute,
        before={"policy": old_version.policy.slug, "version": old_version.number},
        after={
            "policy": version.policy.slug,
            "version": version.number,
            "deadlines": [
                {
                    "rule": item.rule,
                    "change": str(item.change),
                    "old_due": _iso(item.old_due),
                    "new_due": _iso(item.new_due),
                }
                for item in change.changes
            ],
            "reason": _summary(old_version, version, change.changes),
        },
        now=now,
    )
    return move
