"""The scenarios shipped with the seed policies play as their expected output says.

After a deliberate change to a seed policy or to what the app does, `make scenarios` (or
`manage.py simulate --write-expected` on a migrated database) writes the expected files again: read the diff.
"""

import json

import pytest

from escalation.simulation.engine import play_file
from escalation.simulation.files import SCENARIO_DIR, expected_path, scenario_files
from policies.schema import read_policy_file
from policies.services import seed_files

SCENARIOS = scenario_files()


def test_every_seed_policy_ships_a_climb_and_an_immediate_harm_start():
    for slug in (read_policy_file(path).slug for path in seed_files()):
        names = {path.stem for path in (SCENARIO_DIR / slug).glob("*.yaml")}
        assert {"climb-with-breach", "immediate-harm"} <= names, slug


@pytest.mark.parametrize("path", SCENARIOS, ids=[f"{path.parent.name}/{path.stem}" for path in SCENARIOS])
def test_the_scenario_plays_as_expected(db, path):
    expected_file = expected_path(path)
    assert expected_file.is_file(), f"{expected_file} is missing: run `make scenarios`"
    expected = [json.loads(line) for line in expected_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    played = play_file(path, seeds_first=True)
    assert played == expected, (
        f"{path} no longer plays as {expected_file}; after a deliberate change run `make scenarios`"
    )
