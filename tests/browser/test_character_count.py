"""GOV.UK's character count on long text, in real Chromium: it counts as the person types, shows text over the limit
as over, and nothing is ever cut (issue 12, F4; issue 15: 10,050 pasted characters became 10,000 silently)."""

import pytest

from tests.browser.conftest import Journey
from tests.conftest import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def count_world(transactional_db):
    world = build_world("bcssp", "COUNT")
    return world, world.raise_dispute()


def test_pasted_text_over_the_limit_is_counted_kept_and_refused_with_a_message(journey, count_world):
    world, dispute = count_world
    walk: Journey = journey("character-count")
    teacher = walk.person("teacher", world.teacher)
    teacher.sign_in()
    teacher.open(f"/disputes/{dispute.reference}/record/", "add-a-record")
    page = teacher.page

    # GOV.UK Frontend's script shows the count in a status line of its own once it has started.
    message = page.locator(".govuk-character-count__status")
    assert "You have 10,000 characters remaining" in message.inner_text(), "the count is running"
    typed = "The duty team was rung again. " * 335  # 10,050 characters
    assert len(typed) == 10_050
    page.locator('[name="text"]').focus()
    page.keyboard.insert_text(typed)  # as a paste does: the browser would cut it here if given a maxlength
    assert len(page.input_value('[name="text"]')) == 10_050, "nothing cut"
    page.wait_for_function("() => document.querySelector('.govuk-character-count__status').innerText.includes('many')")
    assert "You have 50 characters too many" in message.inner_text()
    walk.record(teacher, "over-the-limit")

    teacher.choose("kind", "discussion")
    page.fill('[name="occurred_on_0"]', "2")
    page.fill('[name="occurred_on_1"]', "3")
    page.fill('[name="occurred_on_2"]', "2026")
    teacher.press("Add the record", "refused-with-what-was-typed")
    assert "What happened must be 10,000 characters or fewer" in page.locator(".govuk-error-summary").inner_text()
    assert page.input_value('[name="text"]') == typed, "every character comes back"
    walk.assert_clean()
