"""`manage.py simulate SCENARIO.yaml`: play a scripted dispute under a policy and print one JSON line per event.

Nothing is kept: each scenario runs in its own throw-away world, in a transaction that is rolled back.
`--write-expected` plays scenarios with a slug's seed file (not the stored policy) and writes each one's expected
output beside it; with no files it does so for every scenario shipped in policies/scenarios/.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from escalation.simulation.engine import play_file, to_jsonl
from escalation.simulation.files import expected_path, scenario_files
from escalation.simulation.scenario import ScenarioError


class Command(BaseCommand):
    help = "Play scenario files in a throw-away world and print what happens, one JSON object per line."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="Scenario files (YAML).")
        parser.add_argument(
            "--write-expected",
            action="store_true",
            help="Write each scenario's expected output (<name>.expected.jsonl) beside it instead of printing it; "
            "with no files, for every scenario in policies/scenarios/.",
        )
        parser.add_argument(
            "--seed",
            action="store_true",
            help="Play a policy named by slug from its seed file even where a version of it is stored.",
        )

    def handle(self, *args, files, write_expected, seed, **options):
        paths = [Path(name) for name in files]
        if not paths and write_expected:
            paths = scenario_files()
        if not paths:
            raise CommandError(
                "Give a scenario file to play, e.g. manage.py simulate policies/scenarios/<slug>/<name>.yaml"
            )
        failed = []
        for path in paths:
            try:
                lines = play_file(path, seeds_first=seed or write_expected)
            except ScenarioError as exc:
                failed.append(str(exc))
                continue
            if write_expected:
                target = expected_path(path)
                target.write_text(to_jsonl(lines), encoding="utf-8")
                self.stdout.write(f"wrote {target} ({len(lines)} lines)")
            else:
                self.stdout.write(to_jsonl(lines), ending="")
        if failed:
            raise CommandError("\n".join(failed))
