"""The policy runtime: what a policy means for a dispute, decided from plain data.

Nothing in this package reads the database, the clock or the settings (an import-linter contract holds it
to that); `policies.loading` turns models into the plain data it reads.
"""

from policies.runtime.actor import NOBODY, Actor
from policies.runtime.decide import (
    ActionRefused,
    Command,
    Decision,
    DisputeSnapshot,
    Waiting,
    allowed_commands,
    can_approve,
    check_start,
    decide,
    waiting_at_stage,
    waiting_for_approval,
)
from policies.runtime.notices import Notice, NoticeRule, Trigger, notices_for
from policies.runtime.rules import OVERSIGHT_ROLES, PARTNERSHIP_ROLES, PolicyRules, StageRule

__all__ = [
    "NOBODY",
    "OVERSIGHT_ROLES",
    "PARTNERSHIP_ROLES",
    "ActionRefused",
    "Actor",
    "Command",
    "Decision",
    "DisputeSnapshot",
    "Notice",
    "NoticeRule",
    "PolicyRules",
    "StageRule",
    "Trigger",
    "Waiting",
    "allowed_commands",
    "can_approve",
    "check_start",
    "decide",
    "notices_for",
    "waiting_at_stage",
    "waiting_for_approval",
]
