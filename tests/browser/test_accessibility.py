"""axe-core (WCAG 2.2 AA) on the pages the journeys do not reach, and proof that the checks can fail.

The journeys check every page they visit; this adds error states, the policy pages, notifications,
the account page, a dispute's other actions, the themes charts, the audit trail and the 404 page.
"""

import pytest
from django.utils import timezone

from escalation.disputes import services
from tests.browser.conftest import Journey
from tests.conftest import build_world

pytestmark = pytest.mark.browser

FAULTS_JS = """
() => {
  const main = document.querySelector('main');
  const image = document.createElement('img');
  image.src = '/static/no-such-image.png';
  const input = document.createElement('input');
  input.type = 'text';
  input.name = 'unlabelled';
  const link = document.createElement('a');
  link.href = '#nowhere';
  link.textContent = 'A link with no focus style';
  link.style.outline = 'none';
  main.prepend(link, input, image);
  main.insertAdjacentHTML('beforeend', '<p style="color: red">An inline style the policy refuses</p>');
  setTimeout(() => { throw new Error('a script failed'); });
}
"""


def test_the_checks_report_what_they_are_there_to_find(journey):
    walk: Journey = journey("checks-self-test")
    visitor = walk.person("visitor", None, keyboard=True)
    visitor.open("/sign-in/", "sign-in")
    assert not walk.report(), "the sign-in page itself must be clean for this test to mean anything"

    visitor.page.evaluate(FAULTS_JS)
    visitor.tab_to(lambda info: info["text"] == "A link with no focus style", "the injected link")
    visitor.check("sign-in-with-faults")

    rules = {line.split(": ")[1].split(" ")[0] for line in walk.violations}
    assert {"image-alt", "label"} <= rules, walk.violations
    assert any("A link with no focus style" in problem for problem in walk.focus_problems), walk.focus_problems
    assert any("a script failed" in error for error in walk.script_errors), walk.script_errors
    assert any("Content Security Policy" in error for error in walk.script_errors), walk.script_errors
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        walk.assert_clean()


def test_pages_outside_the_journeys_have_no_violations(journey):
    world = build_world("bcssp", "MORE")
    now = timezone.now()
    dispute = world.raise_dispute(now=now)
    services.add_record_entry(
        dispute=dispute, author=world.social_worker, kind="discussion", text="Called back.", occurred_on=now.date()
    )
    world.raise_dispute(now=now, category="communication", other_agency=world.bystander)
    other = world.raise_dispute(now=now, category="need_for_action")
    services.propose_escalation(dispute=other, proposed_by=world.teacher, reason="No reply.")
    services.approve_escalation(dispute=other, approver=world.head)
    away = build_world("tscp", "AWAY").raise_dispute(now=now)
    walk: Journey = journey("more-pages")

    teacher = walk.person("teacher", world.teacher)
    teacher.open("/", "sign-in")
    teacher.page.fill('[name="username"]', world.teacher.get_username())
    teacher.page.fill('[name="password"]', "not the password")
    teacher.press("Sign in", "sign-in-wrong-password")
    assert teacher.page.title().startswith("Error: ")
    teacher.sign_in()
    teacher.follow("Notifications", "notifications")
    teacher.follow("Policies", "policies")
    teacher.open("/policies/bcssp/", "policy")
    teacher.open("/policies/bcssp/preview/", "policy-preview")
    teacher.open("/policies/bcssp/preview/?raised_on_0=6&raised_on_1=3&raised_on_2=2026", "policy-preview-dates")
    teacher.open("/account/", "account")
    teacher.open(f"/disputes/{dispute.reference}/", "dispute-in-discussion")
    teacher.follow("Record the resolution", "resolve")
    teacher.press("Record the resolution", "resolve-error")
    teacher.open(f"/disputes/{dispute.reference}/withdraw/", "withdraw")
    teacher.open(f"/disputes/{dispute.reference}/escalate/", "propose-escalation")
    teacher.press("Propose escalation", "propose-escalation-error")
    teacher.open(f"/disputes/{away.reference}/", "not-found", status=404)

    world.business_manager.totpdevice_set.create(name="Phone", confirmed=True)
    business_manager = walk.person("business-manager", world.business_manager)
    business_manager.sign_in()
    business_manager.open("/register/?state=in_discussion&sort=reference", "register-filtered")
    business_manager.open("/register/?raised_from_0=31&raised_from_1=2&raised_from_2=2026", "register-date-error")
    business_manager.open("/themes/", "themes")
    assert business_manager.page.locator("main svg").count() > 0, "the themes page should draw its charts"
    business_manager.open(f"/disputes/{dispute.reference}/", "dispute-as-business-manager")
    business_manager.open(f"/disputes/{dispute.reference}/audit/", "dispute-audit")

    walk.assert_clean()
