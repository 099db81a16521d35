"""The scenarios shipped with the seed policies (policies/scenarios/<slug>/*.yaml) and their expected output.

Each scenario's expected output sits beside it as `<name>.expected.jsonl`. After a deliberate change to a seed
policy or to what the app does, `manage.py simulate --write-expected` plays every shipped scenario and writes
the files again; read the diff before committing it.
"""

from pathlib import Path

from policies.services import SEED_DIR

SCENARIO_DIR = SEED_DIR.parent / "scenarios"
EXPECTED_SUFFIX = ".expected.jsonl"


def scenario_files() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*/*.yaml"))


def expected_path(scenario: Path) -> Path:
    return scenario.with_name(scenario.stem + EXPECTED_SUFFIX)


GENERIC_EXAMPLE = """\
# Each step happens at its moment; between steps the deadline sweep runs, so reminders and breaches show up.
# People are raising.<role>, other.<role> and partnership.<role or office>. Nothing you try here is kept.
policy: {slug}
nation: england-and-wales
subject: {{kind: {kind}, cp_plan: false, looked_after: false}}
agencies: {{raising: education, other: childrens_social_care}}
until: "2026-06-12T09:00:00+01:00"
steps:
  - {{at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner, immediate_harm: false}}
  - {{at: "2026-05-19T11:00:00+01:00", do: record, by: other.practitioner, kind: discussion}}
  - {{at: "2026-05-27T09:00:00+01:00", do: propose_escalation, by: raising.practitioner}}
  - {{at: "2026-05-27T10:00:00+01:00", do: approve_escalation, by: raising.manager}}
"""


def example_scenario(slug: str, subject_kind: str = "child") -> str:
    """A scenario to start from: the first one shipped for the policy, or a short climb naming the policy."""
    shipped = sorted((SCENARIO_DIR / slug).glob("*.yaml")) if slug else []
    if shipped:
        return shipped[0].read_text(encoding="utf-8")
    return GENERIC_EXAMPLE.format(slug=slug, kind=subject_kind)
