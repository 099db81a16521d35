"""The register's next-deadline column (issue 15, finding 8): each open dispute's next running deadline, in the
unit its rule counts in, and a reference that does not wrap; on a phone the rows are cards (tests/browser)."""

import time_machine
from django.urls import reverse

from tests.conftest import london
from tests.web.conftest import page_text

RAISED = london(2026, 3, 2, 10, 0)


def rows_of(html: str) -> str:
    return html.split('id="register-rows"')[1].split("</table>")[0]


def row_of(html: str, reference: str) -> str:
    return rows_of(html).split(f"{reference}</a>")[1].split("</tr>")[0]


def test_each_row_says_its_next_deadline_in_working_days_or_hours(bcssp, client_for):
    ordinary = bcssp.raise_dispute(now=RAISED)
    urgent = bcssp.raise_dispute(now=RAISED, immediate_harm=True)
    closed = bcssp.raise_dispute(now=RAISED)
    bcssp.close(closed, london(2026, 3, 2, 12, 0))
    with time_machine.travel(london(2026, 3, 3, 9, 0), tick=False):
        html = page_text(client_for(bcssp.business_manager).get(reverse("register")))
    assert ">Next deadline<" in rows_of(html)
    assert "1 working day left" in row_of(html, ordinary.reference)
    assert "5pm on Wednesday 4 March 2026" in row_of(html, ordinary.reference)
    assert "1 hour left" in row_of(html, urgent.reference), "the 24-hour clock, in hours"
    assert "None running" in row_of(html, closed.reference)


def test_references_do_not_wrap_and_rows_become_cards_on_a_phone(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=RAISED)
    html = page_text(client_for(bcssp.business_manager).get(reverse("register")))
    assert 'class="govuk-table govuk-!-font-size-16 app-table--cards"' in html
    assert f'class="govuk-link app-reference" href="{reverse("dispute", args=[dispute.reference])}"' in html
    assert 'data-label="Next deadline"' in html
