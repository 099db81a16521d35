"""What changed between two versions of a policy, in sentences an admin can check before publishing.

`describe_changes(old_document, new_document)` reads two stored documents (`PolicyVersion.document`, the policy
file as loaded) and says what differs: stages by number, deadline rules by name, notification rules and form
requirements by what sets them off. Plain data in, plain sentences out: no database, no clock. A document stored
before a field existed reads as that field's default, so a new field alone is not a change.
"""

import json
from collections.abc import Callable
from typing import Any

from agencies.models import Office, Role
from policies import defaults
from policies.vocabulary import Anchor, Condition, DeadlineKind, Event, MetBy

#: Values a field takes when a document says nothing of it (documents stored before the field existed).
DEFAULTS: dict[str, Any] = {
    "sides": "both",
    "strength": "rule",
    "met_by": "leaving_stages",
    "condition": "always",
    "breach_event": "deadline_breached",
    "reminder_lead": 1,
    "approval_required": True,
    "event": "stage_entered",
    "recipient": "business_manager",
    "due_soon_working_days": defaults.DUE_SOON_WORKING_DAYS,
    "start_stage": 1,
}
#: Text longer than this is said to be reworded rather than quoted in full.
LONG_TEXT = 80
LABELS = {**dict(Role.choices), **dict(Office.choices)}


def describe_changes(old_document: dict | None, new_document: dict) -> list[str]:
    """Sentences saying what `new_document` changes from `old_document`; every sentence when there is no old one."""
    if old_document is None:
        stages = len(new_document.get("stages", []))
        rules = len(new_document.get("deadline_rules", []))
        return [f"First published version: {stages} stages and {rules} deadline rules."]
    sentences: list[str] = []
    sentences += _top_level(old_document, new_document)
    sentences += _stages(old_document.get("stages", []), new_document.get("stages", []))
    sentences += _deadline_rules(old_document.get("deadline_rules", []), new_document.get("deadline_rules", []))
    sentences += _unkeyed(
        "Notification rule",
        old_document.get("notification_rules", []),
        new_document.get("notification_rules", []),
        key=lambda rule: (_get(rule, "event"), tuple(rule.get("stages") or ())),
        describe=_notification_rule,
        trigger=_notification_trigger,
        fields=NOTIFICATION_FIELDS,
    )
    sentences += _unkeyed(
        "Form requirement",
        old_document.get("form_requirements", []),
        new_document.get("form_requirements", []),
        key=lambda form: (_get(form, "event"), form.get("stage")),
        describe=_form_requirement,
        trigger=_form_trigger,
        fields=FORM_FIELDS,
    )
    return sentences


# Words for values ------------------------------------------------------------------------------------------------


def _get(item: dict, key: str) -> Any:
    return item.get(key, DEFAULTS.get(key))


def _blank(value: Any) -> bool:
    """Not set: None, no, empty, or a mapping of nothing but such values."""
    if isinstance(value, dict):
        return all(_blank(item) for item in value.values())
    return value is None or value is False or value == "" or value == []


def _same(old: Any, new: Any) -> bool:
    return old == new or (_blank(old) and _blank(new))


def _name(value: str) -> str:
    """A role, office or vocabulary word as a sentence reads it: "senior_manager" is "senior manager"."""
    label = LABELS.get(value)
    if label:
        return label[0].lower() + label[1:]
    return str(value).replace("_", " ")


def _choice(enum, value: Any) -> str:
    try:
        label = enum(value).label
    except ValueError:
        return _name(str(value))
    return label[0].lower() + label[1:]


def _names(values: list | None) -> str:
    return ", ".join(_name(value) for value in values) if values else "none"


def _numbers(values: list | None) -> str:
    if not values:
        return "none"
    if len(values) > 1 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ", ".join(str(value) for value in values)


def _text(value: Any) -> str:
    return f"'{value}'" if value else "none"


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _side(value: str | None) -> str:
    return {"raising": "the raising side", "other": "the other side", "both": "both sides"}.get(value or "", "")


def _basis(basis: dict | None) -> str:
    if not basis:
        return "not given"
    kind = basis.get("kind")
    if kind == "policy":
        return f"the policy ({basis.get('where')})" if basis.get("where") else "the policy"
    if kind == "reading":
        return "a reading of the policy"
    return "the partnership's default"


def _recipient(recipient: Any) -> str:
    """Someone a rule names, from the file's form (a dict of the recipient's fields, or a bare word)."""
    if isinstance(recipient, str):
        return "the raiser" if recipient == "raiser" else _name(recipient)
    if recipient.get("raiser") or recipient.get("kind") == "raiser":
        return "the raiser"
    if recipient.get("stage_actors") or recipient.get("kind") == "stage_actors":
        return f"the stage's actors on {_side(recipient.get('stage_actors') or recipient.get('sides'))}"
    if recipient.get("office"):
        return _name(recipient["office"])
    if recipient.get("role"):
        sides = _get(recipient, "sides")
        return _name(recipient["role"]) + ("" if sides == "both" else f" ({_side(sides)})")
    alternatives = recipient.get("any_of") or recipient.get("of") or []
    return "any of " + " or ".join(_recipient(alternative) for alternative in alternatives)


def _recipients(values: list | None) -> str:
    return ", ".join(_recipient(value) for value in values) if values else "nobody"


def _actors(actors: dict | None) -> str:
    actors = actors or {}
    parts = [f"{side} side: {_names(actors.get(side))}" for side in ("raising", "other") if actors.get(side)]
    return "; ".join(parts) if parts else "the default"


def _recipient_list(rule: dict) -> str:
    named = [_name(role) for role in rule.get("roles") or []]
    sides = _get(rule, "sides")
    if named and sides != "both":
        named = [f"{', '.join(named)} ({_side(sides)})"]
    named += [_recipient(recipient) for recipient in rule.get("to") or []]
    return ", ".join(named) if named else "nobody"


# Field by field --------------------------------------------------------------------------------------------------

#: A field's words: (what it is called, how its value reads). A field not listed reads as its own name.
Field = tuple[str, Callable[[Any], str]]

STAGE_FIELDS: dict[str, Field] = {
    "raising_side": ("who acts for the raising agency", _text),
    "other_side": ("who acts for the other agency", _text),
    "guidance": ("guidance", _text),
    "approval_required": ("a manager's approval to enter", lambda v: "required" if v else "not required"),
    "approver_roles": ("approver roles", _names),
    "binding": ("final and binding", _yes),
    "pre_escalation": ("guidance before a dispute is raised", _yes),
    "sides": ("sides", lambda v: _side(v) or "both sides"),
    "actors": ("who acts", _actors),
    "outcome_roles": ("who records the outcome", _names),
    "decision_maker": ("decision-maker", lambda v: _recipient(v) if v else "none"),
    "confirm_both_sides": ("both sides confirm a resolution", _yes),
    "basis": ("basis", _basis),
}

RULE_FIELDS: dict[str, Field] = {
    "label": ("label", _text),
    "stages": ("stages", _numbers),
    "anchor": ("clock starts at", lambda v: _choice(Anchor, v)),
    "kind": ("kind", lambda v: _choice(DeadlineKind, v)),
    "condition": ("applies", lambda v: _choice(Condition, v)),
    "met_by": ("met by", lambda v: _choice(MetBy, v)),
    "breach_event": ("on a breach", lambda v: _choice(Event, v)),
    "remind": ("reminded", _recipients),
    "on_breach": ("told on a breach", _recipients),
    "strength": ("strength", _name),
    "able_roles": ("able to take the action", _names),
    "escalate_on_breach": ("may move it on a breach", _names),
    "basis": ("basis", _basis),
    "length_basis": ("basis of its length", _basis),
}

NOTIFICATION_FIELDS: dict[str, Field] = {
    "roles": ("recipients", _names),
    "sides": ("sides", lambda v: _side(v) or "both sides"),
    "to": ("recipients by part in the dispute", _recipients),
    "condition": ("applies", lambda v: _choice(Condition, v)),
    "message": ("message", _text),
    "basis": ("basis", _basis),
}

FORM_FIELDS: dict[str, Field] = {
    "form": ("form", _text),
    "recipient": ("sent to", _name),
    "to": ("sent to (by part in the dispute)", _recipients),
    "condition": ("applies", lambda v: _choice(Condition, v)),
    "basis": ("basis", _basis),
}


def _differences(old: dict, new: dict, fields: dict[str, Field], skip: tuple[str, ...] = ()) -> list[tuple]:
    """(label, before, after) for each field that differs; before and after are None where the field is text too
    long to quote (or reads the same), which is said to be reworded."""
    found = []
    for key in [*fields, *sorted((set(old) | set(new)) - set(fields))]:
        if key in skip:
            continue
        before, after = _get(old, key), _get(new, key)
        if _same(before, after):
            continue
        label, words = fields.get(key, (key.replace("_", " "), _plain))
        said_before, said_after = words(before), words(after)
        long_text = isinstance(before, str) and isinstance(after, str) and max(len(before), len(after)) > LONG_TEXT
        if long_text or said_before == said_after:
            found.append((label, None, None))
        else:
            found.append((label, said_before, said_after))
    return found


def _field_changes(old: dict, new: dict, fields: dict[str, Field], skip: tuple[str, ...] = ()) -> list[str]:
    """ "<field> changed from A to B" for each field that differs."""
    return [
        f"{label} reworded" if before is None else f"{label} changed from {before} to {after}"
        for label, before, after in _differences(old, new, fields, skip)
    ]


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, list):
        return _names(value) if all(isinstance(item, str) for item in value) else f"{len(value)} items"
    if isinstance(value, dict):
        return "a new setting"
    return _text(value) if isinstance(value, str) else str(value)


# The parts of a policy -------------------------------------------------------------------------------------------

TOP_FIELDS: dict[str, Field] = {
    "name": ("Name", _text),
    "version_label": ("The document's version", _text),
    "source": ("Source document", _text),
    "subjects": ("Who it covers", _names),
    "start_stage": ("The usual starting stage", str),
    "due_soon_working_days": ("Due soon", lambda v: f"{v} working days before"),
    "timescale_note": ("The timescale note", _text),
    "urgent_contacts": ("Urgent contacts", _text),
}
IMMEDIATE_HARM_FIELDS: dict[str, Field] = {
    "start_stages": ("Immediate harm: stages a dispute may start at", _numbers),
    "guidance": ("Immediate harm: guidance", _text),
    "question_hint": ("Immediate harm: the question's hint", _text),
    "route_heading": ("Immediate harm: the route's heading", _text),
    "route_text": ("Immediate harm: the route's text", _text),
}
FINAL_STAGE_FIELDS: dict[str, Field] = {
    "decision_maker": ("Final stage: decision-maker", _text),
    "panel_agencies": ("Final stage: agencies on the panel", lambda v: str(v) if v else "none"),
    "panel_rule": ("Final stage: who sits on the panel", _text),
}
RECORD_FORM_FIELDS: dict[str, Field] = {
    "title": ("Written record: title", _text),
    "template": ("Written record: template", _text),
}
#: Top-level keys described by their own parts below.
PARTS = (
    "stages",
    "deadline_rules",
    "notification_rules",
    "form_requirements",
    "immediate_harm",
    "final_stage",
    "record_form",
    "categories",
    "notices",
    "slug",
)


def _top_level(old: dict, new: dict) -> list[str]:
    sentences = _field_changes(old, new, TOP_FIELDS, skip=PARTS)
    for key, fields in (
        ("immediate_harm", IMMEDIATE_HARM_FIELDS),
        ("final_stage", FINAL_STAGE_FIELDS),
        ("record_form", RECORD_FORM_FIELDS),
    ):
        sentences += _field_changes(old.get(key) or {}, new.get(key) or {}, fields)
    sentences += _categories(old.get("categories") or [], new.get("categories") or [])
    for event in sorted(set(old.get("notices") or {}) | set(new.get("notices") or {})):
        notice_fields = {"headline": ("headline", _text), "message": ("message", _text)}
        for change in _field_changes(
            (old.get("notices") or {}).get(event) or {}, (new.get("notices") or {}).get(event) or {}, notice_fields
        ):
            sentences.append(f"What people are told when a dispute is {event}: {change}")
    return [sentence[0].upper() + sentence[1:] for sentence in sentences]


def _categories(old: list, new: list) -> list[str]:
    def labels(categories: list) -> dict[str, str]:
        return {category["key"]: category.get("label", category["key"]) for category in categories}

    before, after = labels(old), labels(new)
    sentences = [f"Category added: {after[key]}" for key in after if key not in before]
    sentences += [f"Category removed: {before[key]}" for key in before if key not in after]
    sentences += [
        f"Category '{key}' renamed from '{before[key]}' to '{after[key]}'"
        for key in after
        if key in before and before[key] != after[key]
    ]
    return sentences


def _stage_name(stage: dict) -> str:
    return f"Stage {stage.get('number')} '{stage.get('name')}'"


def _stages(old: list, new: list) -> list[str]:
    before = {stage["number"]: stage for stage in old}
    after = {stage["number"]: stage for stage in new}
    sentences = []
    for number in sorted(set(before) | set(after)):
        if number not in before:
            sentences.append(f"{_stage_name(after[number])} added")
        elif number not in after:
            sentences.append(f"{_stage_name(before[number])} removed")
        else:
            old_stage, new_stage = before[number], after[number]
            if old_stage.get("name") != new_stage.get("name"):
                sentences.append(f"Stage {number}: renamed from '{old_stage.get('name')}' to '{new_stage.get('name')}'")
            sentences += [
                f"{_stage_name(new_stage)}: {change}"
                for change in _field_changes(old_stage, new_stage, STAGE_FIELDS, skip=("number", "name"))
            ]
    return sentences


def _length(rule: dict) -> str:
    length, kind = rule.get("length"), _get(rule, "kind")
    if kind == DeadlineKind.MANUAL or length is None:
        return "set by hand"
    if length == "partnership_default":
        return "the partnership's default"
    return f"{length} {'hours' if kind == DeadlineKind.CALENDAR_HOURS else 'working days'}"


def _lead_unit(rule: dict) -> str:
    return "hours" if _get(rule, "kind") == DeadlineKind.CALENDAR_HOURS else "working days"


def _length_change(old: dict, new: dict) -> str | None:
    """ "length 2 -> 3 working days", or with both units where the unit changes too."""
    before, after = _length(old), _length(new)
    if before == after:
        return None
    before_number, _, before_unit = before.partition(" ")
    after_number, _, after_unit = after.partition(" ")
    if before_number.isdigit() and after_number.isdigit() and before_unit == after_unit:
        return f"length {before_number} -> {after}"
    return f"length {before} -> {after}"


def _rule_changes(old: dict, new: dict) -> list[str]:
    """A changed rule's differences, as "<field> A -> B"."""
    length = _length_change(old, new)
    changes = [length] if length else []
    if _get(old, "reminder_lead") != _get(new, "reminder_lead"):
        changes.append(
            f"reminder {_get(old, 'reminder_lead')} -> {_get(new, 'reminder_lead')} {_lead_unit(new)} before it is due"
        )
    for label, before, after in _differences(old, new, RULE_FIELDS, skip=("name", "length", "reminder_lead")):
        changes.append(f"{label} reworded" if before is None else f"{label} {before} -> {after}")
    return changes


def _deadline_rules(old: list, new: list) -> list[str]:
    before = {rule["name"]: rule for rule in old}
    after = {rule["name"]: rule for rule in new}
    sentences = []
    for name in [*before, *(name for name in after if name not in before)]:
        if name not in before:
            rule = after[name]
            sentences.append(
                f"Deadline rule added: {name} '{rule.get('label')}' (stages {_numbers(rule.get('stages'))}, "
                f"{_length(rule)})"
            )
        elif name not in after:
            sentences.append(f"Deadline rule removed: {name} '{before[name].get('label')}'")
        else:
            sentences += [f"Deadline rule {name}: {change}" for change in _rule_changes(before[name], after[name])]
    return sentences


def _at_stages(stages: list | None) -> str:
    if not stages:
        return "at every stage"
    return f"at stage {stages[0]}" if len(stages) == 1 else f"at stages {_numbers(stages)}"


def _notification_trigger(rule: dict) -> str:
    condition = _get(rule, "condition")
    when = "" if condition == "always" else f" ({_choice(Condition, condition)})"
    return f"on {_choice(Event, _get(rule, 'event'))} {_at_stages(rule.get('stages'))}{when}"


def _notification_rule(rule: dict) -> str:
    return f"{_notification_trigger(rule)}, tell {_recipient_list(rule)}"


def _form_trigger(form: dict) -> str:
    return f"on {_choice(Event, _get(form, 'event'))} at stage {form.get('stage')}"


def _form_requirement(form: dict) -> str:
    to = _recipients(form.get("to")) if form.get("to") else _name(_get(form, "recipient"))
    return f"{form.get('form') or 'the record form'} {_form_trigger(form)}, to {to}"


def _canonical(item: dict) -> str:
    return json.dumps(item, sort_keys=True)


def _unkeyed(
    what: str,
    old: list,
    new: list,
    *,
    key: Callable[[dict], Any],
    describe: Callable[[dict], str],
    trigger: Callable[[dict], str],
    fields: dict[str, Field],
) -> list[str]:
    """Rules with no name: the same rule in both is no change; a removed and an added rule set off by the same
    thing are one rule changed; the rest are added or removed."""
    remaining = [_canonical(item) for item in new]
    removed = []
    for item in old:
        text = _canonical(item)
        if text in remaining:
            remaining.remove(text)
        else:
            removed.append(item)
    added = [json.loads(text) for text in remaining]
    sentences = []
    for item in removed:
        partner = next((candidate for candidate in added if key(candidate) == key(item)), None)
        if partner is None:
            sentences.append(f"{what} removed: {describe(item)}")
            continue
        added.remove(partner)
        skip = ("event", "stages", "stage")
        changes = _field_changes(item, partner, fields, skip=skip) or ["reworded"]
        sentences += [f"{what} {trigger(partner)}: {change}" for change in changes]
    sentences += [f"{what} added: {describe(item)}" for item in added]
    return sentences
