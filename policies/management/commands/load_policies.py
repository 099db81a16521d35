from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from policies.schema import PolicyFileError, read_policy_file
from policies.services import SeedOutcome, load_seed, seed_files


class Command(BaseCommand):
    help = (
        "Load policy files (default: every seed policy). A file is loaded, as a published version, only for a "
        "policy with no published version; a published version (an admin's edit, say) is never superseded "
        "unless --new-version is given. Unchanged files change nothing; skipped files are listed with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*")
        parser.add_argument(
            "--new-version",
            action="store_true",
            help="Publish each file that differs from its policy's published version as a new version.",
        )

    def handle(self, *args, files, new_version, **options):
        paths = files or [str(p) for p in seed_files()]
        try:
            specs = [(path, read_policy_file(path)) for path in paths]
        except PolicyFileError as exc:
            raise CommandError(str(exc)) from None
        now = timezone.now()
        for path, spec in specs:
            result = load_seed(spec, path.rsplit("/", 1)[-1], new_version=new_version, now=now)
            if result.outcome == SeedOutcome.LOADED:
                self.stdout.write(f"{spec.slug}: loaded as version {result.version.number} (published)")
            elif result.outcome == SeedOutcome.UNCHANGED:
                self.stdout.write(f"{spec.slug}: unchanged, version {result.version.number}")
            else:
                self.stdout.write(self.style.WARNING(f"{spec.slug}: skipped: {result.reason}"))
