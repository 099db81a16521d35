"""`manage.py check_policy`: a bad file is refused with a message naming the file and the field, never a traceback.

No database is needed: the command only reads and checks files.
"""

import copy
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from policies.services import seed_files

PROJECT_DIR = Path(__file__).resolve().parents[2]

VALID = {
    "slug": "example",
    "name": "Example Safeguarding Partnership",
    "subjects": ["child"],
    "stages": [
        {"number": 1, "name": "Worker to worker", "raising_side": "Worker", "approval_required": False},
        {"number": 2, "name": "Manager to manager", "raising_side": "Manager"},
        {"number": 3, "name": "Senior manager to senior manager", "raising_side": "Senior manager"},
    ],
    "deadline_rules": [
        {
            "name": "stage-1",
            "label": "Stage 1: within 2 working days",
            "stages": [1],
            "anchor": "stage_entry",
            "kind": "working_days",
            "length": 2,
        },
        {
            "name": "overall",
            "label": "Within 10 working days",
            "stages": [1, 2],
            "anchor": "raised",
            "kind": "working_days",
            "length": 10,
        },
    ],
    "notification_rules": [{"event": "stage_entered", "stages": [2], "roles": ["business_manager"]}],
    "record_form": {"title": "Appendix 2: registration", "template": "records/appendix_2.html"},
    "form_requirements": [{"form": "appendix_2", "stage": 2}],
    "final_stage": {"decision_maker": "Chair", "panel_agencies": 3},
}


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def variant(change) -> str:
    data = copy.deepcopy(VALID)
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def check(*paths) -> str:
    out = StringIO()
    call_command("check_policy", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def refused(path: Path) -> str:
    with pytest.raises(CommandError) as caught:
        check(path)
    message = str(caught.value)
    assert str(path) in message
    assert "Traceback" not in message
    return message


def set_rule(index: int, **values):
    return lambda d: d["deadline_rules"][index].update(values)


def test_the_valid_example_passes(tmp_path):
    path = write(tmp_path, variant(lambda d: None))
    output = check(path)
    assert output.startswith(f"OK {path}: example:")


# Each case: the file's text, then the words the error must contain (the field, and what is wrong).
BAD_FILES = {
    "yaml syntax error": ("slug: example\nstages: [1, 2\nname: x\n", ["not valid YAML", "line"]),
    "unclosed quote": ('slug: "example\n', ["not valid YAML"]),
    "empty file": ("", ["the file is empty"]),
    "only a comment": ("# nothing here\n", ["the file is empty"]),
    "top-level list": ("- slug: example\n- name: x\n", ["expected a mapping"]),
    "top-level scalar": ("just some words\n", ["expected a mapping"]),
    "unknown top-level key": (variant(lambda d: d.update(colour="red")), ["colour", "unknown key"]),
    "unknown key in a stage": (
        variant(lambda d: d["stages"][1].update(deadline=3)),
        ["stages.1.deadline", "unknown key"],
    ),
    "unknown key in a rule": (variant(set_rule(0, days=2)), ["deadline_rules.0.days", "unknown key"]),
    "missing stages": (variant(lambda d: d.pop("stages")), ["stages", "is required"]),
    "no stages": (variant(lambda d: d.update(stages=[])), ["stages"]),
    "missing final stage": (variant(lambda d: d.pop("final_stage")), ["final_stage", "is required"]),
    "missing subjects": (variant(lambda d: d.pop("subjects")), ["subjects", "is required"]),
    "stage without a name": (variant(lambda d: d["stages"][0].pop("name")), ["stages.0.name", "is required"]),
    "negative length": (variant(set_rule(0, length=-2)), ["deadline_rules.0.length", "positive"]),
    "zero length": (variant(set_rule(0, length=0)), ["deadline_rules.0.length", "positive"]),
    "fractional length": (variant(set_rule(0, length=2.5)), ["deadline_rules.0.length"]),
    "length in words": (variant(set_rule(0, length="two")), ["deadline_rules.0.length"]),
    "rule spanning a stage that does not exist": (
        variant(set_rule(1, stages=[2, 3, 4])),
        ["deadline_rules[overall].stages", "stage 4", "does not exist"],
    ),
    "non-consecutive rule stages": (variant(set_rule(1, stages=[1, 3])), ["deadline_rules.1.stages", "consecutive"]),
    "rule stages out of order": (variant(set_rule(1, stages=[2, 1])), ["deadline_rules.1.stages", "consecutive"]),
    "rule with no stages": (variant(set_rule(1, stages=[])), ["deadline_rules.1.stages"]),
    "duplicate stage numbers": (
        variant(lambda d: d["stages"][2].update(number=2)),
        ["stages", "stage numbers must be unique"],
    ),
    "stages out of order": (
        variant(lambda d: d["stages"].reverse()),
        ["stages", "in order"],
    ),
    "negative stage number": (variant(lambda d: d["stages"][0].update(number=-1)), ["stages.0.number"]),
    "manual rule with a length": (
        variant(set_rule(0, kind="manual", length=5)),
        ["deadline_rules.0", "length", "manual"],
    ),
    "working_days rule with no length": (
        variant(lambda d: d["deadline_rules"][0].pop("length")),
        ["deadline_rules.0", "length", "needs a length"],
    ),
    "calendar_hours rule with the partnership default": (
        variant(set_rule(0, kind="calendar_hours", length="partnership_default")),
        ["deadline_rules.0", "length", "calendar hours"],
    ),
    "unknown deadline kind": (variant(set_rule(0, kind="weeks")), ["deadline_rules.0.kind"]),
    "unknown anchor": (variant(set_rule(0, anchor="whenever")), ["deadline_rules.0.anchor"]),
    "unknown condition": (variant(set_rule(0, condition="sometimes")), ["deadline_rules.0.condition"]),
    "rule name with spaces": (variant(set_rule(0, name="Stage one")), ["deadline_rules.0.name"]),
    "duplicate rule names": (variant(set_rule(1, name="stage-1")), ["deadline_rules", "unique", "stage-1"]),
    "unknown role": (
        variant(lambda d: d["notification_rules"][0].update(roles=["headteacher"])),
        ["notification_rules.0.roles.0"],
    ),
    "notification with no roles": (
        variant(lambda d: d["notification_rules"][0].update(roles=[])),
        ["notification_rules.0: name whom to tell"],
    ),
    "notification for a stage that does not exist": (
        variant(lambda d: d["notification_rules"][0].update(stages=[7])),
        ["notification_rules[0].stages", "stage 7", "does not exist"],
    ),
    "form for a stage that does not exist": (
        variant(lambda d: d["form_requirements"][0].update(stage=9)),
        ["form_requirements[0].stage", "stage 9", "does not exist"],
    ),
    "form that is not the record form": (
        variant(lambda d: d["form_requirements"][0].update(form="appendix_9")),
        ["form_requirements[0].form", "'appendix_9' is not this policy's record form", "appendix_2"],
    ),
    "form requirement without a record form": (
        variant(lambda d: d.pop("record_form")),
        ["form_requirements[0].form", "record form (general"],
    ),
    "record form template that does not exist": (
        variant(lambda d: d["record_form"].update(template="records/appendix_9.html")),
        ["record_form.template", "no template records/appendix_9.html"],
    ),
    "record form template outside the records folder": (
        variant(lambda d: d["record_form"].update(template="escalation/home.html")),
        ["record_form.template", "records/<name>.html"],
    ),
    "record form on the records frame": (
        variant(lambda d: d["record_form"].update(template="records/base.html")),
        ["record_form.template", "records/<name>.html"],
    ),
    "record form without a title": (
        variant(lambda d: d["record_form"].pop("title")),
        ["record_form.title", "is required"],
    ),
    "category with no label": (
        variant(lambda d: d.update(categories=[{"key": "weather"}])),
        ["categories.0.label", "is required"],
    ),
    "category key with spaces": (
        variant(lambda d: d.update(categories=[{"key": "the weather", "label": "The weather"}])),
        ["categories.0.key"],
    ),
    "the same category twice": (
        variant(lambda d: d.update(categories=["communication", {"key": "communication", "label": "Talking"}])),
        ["categories", "unique", "communication"],
    ),
    "no categories": (variant(lambda d: d.update(categories=[])), ["categories"]),
    "notice for an unknown event": (
        variant(lambda d: d.update(notices={"closed": {"headline": "closed"}})),
        ["notices.closed", "unknown key"],
    ),
    "notice without a headline": (
        variant(lambda d: d.update(notices={"raised": {"message": "Sign in to read it."}})),
        ["notices.raised.headline", "is required"],
    ),
    "negative due-soon window": (
        variant(lambda d: d.update(due_soon_working_days=-1)),
        ["due_soon_working_days"],
    ),
    "start stage that does not exist": (variant(lambda d: d.update(start_stage=5)), ["start_stage", "no stage 5"]),
    "immediate harm at a stage that does not exist": (
        variant(lambda d: d.update(immediate_harm={"start_stages": [1, 6]})),
        ["immediate_harm.start_stages", "stage 6", "does not exist"],
    ),
    "unknown subject": (variant(lambda d: d.update(subjects=["pet"])), ["subjects.0"]),
    "unknown category": (
        variant(lambda d: d.update(categories=["weather"])),
        ["categories", "'weather' is not a default category", "key and a label"],
    ),
    "slug with capitals": (variant(lambda d: d.update(slug="My Policy")), ["slug"]),
    "panel of one agency": (
        variant(lambda d: d["final_stage"].update(panel_agencies=1)),
        ["final_stage.panel_agencies"],
    ),
}


@pytest.mark.parametrize(("text", "words"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_file_is_refused_naming_the_file_and_the_field(tmp_path, text, words):
    message = refused(write(tmp_path, text))
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_missing_file_is_refused(tmp_path):
    message = refused(tmp_path / "nowhere.yaml")
    assert "no such file" in message


def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    assert "cannot be read" in refused(path)


def test_directory_is_refused(tmp_path):
    (tmp_path / "adir.yaml").mkdir()
    assert "cannot be read" in refused(tmp_path / "adir.yaml")


def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    def two_problems(d):
        d["deadline_rules"][0]["length"] = 0
        d["stages"][1]["colour"] = "red"

    message = refused(write(tmp_path, variant(two_problems)))
    assert "deadline_rules.0.length" in message
    assert "stages.1.colour" in message


def test_good_and_bad_files_together_reports_each(tmp_path):
    good = write(tmp_path, variant(lambda d: None), "good.yaml")
    bad = write(tmp_path, "", "bad.yaml")
    empty_too = write(tmp_path, "[]\n", "list.yaml")
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("check_policy", str(good), str(bad), str(empty_too), stdout=out)
    message = str(caught.value)
    assert str(bad) in message and str(empty_too) in message
    assert str(good) not in message
    assert out.getvalue().startswith(f"OK {good}:")


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name)
def test_each_seed_passes_with_a_one_line_ok_summary(path):
    output = check(path)
    lines = output.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"OK {path}: {path.stem}: ")
    assert "stages" in lines[0] and "deadline rules" in lines[0]


def test_all_seeds_together_pass():
    paths = seed_files()
    assert len(paths) == 5
    lines = check(*paths).splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [f"OK {p}" for p in paths]


def run_command(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escalation.settings.test"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check_policy", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_command_line_bad_file_exits_non_zero_without_a_traceback(tmp_path):
    bad = write(tmp_path, variant(set_rule(0, length=-1)))
    result = run_command(str(bad))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(bad) in result.stderr
    assert "deadline_rules.0.length" in result.stderr
    assert result.stdout == ""


def test_command_line_seeds_exit_zero():
    result = run_command(*[str(p) for p in seed_files()])
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 5


# Known gaps in policies/schema.py (reported to the lead, not fixed here). strict=True: once the schema is fixed
# these pass, the run fails with XPASS, and the marker should be removed.
def test_boolean_length_is_refused(tmp_path):
    message = refused(write(tmp_path, variant(set_rule(0, length=True))))
    assert "deadline_rules.0.length" in message


def test_slug_too_long_for_the_database_is_refused(tmp_path):
    message = refused(write(tmp_path, variant(lambda d: d.update(slug="a" * 51))))
    assert "slug" in message
