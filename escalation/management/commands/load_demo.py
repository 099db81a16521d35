from django.core.management.base import BaseCommand

from escalation.demo import demo_logins, load_demo


class Command(BaseCommand):
    help = "Load the demo partnerships, people and disputes (once). For local use only."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(f"Demo data ready: {result['disputes']} new disputes, {result['users']} users.")
        for username, password, who in demo_logins():
            self.stdout.write(f"  {username:<16} {password}  {who}")
