"""A scenario's output lines in words, for the "Try a scenario" page's table."""

from __future__ import annotations

import datetime
from typing import Any

from policies.calendar import LONDON

STEP_WORDS = {
    "raise": "raises the dispute",
    "record": "adds to the record",
    "propose_escalation": "proposes escalation",
    "approve_escalation": "approves the escalation",
    "decline_escalation": "declines the escalation",
    "escalate_no_response": "escalates after no response",
    "flag_immediate_harm": "flags a risk of immediate harm",
    "resolve": "records the resolution",
    "confirm_resolution": "confirms the resolution",
    "reject_resolution": "does not agree with the resolution",
    "record_decision": "records the final and binding decision",
    "withdraw": "withdraws the dispute",
    "set_deadline": "sets the stage's deadline",
    "shorten_deadline": "brings a deadline forward",
    "extend_deadline": "extends a deadline",
}


def moment(text: str | None) -> str:
    """'Monday 18 May 2026, 10:00' in London time, from an output line's ISO 8601 moment."""
    if not text:
        return ""
    local = datetime.datetime.fromisoformat(text).astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


def describe(line: dict[str, Any]) -> str:
    """One output line as a sentence."""
    if "step" in line:
        words = f"{line['by']} {STEP_WORDS.get(line['do'], line['do'])} (step {line['step']})"
        return words if line["result"] == "done" else f"{words}: refused. {line['reason']}"
    event = line.get("event")
    match event:
        case "stage_entered":
            basis = (
                f" (basis: {str(line['basis']).replace('_', ' ')})" if line.get("basis") not in (None, "policy") else ""
            )
            return f"Stage {line['stage']} entered{basis}"
        case "escalation_proposed":
            return f"Escalation proposed from stage {line['stage']} to stage {line.get('to_stage')}"
        case "escalation_declined":
            return f"Escalation declined: the dispute stays at stage {line['stage']}"
        case "escalated_no_response":
            return f"Moved on for want of a response, from stage {line['stage']} to stage {line.get('to_stage')}"
        case "immediate_harm_flagged":
            return f"A risk of immediate harm reported at stage {line['stage']}"
        case "awaiting_confirmation":
            return (
                f"Resolution recorded by the {line.get('side')} agency at stage {line['stage']}; awaiting the other's"
            )
        case "confirmed":
            return f"Resolution confirmed by the {line.get('side')} agency"
        case "rejected":
            return (
                f"Resolution not agreed by the {line.get('side')} agency: back in discussion at stage {line['stage']}"
            )
        case "resolved":
            return f"Resolved at stage {line['stage']}"
        case "decision_recorded":
            return f"Final and binding decision recorded at stage {line['stage']}"
        case "withdrawn":
            return f"Withdrawn at stage {line['stage']}"
        case "deadline_set":
            due = moment(line["due"]) or "not set yet"
            moved = f" (was {moment(line['previous_due'])})" if line.get("previous_due") else ""
            basis = str(line["basis"]).replace("_", " ")
            return f"Deadline {line['rule']} set: due {due}{moved}; a {line['strength']}, basis: {basis}"
        case "reminded":
            return f"Reminder sent: deadline {line['rule']} is near"
        case "breached":
            return f"Deadline {line['rule']} missed"
        case "met":
            return f"Deadline {line['rule']} met"
        case "notified":
            about = str(line["about"]).replace("_", " ")
            rule = f", deadline {line['rule']}" if line.get("rule") else ""
            return f"{line['to']} told: {about} (stage {line['stage']}{rule})"
        case "record":
            when = ", ".join(
                part
                for part in (
                    f"stage {line['stage']}" if line.get("stage") is not None else "",
                    str(line.get("on") or "").replace("_", " "),
                )
                if part
            )
            form = f"Record {line['form']} ({when})" if when else f"Record {line['form']}"
            if line.get("to") is None:
                return f"{form} due to {line.get('unfilled', 'someone')}, but nobody holds that post"
            return f"{form} sent to {line['to']}"
        case "access_granted":
            return f"{line['to']} may now open the dispute"
    return str(event)


def rows(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table: when, what, and whether it is a step (and if it was refused)."""
    return [
        {
            "when": moment(line["at"]),
            "what": describe(line),
            "step": "step" in line,
            "refused": line.get("result") == "refused",
        }
        for line in lines
    ]
