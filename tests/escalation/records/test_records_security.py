"""The record is safe with hostile text and reaches only those who may see the dispute.

WeasyPrint's default fetcher reads file:// and any URL (WeasyPrint #2098, #1288) and <link rel="attachment">
embeds what it fetched (GHSA-35jj-wx47-4w8r). Here text typed into a dispute is escaped, the fetcher serves
only the app's static files and data: URIs, and the PDF is checked for embedded files.
"""

import datetime
import http.server
import io
import re
import subprocess
import threading
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.record_files import RecordNotFound, download_record
from escalation.records.fetcher import BASE_URL, RefusedURL, StaticFilesOnlyFetcher, static_file_for
from escalation.records.models import RecordSnapshot
from escalation.records.render import RecordRenderingError, html_to_pdf, render_html, render_pdf
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.escalation.records.test_records import embedded_files, page_texts, pdf_text, save_page_images

PASSWD = Path("/etc/passwd")
A4_WIDTH_PT = 595.28
RIGHT_MARGIN_PT = 16 / 25.4 * 72


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        CountingHandler.requests.append(self.path)
        self.send_response(302)
        self.send_header("Location", "file:///etc/passwd")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A local web server that records every request; a record must never reach it."""
    CountingHandler.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the fetcher for."""
    urls: list[str] = []
    original = StaticFilesOnlyFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticFilesOnlyFetcher, "fetch", spy)
    return urls


def hostile_text(server: str) -> str:
    return "\n".join(
        [
            "<script>alert('x')</script>",
            '<img src="file:///etc/passwd">',
            '<link rel="attachment" href="file:///etc/passwd">',
            f'<link rel="stylesheet" href="{server}/evil.css">',
            f'<img src="{server}/pixel.png">',
            f"<style>@import url('{server}/import.css'); body {{ background: url({server}/bg.png) }}</style>",
            f'<a rel="attachment" href="{server}/a">link</a> {server}/plain-url',
            '<base href="file:///etc/">',
            "{{ record.reference }} {% now 'Y' %}",
        ]
    )


# The fetcher itself ---------------------------------------------------------------------------------------


def test_the_fetcher_serves_the_record_stylesheet_and_data_uris():
    fetcher = StaticFilesOnlyFetcher()
    response = fetcher(f"{BASE_URL}records/print.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    assert fetcher("data:text/plain;base64,aGVsbG8=").read() == b"hello"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/records/print.css",
        "ftp://example.org/x.css",
        "javascript:alert(1)",
        "about:blank",
        f"{BASE_URL}../../../etc/passwd",
        f"{BASE_URL}records/../../manage.py",
        f"{BASE_URL}%2e%2e/%2e%2e/etc/passwd",
        f"{BASE_URL}records/print.css?x=1",
        f"{BASE_URL}records/print.css#top",
        f"{BASE_URL}records//print.css",
        f"{BASE_URL}records/nope.css",
        f"{BASE_URL}govuk/govuk-frontend.min.js",
        "https://app-static.invalid/etc/passwd",
        "https://user@app-static.invalid/static/records/print.css",
        "https://app-static.invalid:443/static/records/print.css",
    ],
)
def test_the_fetcher_refuses_everything_else(url):
    with pytest.raises((RefusedURL, ValueError)):
        StaticFilesOnlyFetcher()(url)


def test_a_symlink_out_of_the_static_folder_is_refused(settings, tmp_path):
    static = tmp_path / "static"
    (static / "records").mkdir(parents=True)
    (static / "records" / "leak.css").symlink_to(PASSWD)
    settings.STATICFILES_DIRS = [static]
    with pytest.raises(RefusedURL):
        static_file_for(f"{BASE_URL}records/leak.css")


def test_raw_hostile_html_fetches_nothing_and_contacts_nobody(listener, fetched):
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
        <link rel="stylesheet" href="{listener}/evil.css">
        <link rel="stylesheet" href="file:///etc/passwd">
        <style>@import url("{listener}/import.css"); p {{ background: url("{listener}/bg.png") }}</style>
        </head><body><p>Only text</p><img src="file:///etc/passwd"><img src="{listener}/pixel.png">
        <object data="{listener}/o"></object><embed src="{listener}/e"><iframe src="{listener}/f"></iframe>
        </body></html>"""
    pdf = html_to_pdf(html)
    assert CountingHandler.requests == []
    assert "root:" not in pdf_text(pdf)
    assert embedded_files(pdf) == {"attachments": {}, "tree": False, "file_annotations": False}
    assert any(url.startswith("file:") for url in fetched), "the fetcher was asked, and refused"


@pytest.mark.parametrize(
    "tag",
    ['<link rel="attachment" href="file:///etc/passwd">', '<a rel="attachment" href="file:///etc/passwd">x</a>'],
)
def test_raw_html_asking_for_an_attachment_is_refused_outright(tag):
    with pytest.raises(RecordRenderingError):
        html_to_pdf(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{tag}</body></html>')


# Hostile text typed into a dispute ------------------------------------------------------------------------


def hostile_dispute(world, server: str):
    text = hostile_text(server)
    dispute = world.raise_dispute(
        now=london(2026, 3, 2, 10),
        subject={"kind": "child", "name": "<b>Bold</b> O'Brien & Sons", "address": text},
        description=text,
        attempts_so_far=text,
    )
    services.add_record_entry(
        dispute=dispute,
        author=world.social_worker,
        kind="discussion",
        text=text,
        occurred_on=datetime.date(2026, 3, 2),
        now=london(2026, 3, 2, 11),
    )
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason=text, now=london(2026, 3, 3, 9))
    dispute.refresh_from_db()
    if dispute.state == "awaiting_approval":
        services.approve_escalation(dispute=dispute, approver=world.head, now=london(2026, 3, 3, 10))
    dispute.refresh_from_db()
    return dispute


@pytest.mark.parametrize("slug", ["bcssp", "tscp", "chscp"])
def test_hostile_text_is_printed_as_text_and_fetches_nothing(db, slug, listener, fetched):
    world = build_world(slug, "HOS")
    dispute = hostile_dispute(world, listener)

    html = render_html(dispute, form="general", now=london(2026, 3, 4, 9))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="file' not in html and '<link rel="attachment"' not in html
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html

    fetched.clear()
    # Drawn in this process (render_pdf draws in a child process, where the spy on the fetcher cannot see).
    pdf = html_to_pdf(render_html(dispute, form=dispute.policy_version.record_form, now=london(2026, 3, 4, 9)))
    assert fetched == [f"{BASE_URL}records/print.css"], "the stylesheet is the only thing a record loads"
    assert CountingHandler.requests == []
    assert embedded_files(pdf) == {"attachments": {}, "tree": False, "file_annotations": False}
    text = pdf_text(pdf)
    assert "<script>alert('x')</script>" in text
    assert '<img src="file:///etc/passwd">' in text
    assert '<link rel="attachment" href="file:///etc/passwd">' in text
    assert "{{ record.reference }} {% now 'Y' %}" in text, "typed text is not a template"
    assert "<b>Bold</b> O'Brien & Sons" in text
    assert "root:x:0:0" not in text
    save_page_images(pdf, f"hostile-text-{slug}")


def test_the_stored_snapshot_of_hostile_text_is_just_as_clean(bcssp, listener, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dispute = hostile_dispute(bcssp, listener)
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    assert snapshot.status == RecordSnapshot.Status.READY
    pdf = bytes(snapshot.pdf)
    assert embedded_files(pdf) == {"attachments": {}, "tree": False, "file_annotations": False}
    assert "<script>alert('x')</script>" in pdf_text(pdf)
    assert CountingHandler.requests == []


def right_edges(pdf_path: Path) -> list[float]:
    """The right edge, in points, of every word pdftotext finds."""
    result = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, check=True)
    return [float(x) for x in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"', result.stdout.decode())]


def body_text(pdf: bytes) -> str:
    """The text inside the page margins only (no running header or footer), so words split over pages join up."""
    top, bottom = 24 / 25.4 * 72, 22 / 25.4 * 72
    crop = ["-x", "0", "-y", str(int(top)), "-W", "596", "-H", str(int(842 - top - bottom))]
    result = subprocess.run(["pdftotext", *crop, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def test_very_long_words_wrap_inside_the_page(bcssp, tmp_path):
    long_word = "Supercalifragilistic" * 150  # 3,000 characters, no space
    url = "https://example.org/" + "a/" * 400
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10), description=f"{long_word} then {url}")
    services.add_record_entry(
        dispute=dispute,
        author=bcssp.social_worker,
        kind="discussion",
        text=long_word,
        occurred_on=datetime.date(2026, 3, 2),
        now=london(2026, 3, 2, 11),
    )
    pdf = render_pdf(dispute, now=london(2026, 3, 3, 9))
    pages = page_texts(pdf)
    # About 160 wrapped lines: a handful of pages. A word that failed to wrap would run off the page; one
    # broken a character per line would take dozens.
    assert 2 <= len(pages) <= 6, f"{len(pages)} pages for two long words"
    # The attempts table's heading repeats at the top of each page its row runs on to.
    squeezed = "".join(body_text(pdf).split()).replace("DateTypeRecordedbyWhathappened", "")
    assert squeezed.count(long_word) == 2, "every character of the long word is printed, twice"
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    edges = right_edges(path)
    assert len(edges) > 100
    furthest = max(edges)
    assert furthest <= A4_WIDTH_PT - RIGHT_MARGIN_PT + 1, f"text runs to {furthest:.1f}pt, past the right margin"
    save_page_images(pdf, "long-words")


def test_right_to_left_and_emoji_text_come_through(tscp):
    hebrew = "הילד לא נבדק"
    arabic = "لم يتم تقييم الطفل"
    emoji = "Worried 😟 about the decision 👍🏽 ✅"
    dispute = tscp.raise_dispute(
        now=london(2026, 3, 2, 10),
        subject={"kind": "child", "name": f"Child {hebrew}", "address": arabic},
        description=f"{hebrew} — {arabic} — {emoji}",
    )
    services.add_record_entry(
        dispute=dispute,
        author=tscp.social_worker,
        kind="discussion",
        text=f"Mixed: the parent said «{arabic}» and then {hebrew}.",
        occurred_on=datetime.date(2026, 3, 2),
        now=london(2026, 3, 2, 11),
    )
    pdf = render_pdf(dispute, now=london(2026, 3, 3, 9))
    text = pdf_text(pdf)
    for word in hebrew.split() + ["يتم", "الطفل", "Worried", "decision", "😟", "✅"]:
        assert word in text or word[::-1] in text, f"{word!r} missing from the PDF text"
    assert len(page_texts(pdf)) <= 2
    save_page_images(pdf, "rtl-emoji")


# Who may download ------------------------------------------------------------------------------------------


@pytest.fixture
def resolved(bcssp, django_capture_on_commit_callbacks):
    """A dispute with a stored snapshot, drawn as it would be once the approval commits."""
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
    assert RecordSnapshot.objects.get(dispute=dispute).status == RecordSnapshot.Status.READY
    return dispute


def record_url(dispute) -> str:
    return reverse("dispute-record-pdf", args=[dispute.reference])


@pytest.mark.parametrize("who", ["outsider", "other_partnership"])
def test_outsiders_get_404_and_nothing_is_audited(client, bcssp, resolved, who):
    user = bcssp.outsider if who == "outsider" else build_world("tscp", "ELSE").business_manager
    login(client, user)
    snapshot = RecordSnapshot.objects.get(dispute=resolved)
    assert client.get(record_url(resolved)).status_code == 404
    assert client.get(record_url(resolved), {"snapshot": snapshot.pk}).status_code == 404
    assert not AuditEvent.objects.filter(action="record.downloaded").exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, resolved):
    response = client.get(record_url(resolved))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_a_snapshot_of_another_dispute_is_not_found(client, bcssp, resolved):
    other = bcssp.raise_dispute(now=london(2026, 3, 4, 10))
    snapshot = RecordSnapshot.objects.get(dispute=resolved)
    login(client, bcssp.teacher)
    assert client.get(record_url(other), {"snapshot": snapshot.pk}).status_code == 404
    for bad in ("abc", "-1", "1.0", "", "9999999", "9" * 40, "١"):
        assert client.get(record_url(resolved), {"snapshot": bad}).status_code == 404, bad
    assert not AuditEvent.objects.filter(action="record.downloaded").exists()


def test_only_get_is_allowed(client, bcssp, resolved):
    login(client, bcssp.teacher)
    assert client.post(record_url(resolved)).status_code == 405


def test_the_pdf_itself_carries_no_personal_data_in_its_metadata_or_file_name(client, bcssp):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10), subject={"kind": "child", "name": "Zebedee Quartermaine"})
    login(client, bcssp.teacher)
    response = client.get(record_url(dispute))
    assert "Zebedee" not in response["Content-Disposition"]
    metadata = PdfReader(io.BytesIO(response.content)).metadata or {}
    assert all("Zebedee" not in str(value) for value in metadata.values())
    assert "Zebedee Quartermaine" in pdf_text(response.content)


def test_the_download_service_itself_refuses_someone_who_may_not_see_the_dispute(bcssp, resolved):
    """A second lock behind the view's access rule: a caller that forgot the selector still gets nothing."""
    with pytest.raises(RecordNotFound):
        download_record(dispute=resolved, user=bcssp.outsider)
    assert download_record(dispute=resolved, user=bcssp.social_worker).pdf.startswith(b"%PDF")
    assert list(AuditEvent.objects.filter(action="record.downloaded").values_list("actor", flat=True)) == [
        bcssp.social_worker.pk
    ]
