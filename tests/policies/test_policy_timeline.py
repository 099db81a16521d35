"""The policy_timeline command: every deadline rule of a policy with its due time, one JSON object a line.

Expected dates are worked out by hand from the 2026 England & Wales calendar (Mon 4 May 2026 is the early May
bank holiday; Good Friday 3 Apr and Easter Monday 6 Apr 2026; see test_calendar.py for the full list).
"""

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import ClosureDay, Partnership
from policies.management.commands.policy_timeline import PARTNERSHIP_DEFAULT_DAYS
from policies.models import Policy
from policies.vocabulary import Anchor
from tests.policies.basis_policy import LENGTH_DEFAULT, LENGTH_QUOTE, load_basis_policy

BASE_DIR = Path(__file__).resolve().parents[2]
KEYS = {"rule", "stages", "anchor", "kind", "length", "due", "basis", "basis_text"}
SATURDAY_2_MAY = "2026-05-02T10:00+01:00"


@pytest.fixture
def policies(db):
    call_command("load_policies", stdout=io.StringIO())


def timeline(slug: str, *args: str) -> list[dict]:
    out = io.StringIO()
    call_command("policy_timeline", slug, *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines, "the command printed nothing"
    return [json.loads(line) for line in lines]


def by_rule(lines: list[dict]) -> dict[str, dict]:
    rules = {line["rule"]: line for line in lines}
    assert len(rules) == len(lines), "a rule was printed twice"
    return rules


def clock(line: dict) -> dict:
    """A line without what its due time rests on (tested on its own below)."""
    return {key: value for key, value in line.items() if key not in {"basis", "basis_text"}}


def due(line: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(line["due"])


def make_partnership(slug: str, policy_slug: str | None = "bcssp", **fields) -> Partnership:
    return Partnership.objects.create(
        name=fields.pop("name", f"Partnership {slug}"),
        slug=slug,
        reference_prefix=fields.pop("reference_prefix", slug[:10].upper()),
        policy=Policy.objects.get(slug=policy_slug) if policy_slug else None,
        **fields,
    )


# --- output format --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["bcssp", "tscp", "chscp", "banwell-buddies", "bs3-early-education"])
def test_every_line_is_json_with_exactly_the_documented_keys(policies, slug):
    out = io.StringIO()
    call_command("policy_timeline", slug, "--raised", SATURDAY_2_MAY, "--immediate-harm", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines
    version = Policy.objects.get(slug=slug).current_version
    for text in lines:
        line = json.loads(text)
        assert set(line) == KEYS
        assert isinstance(line["rule"], str) and line["rule"]
        assert isinstance(line["stages"], list) and all(isinstance(n, int) for n in line["stages"])
        assert line["anchor"] in Anchor.values
        assert line["kind"] in {"working_days", "calendar_hours", "manual"}
        assert line["length"] is None or isinstance(line["length"], int)
        if line["due"] is not None:
            assert due(line).utcoffset() is not None
    # every rule whose condition holds is printed: all of them here except a not-immediate-harm one
    printed = {json.loads(text)["rule"] for text in lines}
    expected = set(version.deadline_rules.exclude(condition="not_immediate_harm").values_list("name", flat=True))
    assert printed == expected


# --- BCSSP ----------------------------------------------------------------------------------------------------


def test_bcssp_raised_on_saturday_2_may_2026(policies):
    rules = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY))
    # the immediate-harm rule applies only when asked for
    assert set(rules) == {"stage-1", "stage-2", "stage-3", "stage-4", "overall"}
    # stage 1: 2 working days; Mon 4 May is a bank holiday: Tue 5 (1), Wed 6 (2)
    assert clock(rules["stage-1"]) == {
        "rule": "stage-1",
        "stages": [1],
        "anchor": "stage_entry",
        "kind": "working_days",
        "length": 2,
        "due": "2026-05-06T17:00:00+01:00",
    }
    # overall: 10 working days "from the outset of a concern being considered" (bath:54), so anchored at the
    # concern's outset; the command is given none, so the clock starts when the dispute is raised:
    # Tue 5 ... Fri 8 (4), Mon 11 ... Fri 15 (9), Mon 18 May (10)
    assert clock(rules["overall"]) == {
        "rule": "overall",
        "stages": [1, 2, 3],
        "anchor": "concern_outset",
        "kind": "working_days",
        "length": 10,
        "due": "2026-05-18T17:00:00+01:00",
    }
    # the later stages have not been entered
    for name, length in [("stage-2", 3), ("stage-3", 4), ("stage-4", 5)]:
        assert rules[name]["due"] is None
        assert rules[name]["length"] == length
        assert rules[name]["anchor"] == "stage_entry"


def test_bcssp_stage_2_is_due_once_entered(policies):
    rules = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--enter", "2=2026-05-06T15:00+01:00"))
    # 3 working days from Wed 6 May: Thu 7, Fri 8, Mon 11 May
    assert rules["stage-2"]["due"] == "2026-05-11T17:00:00+01:00"
    # entering stage 2 moves neither stage 1 nor the overall deadline
    assert rules["stage-1"]["due"] == "2026-05-06T17:00:00+01:00"
    assert rules["overall"]["due"] == "2026-05-18T17:00:00+01:00"
    assert rules["stage-3"]["due"] is None


def test_bcssp_several_stages_entered(policies):
    rules = by_rule(
        timeline(
            "bcssp",
            "--raised", SATURDAY_2_MAY,
            "--enter", "2=2026-05-06T15:00+01:00",
            "--enter", "3=2026-05-11T16:00+01:00",
            "--enter", "4=2026-05-15T12:00+01:00",
        )
    )  # fmt: skip
    # stage 3: 4 working days from Mon 11 May: Tue 12, Wed 13, Thu 14, Fri 15 May
    assert rules["stage-3"]["due"] == "2026-05-15T17:00:00+01:00"
    # stage 4: 5 working days from Fri 15 May: Mon 18 ... Fri 22 May (Mon 25 May is the next bank holiday)
    assert rules["stage-4"]["due"] == "2026-05-22T17:00:00+01:00"


def test_entering_a_stage_in_utc_or_after_hours_uses_the_london_day(policies):
    # 23:30 UTC on Wed 6 May is 00:30 BST on Thu 7 May: Fri 8, Mon 11, Tue 12 May
    rules = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--enter", "2=2026-05-06T23:30Z"))
    assert rules["stage-2"]["due"] == "2026-05-12T17:00:00+01:00"
    # the same London day after close of business: still Wed 6 May, so Mon 11 May
    rules = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--enter", "2=2026-05-06T21:30+01:00"))
    assert rules["stage-2"]["due"] == "2026-05-11T17:00:00+01:00"


def test_bcssp_immediate_harm_adds_the_24_hour_rule(policies):
    rules = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--immediate-harm"))
    harm = rules["immediate-harm"]
    assert harm["kind"] == "calendar_hours"
    assert harm["length"] == 24
    assert harm["anchor"] == "raised"
    assert harm["stages"] == [1, 2, 3, 4]
    # ISO 8601 with an offset, exactly 24 elapsed hours after 10:00 BST on 2 May
    assert harm["due"].endswith(("+00:00", "+01:00", "Z"))
    raised = datetime.datetime.fromisoformat(SATURDAY_2_MAY)
    assert due(harm) - raised == datetime.timedelta(hours=24)
    assert due(harm) == datetime.datetime(2026, 5, 3, 9, 0, tzinfo=datetime.UTC)
    # the other rules are unchanged
    assert rules["stage-1"]["due"] == "2026-05-06T17:00:00+01:00"


def test_immediate_harm_across_the_change_to_summer_time(policies):
    # raised 12:00 GMT on Sat 28 Mar 2026; 24 hours later is 12:00 UTC = 13:00 BST on Sun 29 Mar
    rules = by_rule(timeline("bcssp", "--raised", "2026-03-28T12:00+00:00", "--immediate-harm"))
    assert due(rules["immediate-harm"]) == datetime.datetime(2026, 3, 29, 12, 0, tzinfo=datetime.UTC)
    # stage 1 (2 working days): Mon 30, Tue 31 Mar, 17:00 BST
    assert rules["stage-1"]["due"] == "2026-03-31T17:00:00+01:00"


def test_raised_on_good_friday(policies):
    # Good Friday 3 Apr 2026; Easter Monday skipped: Tue 7 (1), Wed 8 (2)
    rules = by_rule(timeline("bcssp", "--raised", "2026-04-03T11:00+01:00"))
    assert rules["stage-1"]["due"] == "2026-04-08T17:00:00+01:00"


def test_raised_accepts_z_and_other_offsets(policies):
    # 09:00Z is 10:00 BST on Saturday 2 May: the same deadlines
    assert timeline("bcssp", "--raised", "2026-05-02T09:00Z") == timeline("bcssp", "--raised", SATURDAY_2_MAY)


# --- TSCP -----------------------------------------------------------------------------------------------------


def test_tscp_stages_1_and_2_run_from_the_dispute_being_raised(policies):
    rules = by_rule(timeline("tscp", "--raised", SATURDAY_2_MAY))
    # 5 working days from Sat 2 May: Tue 5, Wed 6, Thu 7, Fri 8, Mon 11 May
    assert clock(rules["stages-1-and-2"]) == {
        "rule": "stages-1-and-2",
        "stages": [1, 2],
        "anchor": "raised",
        "kind": "working_days",
        "length": 5,
        "due": "2026-05-11T17:00:00+01:00",
    }
    assert rules["no-response"]["due"] == "2026-05-11T17:00:00+01:00"
    # entering stage 2 does not restart the shared clock
    again = by_rule(timeline("tscp", "--raised", SATURDAY_2_MAY, "--enter", "2=2026-05-07T10:00+01:00"))
    assert again["stages-1-and-2"]["due"] == "2026-05-11T17:00:00+01:00"


def test_tscp_stage_5_is_set_by_hand(policies):
    rules = by_rule(timeline("tscp", "--raised", SATURDAY_2_MAY, "--enter", "5=2026-06-01T10:00+01:00"))
    assert rules["stage-5"]["kind"] == "manual"
    assert rules["stage-5"]["due"] is None
    assert rules["stage-5"]["length"] is None
    # stage 3 and 4 not entered
    assert rules["stage-3"]["due"] is None
    assert rules["stage-4"]["due"] is None


def test_tscp_stage_4_ten_working_days_over_the_spring_bank_holiday(policies):
    # entered Mon 18 May 2026: Tue 19 ... Fri 22 (4), Mon 25 May bank holiday, Tue 26 ... Fri 29 (8),
    # Mon 1 Jun (9), Tue 2 Jun (10)
    rules = by_rule(timeline("tscp", "--raised", SATURDAY_2_MAY, "--enter", "4=2026-05-18T10:00+01:00"))
    assert rules["stage-4"]["due"] == "2026-06-02T17:00:00+01:00"


# --- partnership defaults and calendars -----------------------------------------------------------------------


def test_a_policy_with_partnership_defaults(policies):
    # no partnership uses Banwell Buddies: the default of 5 working days on the England & Wales calendar
    rules = by_rule(timeline("banwell-buddies", "--raised", SATURDAY_2_MAY))
    assert rules["stage-1"]["length"] == 5
    assert rules["stage-1"]["due"] == "2026-05-11T17:00:00+01:00"
    for name in ["stage-2", "stage-3", "stage-4", "stage-5"]:
        assert rules[name]["length"] == 5
        assert rules[name]["due"] is None


def test_the_partnerships_own_default_length(policies):
    make_partnership("banwell-area", "banwell-buddies", default_stage_working_days=3)
    # 3 working days from Sat 2 May: Tue 5, Wed 6, Thu 7 May
    for args in [(), ("--partnership", "banwell-area")]:
        rules = by_rule(timeline("banwell-buddies", "--raised", SATURDAY_2_MAY, *args))
        assert rules["stage-1"]["length"] == 3
        assert rules["stage-1"]["due"] == "2026-05-07T17:00:00+01:00"


def test_a_closure_day_changes_the_result_with_partnership(policies):
    # "a-plain" sorts first, so it is the default partnership of the policy
    make_partnership("a-plain", name="A plain partnership")
    closed = make_partnership("b-closed", name="B partnership with a closure day")
    ClosureDay.objects.create(partnership=closed, date=datetime.date(2026, 5, 5), reason="Staff training")

    plain = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY))
    assert plain["stage-1"]["due"] == "2026-05-06T17:00:00+01:00"
    assert by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--partnership", "a-plain")) == plain

    # Tue 5 May closed too: Wed 6 (1), Thu 7 (2)
    with_closure = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--partnership", "b-closed"))
    assert with_closure["stage-1"]["due"] == "2026-05-07T17:00:00+01:00"
    # overall: Wed 6 ... Fri 8 (3), Mon 11 ... Fri 15 (8), Mon 18 (9), Tue 19 May (10)
    assert with_closure["overall"]["due"] == "2026-05-19T17:00:00+01:00"


def test_a_partnership_not_on_the_policy_can_still_lend_its_calendar(policies):
    elsewhere = make_partnership("elsewhere", policy_slug=None)
    ClosureDay.objects.create(partnership=elsewhere, date=datetime.date(2026, 5, 6))
    # Tue 5 (1), Wed 6 closed, Thu 7 (2)
    rules = by_rule(timeline("bcssp", "--raised", SATURDAY_2_MAY, "--partnership", "elsewhere"))
    assert rules["stage-1"]["due"] == "2026-05-07T17:00:00+01:00"


def test_a_scottish_partnership_and_a_custom_close_of_business(policies):
    make_partnership("scottish", policy_slug=None, nation="SCT", close_of_business=datetime.time(16, 30))
    # raised Thu 2 Apr 2026: Good Friday everywhere, but Easter Monday is a Scottish working day:
    # Mon 6 (1), Tue 7 (2) at 16:30 BST; in England it would be Wed 8 Apr
    rules = by_rule(timeline("bcssp", "--raised", "2026-04-02T10:00+01:00", "--partnership", "scottish"))
    assert rules["stage-1"]["due"] == "2026-04-07T16:30:00+01:00"
    england = by_rule(timeline("bcssp", "--raised", "2026-04-02T10:00+01:00"))
    assert england["stage-1"]["due"] == "2026-04-08T17:00:00+01:00"


# --- bad arguments --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-policy", "--raised", SATURDAY_2_MAY], "no policy with slug 'no-such-policy'"),
        (["bcssp", "--raised", "2026-05-02T10:00"], "has no UTC offset"),
        (["bcssp", "--raised", "2026-05-02"], "has no UTC offset"),
        (["bcssp", "--raised", "next tuesday"], "is not an ISO 8601 date and time"),
        (["bcssp", "--raised", ""], "is not an ISO 8601 date and time"),
        (["bcssp", "--raised", "2026-02-30T10:00+00:00"], "is not an ISO 8601 date and time"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "2026-05-06T15:00+01:00"], "expected STAGE=ISO"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "two=2026-05-06T15:00+01:00"], "expected STAGE=ISO"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "=2026-05-06T15:00+01:00"], "expected STAGE=ISO"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter=-1=2026-05-06T15:00+01:00"], "expected STAGE=ISO"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "9=2026-05-06T15:00+01:00"], "policy bcssp has no stage 9"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "5=2026-05-06T15:00+01:00"], "policy bcssp has no stage 5"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "2=tomorrow"], "--enter 2: 'tomorrow' is not an ISO"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "2=2026-05-06T15:00"], "'2026-05-06T15:00' has no UTC"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--partnership", "nowhere"], "no partnership 'nowhere'"),
        (["bcssp"], "--raised"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--subject", "dog"], "invalid choice"),
    ],
)  # fmt: skip
def test_bad_arguments_give_a_clear_command_error(policies, args, message):
    with pytest.raises(CommandError) as excinfo:
        call_command("policy_timeline", *args, stdout=io.StringIO())
    assert message in str(excinfo.value)


def test_an_unloaded_policy_is_an_error_even_with_an_empty_database(db):
    with pytest.raises(CommandError, match="load it with load_policies first"):
        call_command("policy_timeline", "bcssp", "--raised", SATURDAY_2_MAY, stdout=io.StringIO())


def test_a_non_ascii_digit_stage_is_a_command_error(policies):
    with pytest.raises(CommandError, match="expected STAGE=ISO"):
        call_command("policy_timeline", "bcssp", "--raised", SATURDAY_2_MAY, "--enter", "²=2026-05-06T15:00+01:00")


@pytest.mark.parametrize("moment", ["9999-12-31T12:00+00:00", "0001-01-01T00:30+01:00"])
def test_a_moment_out_of_range_is_a_command_error(policies, moment):
    with pytest.raises(CommandError, match="--raised"):
        call_command("policy_timeline", "bcssp", "--raised", moment, "--immediate-harm", stdout=io.StringIO())


# --- from the shell -------------------------------------------------------------------------------------------


def test_from_the_shell_a_bad_argument_exits_non_zero_without_a_traceback(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escalation.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'timeline.sqlite3'}",
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    migrated = manage("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    loaded = manage("load_policies")
    assert loaded.returncode == 0, loaded.stderr

    good = manage("policy_timeline", "bcssp", "--raised", SATURDAY_2_MAY)
    assert good.returncode == 0, good.stderr
    first = by_rule([json.loads(line) for line in good.stdout.splitlines()])
    assert first["stage-1"]["due"] == "2026-05-06T17:00:00+01:00"

    for args, message in [
        (["no-such-policy", "--raised", SATURDAY_2_MAY], "no policy with slug 'no-such-policy'"),
        (["bcssp", "--raised", "garbage"], "is not an ISO 8601 date and time"),
        (["bcssp", "--raised", SATURDAY_2_MAY, "--enter", "9=2026-05-06T15:00+01:00"], "has no stage 9"),
    ]:
        bad = manage("policy_timeline", *args)
        assert bad.returncode != 0, args
        assert "Traceback" not in bad.stderr, bad.stderr
        assert message in bad.stderr, bad.stderr
        assert bad.stdout == ""


# --- what each due time rests on -----------------------------------------------------------------------------


def test_each_due_time_says_whether_the_policy_a_reading_or_the_partnership_sets_it(db):
    load_basis_policy()
    rules = by_rule(timeline("basis-test", "--raised", SATURDAY_2_MAY))
    assert rules["stage-1"]["basis"] == "policy"
    assert rules["stage-1"]["basis_text"] == f"Policy, line 20: “{LENGTH_QUOTE}”"
    # A default length is the partnership's, in its own words and never between quotation marks.
    assert rules["stage-2"]["basis"] == "partnership_default"
    assert rules["stage-2"]["basis_text"] == f"Partnership's own choice: {LENGTH_DEFAULT}"
    assert rules["stage-2"]["length"] == PARTNERSHIP_DEFAULT_DAYS
    assert (rules["stage-4"]["basis"], rules["stage-4"]["basis_text"]) == (None, "Basis not recorded")


def test_a_default_length_the_file_gives_no_basis_for_is_still_the_partnerships(db):
    version = load_basis_policy()
    version.deadline_rules.filter(name="stage-2").update(length_basis=None)
    rules = by_rule(timeline("basis-test", "--raised", SATURDAY_2_MAY))
    assert rules["stage-2"]["basis"] == "partnership_default"
    assert rules["stage-2"]["basis_text"].startswith("Partnership's own choice: The policy gives no timescale")
