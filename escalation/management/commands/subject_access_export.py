import datetime
import json
import os

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Partnership
from escalation.privacy.subject_access import SubjectAccessError, export_subject


class Command(BaseCommand):
    help = (
        "Write everything held about one subject (a child or adult) to a JSON file, for a subject access "
        "request. The file holds special-category data: it is created readable by its owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partnership", required=True, help="The partnership's slug.")
        parser.add_argument("--name", required=True, help="The subject's name as recorded.")
        parser.add_argument("--date-of-birth", help="YYYY-MM-DD; needed when several people share the name.")
        parser.add_argument("-o", "--output", required=True, help="The JSON file to create (must not exist).")

    def handle(self, *args, partnership: str, name: str, date_of_birth: str | None, output: str, **options):
        found = Partnership.objects.filter(slug=partnership).first()
        if found is None:
            raise CommandError(f"--partnership: no partnership {partnership!r}")
        born = None
        if date_of_birth:
            try:
                born = datetime.date.fromisoformat(date_of_birth)
            except ValueError:
                raise CommandError(f"--date-of-birth: {date_of_birth!r} is not a date like 2015-03-01") from None
        if os.path.exists(output):
            raise CommandError(f"{output} already exists; choose a new file name so nothing is overwritten.")
        try:
            export = export_subject(partnership=found, name=name, date_of_birth=born)
        except SubjectAccessError as exc:
            raise CommandError(str(exc)) from None
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(export, handle, indent=2, ensure_ascii=False)
        self.stdout.write(
            f"Wrote {len(export['subjects'])} subject record(s) and {len(export['disputes'])} dispute(s) to {output}."
        )
