from django.core.management.base import BaseCommand, CommandError

from escalation.checks import is_production
from escalation.demo import load_demo

PRODUCTION_FLAG = "--i-know-this-is-production"


class Command(BaseCommand):
    help = "Load the demo partnerships, people and disputes (once). For local use only."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            PRODUCTION_FLAG,
            action="store_true",
            dest="production_confirmed",
            help="Load it even with production settings (it creates accounts whose password is published).",
        )

    def handle(self, *args, **options):
        if is_production() and not options["production_confirmed"]:
            raise CommandError(
                "These are production settings: the demo creates made-up partnerships, people and disputes, "
                "and sign-ins whose password is published in the README. Nothing was loaded. If you "
                f"really mean to, run it again with {PRODUCTION_FLAG}."
            )
        result = load_demo()
        self.stdout.write(
            f"Demo data ready: {result['disputes']} new disputes, {result['users']} users. "
            "The server lists the demo sign-ins when it starts."
        )
