"""A bad scenario file names the file, the step and what is wrong, and the command exits non-zero."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from escalation.simulation.engine import play_file, read_scenario_file
from escalation.simulation.scenario import ScenarioError, parse_scenario

HEAD = """\
policy: tscp
agencies: {raising: education, other: health}
steps:
"""
RAISE = '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner, stage: 1}\n'


def problems_of(text: str, source: str = "bad.yaml") -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source=source)
    return str(caught.value)


def test_a_good_scenario_is_read():
    scenario = parse_scenario(
        HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: record, by: other.dsl, kind: action}\n'
    )
    assert [step.do for step in scenario.steps] == ["raise", "record"]
    assert scenario.steps[1].number == 2
    assert scenario.until == scenario.steps[1].at


def test_bad_yaml_names_the_file_and_the_line():
    message = problems_of(HEAD + RAISE + "  - {at: [unclosed\n")
    assert message.startswith("bad.yaml: not valid YAML at line")


def test_an_unknown_step_names_the_step():
    message = problems_of(
        HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: escalate_sideways, by: raising.manager}\n'
    )
    assert "bad.yaml: step 2 (escalate_sideways): do: unknown step 'escalate_sideways'" in message


def test_an_unknown_person_names_the_step_and_the_person():
    message = problems_of(
        HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: approve_escalation, by: raising.boss}\n'
    )
    assert "bad.yaml: step 2 (approve_escalation): by: 'raising.boss': an agency has no role 'boss'" in message
    message = problems_of(
        HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: record, kind: action, by: partnership.mayor}\n'
    )
    assert "step 2 (record): by: 'partnership.mayor': the partnership has no role or office 'mayor'" in message
    message = problems_of(
        HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: record, kind: action, by: council.manager}\n'
    )
    assert "step 2 (record): by: 'council.manager'" in message


def test_a_missing_field_names_the_step_and_the_field():
    message = problems_of(HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: record, by: other.manager}\n')
    assert "bad.yaml: step 2 (record): kind: is required" in message
    message = problems_of(HEAD + "  - {do: raise, by: raising.practitioner}\n")
    assert "bad.yaml: step 1 (raise): at: is required" in message
    message = problems_of("policy: tscp\n")
    assert "bad.yaml: steps: is required" in message


def test_an_unknown_key_is_refused():
    message = problems_of(
        HEAD + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner, stge: 1}\n'
    )
    assert "step 1 (raise): stge: unknown key" in message


def test_times_out_of_order_name_the_step():
    message = problems_of(
        HEAD + RAISE + '  - {at: "2026-05-17T10:00:00+01:00", do: record, by: other.manager, kind: action}\n'
    )
    assert "bad.yaml: step 2 (record): at: 2026-05-17T10:00:00+01:00 is before the step before it" in message


def test_until_before_the_last_step_is_refused():
    message = problems_of(HEAD.replace("steps:", 'until: "2026-05-01T00:00:00+01:00"\nsteps:') + RAISE)
    assert "bad.yaml: until: 2026-05-01T00:00:00+01:00 is before the last step" in message


def test_the_first_step_raises_the_dispute():
    message = problems_of(
        HEAD + '  - {at: "2026-05-18T10:00:00+01:00", do: record, by: other.manager, '
        "kind: action}\n" + RAISE.replace("05-18", "05-19")
    )
    assert "step 1 (record): the first step must raise the dispute" in message
    assert "step 2 (raise): only the first step raises the dispute" in message


def test_a_moment_is_read_as_london_time_without_an_offset():
    scenario = parse_scenario(HEAD + '  - {at: "2026-05-18 10:00", do: raise, by: raising.practitioner}\n')
    assert scenario.steps[0].at.isoformat() == "2026-05-18T10:00:00+01:00"
    message = problems_of(HEAD + '  - {at: "next tuesday", do: raise, by: raising.practitioner}\n')
    assert "step 1 (raise): at: 'next tuesday' is not a moment" in message


def test_a_vacant_post_cannot_act():
    message = problems_of(HEAD.replace("steps:", "vacant: [raising.practitioner]\nsteps:") + RAISE)
    assert "step 1 (raise): raising.practitioner is listed under vacant" in message


def test_every_problem_is_reported_at_once():
    text = (
        HEAD
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.nobody}\n'
        + '  - {at: "2026-05-19T10:00:00+01:00", do: record, by: other.manager}\n'
    )
    message = problems_of(text)
    assert "step 1 (raise): by:" in message and "step 2 (record): kind: is required" in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match="nothing.yaml: no such file"):
        read_scenario_file(tmp_path / "nothing.yaml")


# Checks against the policy -----------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_stage_or_rule_the_policy_does_not_have_is_named(db, tmp_path):
    path = write(
        tmp_path,
        HEAD
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner, stage: 9}\n'
        + '  - {at: "2026-05-19T10:00:00+01:00", do: extend_deadline, by: partnership.business_manager, '
        "rule: stage-99, days: 2}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        play_file(path, seeds_first=True)
    message = str(caught.value)
    assert f"{path}: step 1 (raise): stage: tscp has no stage 9" in message
    assert f"{path}: step 2 (extend_deadline): rule: tscp has no deadline rule 'stage-99'" in message


def test_an_unknown_policy_is_named(db, tmp_path):
    path = write(tmp_path, HEAD.replace("policy: tscp", "policy: no-such-policy") + RAISE)
    with pytest.raises(ScenarioError, match="policy: no policy 'no-such-policy' is loaded"):
        play_file(path)


def test_a_policy_file_beside_the_scenario_is_read(db, tmp_path):
    seed = (Path(settings.BASE_DIR) / "policies" / "seed" / "tscp.yaml").read_text(encoding="utf-8")
    write(tmp_path, seed.replace("slug: tscp", "slug: my-draft"), "draft.yaml")
    path = write(tmp_path, HEAD.replace("policy: tscp", "policy: draft.yaml") + RAISE)
    lines = play_file(path)
    assert lines[0]["result"] == "done"
    broken = write(tmp_path, "slug: broken\n", "broken.yaml")
    path = write(tmp_path, HEAD.replace("policy: tscp", f"policy: {broken.name}") + RAISE)
    with pytest.raises(ScenarioError, match="policy: .*broken.yaml"):
        play_file(path)


# The command ---------------------------------------------------------------------------------------------------


def test_the_command_fails_with_the_file_step_and_problem(db, tmp_path):
    path = write(tmp_path, HEAD + RAISE + '  - {at: "2026-05-19T10:00:00+01:00", do: fly, by: raising.manager}\n')
    with pytest.raises(CommandError, match=r"scenario.yaml: step 2 \(fly\): do: unknown step 'fly'"):
        call_command("simulate", str(path))


def test_the_command_exits_non_zero_on_a_bad_file(tmp_path):
    path = write(tmp_path, HEAD + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.nobody}\n')
    finished = subprocess.run(
        [sys.executable, "manage.py", "simulate", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode != 0
    assert f"{path}: step 1 (raise): by: 'raising.nobody'" in finished.stderr


def test_the_command_prints_one_json_object_per_line(db, tmp_path, capsys):
    path = write(tmp_path, HEAD + RAISE)
    call_command("simulate", str(path), "--seed")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        '{"at": "2026-05-18T10:00:00+01:00", "step": 1, "do": "raise", "by": "raising.practitioner", '
        '"result": "done", "reason": null}'
    )
