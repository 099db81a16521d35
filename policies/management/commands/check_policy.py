from django.core.management.base import BaseCommand, CommandError

from policies.schema import PolicyFileError, read_policy_file
from policies.services import summarise


class Command(BaseCommand):
    help = "Check a policy file without loading it."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *args, files, **options):
        failed = []
        for path in files:
            try:
                spec = read_policy_file(path)
            except PolicyFileError as exc:
                failed.append(str(exc))
                continue
            self.stdout.write(f"OK {path}: {summarise(spec)}")
        if failed:
            raise CommandError("\n".join(failed))
