"""How long does a written record take to render? Not a test: it prints figures.

    make bench-records                 (BENCH_RENDERS=10 by default)

Renders the Record of Escalation of a dispute with 5 stages and 50 entries (template and WeasyPrint, the
work done on every download and snapshot), and a one-line document on the same stylesheet and fetcher, in
the same run, and prints the ratio of the two. The one-line document is WeasyPrint's fixed cost on this
machine, so the ratio says what the record's own content costs, whatever the machine's speed. The record's
content is built in memory: no database is needed, and its few queries are not what is being measured.
"""

import datetime
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.test")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

# WeasyPrint reports each step at INFO, from the moment it is imported; only its errors matter here.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

from pypdf import PdfReader  # noqa: E402

from escalation.records.content import Attempt, FinalOutcome, RecordContent, StageRecord, StageStatus, Worker  # noqa: E402
from escalation.records.render import html_for, html_to_pdf  # noqa: E402
from policies.calendar import LONDON  # noqa: E402

RENDERS = int(os.environ.get("BENCH_RENDERS", "10"))
STAGES = 5
ENTRIES = 50
ONE_LINE = (
    '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
    '<link rel="stylesheet" href="records/print.css"></head><body><p>One line.</p></body></html>'
)
STAGE_NAMES = [
    "Practitioner to practitioner",
    "Manager to manager",
    "Senior manager to senior manager",
    "Divisional director to divisional director",
    "Referred via the partnership to the Chair of the Executive Group",
]
TEXT = (
    "Spoke with the allocated social worker about the decision to close the referral; agreed to share the "
    "school's chronology and to talk again after the strategy discussion. Notes kept on both agencies' systems."
)


def record_content() -> RecordContent:
    start = datetime.datetime(2026, 3, 2, 10, tzinfo=LONDON)
    stages = []
    per_stage = ENTRIES // STAGES
    for index in range(STAGES):
        number = index + 1
        entered = start + datetime.timedelta(days=3 * index)
        attempts = [
            Attempt(
                occurred_on=(entered + datetime.timedelta(hours=4 * n)).date(),
                kind=["Discussion", "Action", "Decision"][n % 3],
                text=f"{TEXT} (stage {number}, entry {n + 1})",
                author=["Alex Morgan", "Sam Patel"][n % 2],
                agency=["Riverside Primary School", "Children's Services"][n % 2],
            )
            for n in range(per_stage)
        ]
        last = number == STAGES
        stages.append(
            StageRecord(
                number=number,
                name=STAGE_NAMES[index],
                raising_side="Lead of the raising agency at this level",
                other_side="Their counterpart in the other agency",
                entered_at=entered,
                attempts=attempts,
                status=StageStatus.RESOLVED if last else StageStatus.REFERRED,
                referred_at=None if last else entered + datetime.timedelta(days=3),
                referred_to=None if last else number + 1,
                referred_to_name="" if last else STAGE_NAMES[index + 1],
                referral_reason="" if last else "Still no assessment; the child's situation has not changed.",
                referral_approved_by="" if last else "Jo Reid",
                agreed_outcome="" if not last else "An assessment starts on Monday.",
            )
        )
    return RecordContent(
        reference="BENCH-2026-0001",
        form="record_of_escalation",
        form_title="Professional Differences Record of Escalation",
        partnership="Bench Safeguarding Children Partnership",
        policy="Bench escalation policy",
        policy_version="V1",
        produced_at=start + datetime.timedelta(days=20),
        raised_at=start,
        raised_by="Alex Morgan",
        raising_agency="Riverside Primary School",
        other_agency="Children's Services",
        subject_kind="Child",
        subject_name="Child A",
        date_of_birth=datetime.date(2015, 3, 1),
        address="1 High Street\nTown AB1 2CD",
        category="Levels of need or referral decisions",
        description=TEXT,
        attempts_so_far=TEXT,
        immediate_harm=False,
        state="Resolved",
        stage_number=STAGES,
        withdrawn=False,
        workers=[
            Worker("Alex Morgan", "Class teacher", "Riverside Primary School", "alex@example.org"),
            Worker("Sam Patel", "Social worker", "Children's Services", "sam@example.org"),
            Worker("Jo Reid", "Head teacher", "Riverside Primary School", "jo@example.org"),
        ],
        stages=stages,
        outcome=FinalOutcome(
            decided_on=(start + datetime.timedelta(days=16)).date(),
            stage_number=STAGES,
            convened="panel",
            convened_label="Resolution panel",
            agreed_outcome="An assessment starts on Monday.",
            outstanding_actions="Children's Services to confirm the allocated worker by Friday.",
            recorded_by="Chair of the Executive Group",
        ),
    )


def timed(render) -> tuple[list[float], bytes]:
    render()  # warm up: fonts, stylesheet parsing caches
    times, pdf = [], b""
    for _ in range(RENDERS):
        began = time.perf_counter()
        pdf = render()
        times.append(time.perf_counter() - began)
    return times, pdf


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    content = record_content()
    record_times, record_pdf = timed(lambda: html_to_pdf(html_for(content)))
    line_times, line_pdf = timed(lambda: html_to_pdf(ONE_LINE))
    record_median, line_median = statistics.median(record_times), statistics.median(line_times)
    rows = [
        (f"record, {STAGES} stages and {ENTRIES} entries", record_times, record_pdf),
        ("one-line document", line_times, line_pdf),
    ]
    print(f"Record rendering: {RENDERS} renders each after one warm-up")
    print(f"  {'document':<36} {'median':>9} {'fastest':>9} {'pages':>6} {'bytes':>9}")
    for label, times, pdf in rows:
        median, fastest = statistics.median(times) * 1000, min(times) * 1000
        print(f"  {label:<36} {median:7.1f}ms {fastest:7.1f}ms {pages(pdf):>6} {len(pdf):>9,}")
    print(f"  ratio, record / one line (medians): {record_median / line_median:.1f}x")


if __name__ == "__main__":
    main()
