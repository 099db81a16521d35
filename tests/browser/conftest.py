"""Browser tests in real headless Chromium (Playwright's sync API) against pytest-django's live server.

Every page a test visits is checked the same way (`Person.check`): a full-page screenshot saved under
test-artifacts/screens/journeys/<journey>/, and axe-core run in the page against WCAG 2.2 AA. Keyboard
journeys also check, at every Tab stop, that the focused element shows the GOV.UK focus indicator.
Findings are collected per journey and reported together by `Journey.assert_clean()`, so one run
lists every problem rather than the first.

The app's Content Security Policy stays on: axe is injected through Playwright's `page.evaluate` (the
DevTools protocol), which the page's CSP does not govern, so no `bypass_csp` is needed. A CSP
violation by the app itself is logged in the console, and console errors fail the journey too.

Each person in a journey has their own browser context (their own cookies), as people on different
computers would; one Chromium is shared by all the browser tests.
"""

import base64
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Download, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens" / "journeys"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
#: A laptop screen; people on older ones see no more than this.
VIEWPORT = {"width": 1280, "height": 800}
#: GOV.UK Frontend's focus colour (#ffdd00): every focus indicator in the design system uses it.
FOCUS_YELLOW = "rgb(255, 221, 0)"
MAX_TAB_STOPS = 120
#: Everyone's password in tests/factories.py.
PASSWORD = "correct horse battery staple"

#: What the focused element is, and where the GOV.UK focus indicator shows, if anywhere. Radios and
#: checkboxes are drawn by their label's ::before, so the indicator is looked for there too.
FOCUSED_ELEMENT_JS = """
(yellow) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const carries = (s) => {
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && s.outlineColor === yellow) return 'outline';
    if (s.boxShadow && s.boxShadow.includes(yellow)) return 'box-shadow';
    if (s.backgroundColor === yellow) return 'background';
    return null;
  };
  let indicator = carries(getComputedStyle(el));
  if (!indicator && el.labels && el.labels.length) {
    indicator = carries(getComputedStyle(el.labels[0], '::before'));
  }
  return {
    tag: el.tagName.toLowerCase(),
    type: (el.getAttribute('type') || '').toLowerCase(),
    role: el.getAttribute('role') || '',
    name: el.getAttribute('name') || '',
    value: 'value' in el ? String(el.value) : '',
    checked: Boolean(el.checked),
    id: el.id || '',
    classes: el.className && el.className.baseVal === undefined ? el.className : '',
    href: el.getAttribute('href') || '',
    inMain: Boolean(el.closest('main')),
    text: (el.textContent || '').replace(/\\s+/g, ' ').trim(),
    indicator: indicator,
  };
}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def describe(info: dict | None) -> str:
    if info is None:
        return "nothing (the page itself)"
    label = info["text"][:50] or info["name"] or info["id"] or info["href"]
    kind = f"{info['tag']}[type={info['type']}]" if info["type"] else info["tag"]
    return f'{kind} "{label}"'


class Journey:
    """One test's walk through the service: the people taking part, their screenshots, and what was found."""

    def __init__(self, browser: Browser, base_url: str, name: str):
        self.browser = browser
        self.base_url = base_url
        self.name = name
        self.folder = SCREENS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.axe = Axe()
        self.steps = 0
        self.pages: list[str] = []
        self.violations: list[str] = []
        self.focus_problems: list[str] = []
        self.script_errors: list[str] = []
        self._contexts = []

    def person(self, label: str, user, *, keyboard: bool = False, width: int | None = None) -> "Person":
        """Someone in their own browser; `width` (CSS pixels) for a phone's narrow screen, 320 at the narrowest."""
        viewport = {"width": width, "height": 640} if width else VIEWPORT
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport, accept_downloads=True)
        context.set_default_timeout(15_000)
        self._contexts.append(context)
        return Person(self, label, user, context.new_page(), keyboard=keyboard)

    def record(self, person: "Person", page_name: str) -> None:
        """Screenshot and axe-core for the page `person` is looking at now."""
        page = person.page
        page.wait_for_load_state("load")
        self.steps += 1
        stem = f"{self.steps:02d}-{person.label}-{_slug(page_name)}"
        page.screenshot(path=str(self.folder / f"{stem}.png"), full_page=True)
        where = f"{stem} ({page.url.removeprefix(self.base_url)})"
        self.pages.append(where)
        results = self.axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
            more = f" and {len(violation['nodes']) - 8} more" if len(violation["nodes"]) > 8 else ""
            self.violations.append(
                f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} -> {nodes}{more}"
            )

    def report(self) -> str:
        sections = []
        if self.violations:
            sections.append("axe-core violations (WCAG 2.2 AA):\n  " + "\n  ".join(self.violations))
        if self.focus_problems:
            sections.append("Tab stops without a visible focus indicator:\n  " + "\n  ".join(self.focus_problems))
        if self.script_errors:
            sections.append("Errors in the browser console:\n  " + "\n  ".join(self.script_errors))
        return "\n\n".join(sections)

    def assert_clean(self) -> None:
        """Fails with every finding of the journey, page by page; also writes them beside the screenshots."""
        report = self.report()
        summary = f"{len(self.pages)} pages checked:\n  " + "\n  ".join(self.pages)
        (self.folder / "report.txt").write_text(summary + "\n\n" + (report or "No findings.") + "\n")
        if report:
            pytest.fail(f"Journey {self.name!r}:\n{report}", pytrace=False)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


class Person:
    """Someone using the service in their own browser, by mouse or by keyboard only.

    The same journey code drives either: each method acts the way this person does (clicking and
    filling, or Tab, arrows, Space, Enter and typing), and checks every page it arrives on.
    """

    def __init__(self, journey: Journey, label: str, user, page: Page, *, keyboard: bool):
        self.journey = journey
        self.label = label
        self.user = user
        self.page = page
        self.keyboard = keyboard
        self.expected_error_url = ""
        page.on("console", self._console)
        page.on("pageerror", lambda error: journey.script_errors.append(f"{label}: {error}"))

    def _console(self, message) -> None:
        url = message.location.get("url", "")
        # Chromium asks for /favicon.ico by itself (the app has none), and logs an error status the test asked for.
        expected = url.endswith("/favicon.ico") or bool(self.expected_error_url) and url == self.expected_error_url
        if message.type == "error" and not expected:
            self.journey.script_errors.append(f"{self.label} on {self.page.url}: {message.text}")

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.journey.base_url)

    # Arriving on pages.

    def check(self, page_name: str) -> None:
        self.journey.record(self, page_name)

    def open(self, path: str, page_name: str, *, status: int | None = None) -> None:
        """Goes to an address, as typing it into the address bar would; by default it must not be an error."""
        self.expected_error_url = self.journey.base_url + path if status and status >= 400 else ""
        response = self.page.goto(path)
        assert response is not None, path
        if status is None:
            assert response.status < 400, f"{path} answered {response.status}"
        else:
            assert response.status == status, f"{path} answered {response.status}, not {status}"
        self.check(page_name)

    def _navigate(self, action: Callable[[], None], page_name: str | None) -> None:
        with self.page.expect_navigation() as navigation:
            action()
        response = navigation.value
        status = response.status if response is not None else None
        assert status is None or status < 400, f"{self.label}: {self.page.url} answered {status}"
        if page_name:
            self.check(page_name)

    # Keyboard only.

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED_ELEMENT_JS, FOCUS_YELLOW)

    def tab(self, *, backwards: bool = False) -> dict | None:
        """Presses Tab (or Shift+Tab) once; notes the stop if it does not show the GOV.UK focus indicator."""
        self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
        info = self.focused()
        if info is not None and info["indicator"] is None:
            problem = f"{self.path}: {describe(info)}"
            if problem not in self.journey.focus_problems:
                self.journey.focus_problems.append(problem)
        return info

    def tab_to(self, wanted: Callable[[dict], bool], what: str, *, backwards: bool = False) -> dict:
        """Presses Tab until `wanted` is focused (at once if it already is), checking the focus at every stop."""
        info = self.focused()
        stops = []
        for _ in range(MAX_TAB_STOPS):
            if info is not None and wanted(info):
                return info
            info = self.tab(backwards=backwards)
            stops.append(describe(info))
        raise AssertionError(f"{self.label}: Tab never reached {what} on {self.path}; stops: {stops}")

    def tab_through(self) -> list[dict]:
        """Every Tab stop of a page just opened (nothing focused yet), in order, until focus leaves the page."""
        assert self.focused() is None, f"{self.path}: something already has focus"
        stops = []
        for _ in range(MAX_TAB_STOPS * 2):
            info = self.tab()
            if info is None or (stops and info == stops[0]):
                return stops
            stops.append(info)
        raise AssertionError(f"{self.path}: Tab kept going past {len(stops)} stops")

    @staticmethod
    def _named(info: dict, text: str) -> bool:
        return info["text"] == text or info["text"].startswith(text + " ")

    # Either way.

    def follow(self, text: str, page_name: str | None, *, role: str = "link") -> None:
        """Activates a link or button with this text (and whatever it adds for screen readers)."""
        if self.keyboard:
            tags = {"link": ("a",), "button": ("button", "a")}[role]
            self.tab_to(lambda info: info["tag"] in tags and self._named(info, text), f"{role} {text!r}")
            self._navigate(lambda: self.page.keyboard.press("Enter"), page_name)
        else:
            # Links styled as buttons have role="button": a person sees a button either way.
            name = re.compile(rf"^{re.escape(text)}\b")
            target = self.page.get_by_role(role, name=name).or_(self.page.get_by_role("button", name=name)).first
            self._navigate(target.click, page_name)

    def press(self, text: str, page_name: str | None) -> None:
        """Presses a form's button; the page it leads to is checked."""
        self.follow(text, page_name, role="button")

    def choose(self, field: str, value: str) -> None:
        """Selects a radio: with the keyboard, Tab into the group and move with the arrow keys."""
        selector = f'input[type=radio][name="{field}"][value="{value}"]'
        if not self.keyboard:
            self.page.check(selector)
            return
        info = self.tab_to(lambda info: info["type"] == "radio" and info["name"] == field, f"the {field} radios")
        for _ in range(20):
            if info["value"] == value:
                break
            self.page.keyboard.press("ArrowDown")
            info = self.focused()
        assert info and info["value"] == value, f"{field}: arrows never reached {value}"
        if not info["checked"]:
            self.page.keyboard.press("Space")
        assert self.page.is_checked(selector)

    def tick(self, field: str, value: str) -> None:
        """Ticks a checkbox: with the keyboard, Tab to it and press Space."""
        selector = f'input[type=checkbox][name="{field}"][value="{value}"]'
        if self.keyboard:
            self.tab_to(lambda info: info["name"] == field and info["value"] == value, f"the {value} checkbox")
            self.page.keyboard.press("Space")
        else:
            self.page.check(selector)
        assert self.page.is_checked(selector)

    def type_into(self, field: str, text: str) -> None:
        """Replaces what a text input or textarea holds."""
        if self.keyboard:
            self.tab_to(lambda info: info["name"] == field and info["tag"] in ("input", "textarea"), field)
            self.page.keyboard.press("ControlOrMeta+A")
            self.page.keyboard.type(text)
        else:
            self.page.fill(f'[name="{field}"]', text)
        assert self.page.input_value(f'[name="{field}"]') == text

    def open_details(self, summary: str) -> None:
        """Opens a details component (GOV.UK "details") by its summary text."""
        if self.keyboard:
            self.tab_to(lambda info: info["tag"] == "summary" and info["text"] == summary, f"details {summary!r}")
            self.page.keyboard.press("Enter")
        else:
            self.page.get_by_text(summary, exact=True).click()

    def download(self, text: str) -> Download:
        if self.keyboard:
            self.tab_to(lambda info: info["tag"] == "a" and self._named(info, text), f"link {text!r}")
            with self.page.expect_download() as download:
                self.page.keyboard.press("Enter")
        else:
            with self.page.expect_download() as download:
                self.page.get_by_role("link", name=text).click()
        return download.value

    # Signing in, past two-factor authentication where the person's role needs it.

    def sign_in(self, password: str = PASSWORD) -> None:
        self.open("/", "sign-in")
        assert self.path.startswith("/sign-in/"), self.path
        if self.keyboard:
            first = self.tab_to(lambda info: True, "the first Tab stop")
            assert "govuk-skip-link" in first["classes"], f"first Tab stop is {describe(first)}, not the skip link"
        self.type_into("username", self.user.get_username())
        self.type_into("password", password)
        self.press("Sign in", None)
        if self.path.startswith("/account/two-factor/set-up/"):
            self._set_up_two_factor()
        elif self.path.startswith("/account/two-factor/verify/"):
            self._verify_two_factor()
        assert self.path == "/", f"{self.label} ended up on {self.path} after signing in"
        self.check("home")

    def _set_up_two_factor(self) -> None:
        """Sets up an authenticator app the way a person would: asks for the e-mailed link and opens it, types
        the set-up key the page shows, then notes the backup codes."""
        self.check("two-factor-send-link")
        self.press("Send me the link", None)
        message = [m for m in mail.outbox if self.user.email in m.to][-1]
        link = re.search(r"https?://[^/\s]+(/account/two-factor/link/[^/\s]+/)", message.body).group(1)
        self.open(link, "two-factor-link")
        self.press("Continue", None)
        self.check("two-factor-set-up")
        self.open_details("I cannot scan the QR code")
        shown = self.page.locator(".govuk-details__text code").inner_text()
        key = "".join(shown.split())
        code = totp(base64.b32decode(key + "=" * (-len(key) % 8)), step=30, t0=0, digits=6)
        self.type_into("code", f"{code:06d}")
        self.press("Turn on two-factor authentication", None)
        self.check("two-factor-backup-codes")
        self.follow("I have saved my backup codes", None)

    def _verify_two_factor(self) -> None:
        """Enters the code the person's (already set up) authenticator app would show now."""
        self.check("two-factor-code")
        device = TOTPDevice.objects.get(user=self.user, confirmed=True)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.type_into("code", f"{code:0{device.digits}d}")
        self.press("Continue", None)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for all the browser tests, closed (with Playwright's event loop) after them."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must run the browser tests (.ci/run installs the chromium package).")
        pytest.skip(f"{message}; the browser tests run in CI.")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API runs an asyncio loop in this thread, and Django then refuses the ORM calls the
        # tests make (building the world, reading a TOTP device): ordinary blocking calls here. Set only while
        # the browser is open, so no other test (nor `check --deploy` run from one) inherits it.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def journey(browser: Browser, live_server, transactional_db) -> Iterator[Callable[[str], Journey]]:
    """`journey(name)`: a walk through the service whose screenshots go in test-artifacts/screens/journeys/<name>/."""
    started: list[Journey] = []

    def start(name: str) -> Journey:
        walk = Journey(browser, live_server.url, name)
        started.append(walk)
        return walk

    yield start
    for walk in started:
        walk.close()
