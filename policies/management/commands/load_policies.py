from django.core.management.base import BaseCommand, CommandError

from policies.schema import PolicyFileError, read_policy_file
from policies.services import load_policy, seed_files


class Command(BaseCommand):
    help = "Load policy files (default: every seed policy). Unchanged files change nothing."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*")

    def handle(self, *args, files, **options):
        paths = files or [str(p) for p in seed_files()]
        try:
            specs = [(path, read_policy_file(path)) for path in paths]
        except PolicyFileError as exc:
            raise CommandError(str(exc)) from None
        for path, spec in specs:
            version, created = load_policy(spec, source_file=path.rsplit("/", 1)[-1])
            state = "loaded as version" if created else "unchanged, version"
            self.stdout.write(f"{spec.slug}: {state} {version.number}")
