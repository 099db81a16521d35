"""The record of a dispute as it stands, drawn once per change of what it shows, then served from the database.

Drawing a record (WeasyPrint) takes about 60 ms a page; reading what it shows takes a few small queries. So a
download reads the content, digests it (everything shown but the moment of production, and the layout it is drawn
with), and hands out the PDF kept for that digest; only when the digest is new is the record drawn, and kept in
place of the one before. Any change the record would show (an entry, a stage, an outcome, a renamed worker or
agency, a new template) gives a new digest, so nobody is handed a record that is out of date, and 20 downloads
of an unchanged dispute cost one drawing. The PDF says when it was drawn: the record as it stood then, which is
how it still stands.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.template.loader import get_template

from escalation.records import render
from escalation.records.content import RecordContent, build_record
from escalation.records.models import RenderedRecord

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


@lru_cache(maxsize=1)
def layout_key() -> str:
    """A digest of the record templates and their stylesheet, read once per process (a deploy starts new ones)."""
    digest = hashlib.sha256()
    folders = [Path(get_template(render.template_for("base")).origin.name).parent]
    stylesheet = finders.find("records/print.css")
    if stylesheet:
        folders.append(Path(stylesheet).parent)
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def content_key(content: RecordContent) -> str:
    """The digest of what a record shows, leaving out the moment it was produced."""
    shown = dataclasses.replace(content, produced_at=None)
    return hashlib.sha256(f"{layout_key()}\n{shown!r}".encode()).hexdigest()


def current_pdf(dispute: Dispute, *, form: str, now: datetime.datetime) -> bytes:
    """The PDF of `dispute`'s record as it stands: the one kept if nothing it shows has changed, else drawn now."""
    content = build_record(dispute, form=form, now=now)
    key = content_key(content)
    kept = (
        RenderedRecord.objects.filter(dispute=dispute, form=form, content_key=key).values_list("pdf", flat=True).first()
    )
    if kept is not None:
        return bytes(kept)
    pdf = render.pdf_within_time_limit(render.html_for(content))
    try:
        with transaction.atomic():
            RenderedRecord.objects.update_or_create(
                dispute=dispute, form=form, defaults={"content_key": key, "pdf": pdf, "drawn_at": now}
            )
    except IntegrityError:
        pass  # another download drew the same record at the same moment and kept it first
    return pdf
