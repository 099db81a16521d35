"""`manage.py render_record REFERENCE -o FILE.pdf`: a dispute's written record from the command line.

The same record the dispute page offers; with --snapshot, a record stored when a form requirement was met.
Audited as a system action. The file is created readable by its owner only: it holds a child's details.
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.disputes.record_files import RecordNotFound, export_record
from escalation.records.render import RecordRenderingError


class Command(BaseCommand):
    help = "Write a dispute's written record (PDF) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="The dispute reference, e.g. ABC-2026-0001.")
        parser.add_argument("-o", "--output", required=True, type=Path, help="Where to write the PDF.")
        parser.add_argument("--snapshot", type=int, help="The id of a stored snapshot to write instead.")

    def handle(self, *args, reference: str, output: Path, snapshot: int | None, **options) -> None:
        if output.is_dir():
            raise CommandError(f"{output} is a folder: give a file name, e.g. {output / (reference + '.pdf')}")
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")
        try:
            record = export_record(reference=reference, snapshot_id=snapshot)
        except RecordNotFound as missing:
            raise CommandError(str(missing)) from missing
        except RecordRenderingError as failed:
            raise CommandError(f"The record of {reference} could not be produced: {failed}") from failed
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(record.pdf)
        self.stdout.write(f"Wrote {record.filename} ({len(record.pdf):,} bytes) to {output}")
