"""Turning a dispute into its written record: HTML from a template, then a PDF from WeasyPrint.

The policy's record form names the template, templates/records/<form>.html; a policy that names none gets the
general record.
"""

from __future__ import annotations

import datetime
import multiprocessing
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from escalation.records.content import AsAt, RecordContent, build_record
from escalation.records.fetcher import BASE_URL, StaticFilesOnlyFetcher
from policies.calendar import LONDON
from policies.defaults import RECORD_FORM
from policies.models import PolicyVersion

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


class RecordRenderingError(Exception):
    """The PDF could not be produced, or came out with something a record must never hold."""


class RecordTooLong(RecordRenderingError):
    """Drawing the PDF took longer than the time limit: it was stopped, and nothing was kept."""


#: The longest a record may take to draw, in seconds: below gunicorn's 30-second worker timeout, so a record too
#: big to draw in time is refused with a message instead of the worker being killed mid-request.
DEFAULT_RENDER_SECONDS = 20

TOO_LONG = (
    "The record of {reference} is too long to produce as a PDF in time. Its details are all on the dispute's page; "
    "ask the partnership's business manager for a copy."
)


def form_for(version: PolicyVersion) -> str:
    """The form a policy version's records use: the record form it names (the general record by default)."""
    return version.record_form


def template_for(form: str) -> str:
    return f"records/{form}.html"


def html_for(content: RecordContent) -> str:
    """The record's HTML on its form's template; dates and times shown in Europe/London."""
    with timezone.override(LONDON):
        # A template removed since the version was loaded falls back to the general record.
        templates = [template_for(content.form), template_for(RECORD_FORM)]
        return render_to_string(templates, {"record": content})


def render_html(dispute: Dispute, *, form: str, now: datetime.datetime, as_at: AsAt | None = None) -> str:
    """The record's HTML, produced at `now`; with `as_at`, of the dispute as it was then (see build_record)."""
    return html_for(build_record(dispute, form=form, now=now, as_at=as_at))


def html_to_pdf(html: str) -> bytes:
    """The PDF of a record's HTML, loading nothing but the app's static files.

    Checked before writing: no file attachments (`<link rel="attachment">` embeds whatever it fetched).
    Tagged, so that screen readers can follow the headings and tables (it costs no measurable time).
    """
    options = {"presentational_hints": False, "pdf_tags": True}
    source = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnlyFetcher())
    document = source.render(**options)
    attached = [link for page in document.pages for link in page.links if link[0] == "attachment"]
    if document.metadata.attachments or attached:
        raise RecordRenderingError("the record's HTML asked for a file attachment")
    return document.write_pdf(**options)


def render_seconds() -> float:
    return float(getattr(settings, "RECORD_RENDER_SECONDS", DEFAULT_RENDER_SECONDS))


def _draw_in_child(html: str, sender) -> None:
    """Runs in the forked child: draw, send back the PDF or the reason it failed, and touch nothing else."""
    try:
        sender.send(("pdf", html_to_pdf(html)))
    except Exception as error:  # noqa: BLE001 - whatever WeasyPrint raised goes back to the parent as a failure
        sender.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        sender.close()


def pdf_within_time_limit(html: str, *, seconds: float | None = None) -> bytes:
    """`html_to_pdf` in a child process that is stopped after `seconds` (RECORD_RENDER_SECONDS): RecordTooLong.

    A signal alarm cannot do this (it works only in a main thread, and the embedded runner and Celery's threads
    are not), and a thread cannot be stopped, so the drawing runs in a forked copy of this process, which shares
    the loaded templates and fonts and never touches the database; the parent waits on a pipe and kills the child
    when the time is up. Whatever the child was doing is lost with it: nothing is half-written.
    """
    limit = render_seconds() if seconds is None else seconds
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_draw_in_child, args=(html, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limit):
            raise RecordTooLong(f"drawing the record took longer than {limit:g} seconds")
        try:
            kind, value = receiver.recv()
        except EOFError as ended:
            raise RecordRenderingError("the process drawing the record ended without a PDF") from ended
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind != "pdf":
        raise RecordRenderingError(value)
    return value


def render_pdf(dispute: Dispute, *, form: str | None = None, now: datetime.datetime | None = None) -> bytes:
    """The record of `dispute` as it stands now, on its policy's form unless `form` is given, within the time limit."""
    now = now or timezone.now()
    return pdf_within_time_limit(render_html(dispute, form=form or form_for(dispute.policy_version), now=now))


def filename_for(reference: str, form: str, stage_number: int | None = None) -> str:
    """A download name that carries the reference only, never the subject's name."""
    stage = f"-stage-{stage_number}" if stage_number is not None else ""
    return f"{reference}-{form.replace('_', '-')}{stage}.pdf"
