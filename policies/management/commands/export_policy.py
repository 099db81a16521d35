from django.core.management.base import BaseCommand, CommandError

from policies.models import Policy
from policies.services import export_policy


class Command(BaseCommand):
    help = "Print a policy's current (published) version as YAML, or any version, a draft too, by number."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--policy-version", type=int, dest="version_number")

    def handle(self, *args, slug, version_number=None, **options):
        policy = Policy.objects.filter(slug=slug).first()
        if policy is None:
            raise CommandError(f"no policy with slug {slug!r}")
        versions = policy.versions.all()
        version = versions.filter(number=version_number).first() if version_number else policy.current_version
        if version is None:
            raise CommandError(f"policy {slug!r} has no version {version_number}")
        self.stdout.write(export_policy(version), ending="")
