"""The load test's simulated people, for Locust (headless, run by `make loadtest`). Not part of the app.

Three kinds of people, in the proportions `loadtest/prepare.py` made accounts for (12 : 5 : 3): practitioners
open their home page and their disputes, add records and raise new disputes through the whole question journey;
managers read their approvals queue and approve escalations waiting for them; business managers search, sort and
filter the register, export it as CSV and read the themes. Each signs in once (business managers with their
authenticator code) and then works with a few seconds between pages. Pages are named by what they are, not by
their address, so the figures group as a person would.
"""

import itertools
import json
import os
import random
import re
import threading
import time

from django_otp.oath import totp
from locust import HttpUser, between, task

ACCOUNTS = json.loads(open(os.environ["LOADTEST_ACCOUNTS"]).read())  # noqa: SIM115 - read once at start
PASSWORD = ACCOUNTS["password"]
_handed_out: dict[str, itertools.count] = {}
_lock = threading.Lock()
RARE_WORDS = ("kestrel", "quillwort", "marram", "samphire", "tormentil")
COMMON_WORDS = ("referral", "assessment", "strategy", "housing", "neglect")
#: The first message in a GOV.UK error summary (or error message), so that a refusal says why.
ERROR_MESSAGE = re.compile(r'(?:govuk-error-summary__list">\s*<li>|govuk-error-message">)(?:<a [^>]*>)?([^<]+)')
DISPUTE_LINK = re.compile(r'href="/disputes/([A-Z0-9]+-\d{4}-\d+)/"')


def next_account(role: str) -> dict:
    """Each simulated person gets an account of their own (a second sign-in with one code would be refused)."""
    mine = [account for account in ACCOUNTS["accounts"] if account["role"] == role]
    with _lock:
        counter = _handed_out.setdefault(role, itertools.count())
        return mine[next(counter) % len(mine)]


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.account = next_account(self.role)
        self.client.get("/sign-in/", name="sign in (page)")
        self.post("/sign-in/", {"username": self.account["username"], "password": PASSWORD}, name="sign in")
        if "totp_key" in self.account:
            code = totp(bytes.fromhex(self.account["totp_key"]), drift=0)
            self.post("/account/two-factor/verify/", {"code": f"{code:06d}"}, name="two-factor code")

    def csrf(self) -> str:
        return next((value for name, value in self.client.cookies.items() if name.endswith("csrftoken")), "")

    def post(self, url: str, data: dict, *, name: str):
        """A form sent as the browser sends it; a page shown again with its errors counts as a failure."""
        with self.client.post(
            url,
            data={**data, "csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": self.host + url},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in (302, 303):
                said = ERROR_MESSAGE.search(response.text or "")
                reason = " ".join(said.group(1).split()) if said else "no message"
                response.failure(f"{response.status_code} instead of a redirect: {reason}")
            return response

    def dispute(self) -> str:
        return random.choice(self.account["references"])


class Practitioner(Person):
    role = "practitioner"
    weight = 12

    @task(4)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(4)
    def read_a_dispute(self) -> None:
        self.client.get(f"/disputes/{self.dispute()}/", name="dispute page")

    @task(2)
    def add_a_record(self) -> None:
        reference = self.dispute()
        url = f"/disputes/{reference}/record/"
        # Someone the policy does not let add a record now is sent back to the dispute (a redirect), not shown the form.
        if self.client.get(url, name="add a record (form)", allow_redirects=False).status_code != 200:
            return  # not this person's move on that dispute now
        today = time.gmtime()
        entry = {
            "kind": "discussion",
            "occurred_on_0": today.tm_mday,
            "occurred_on_1": today.tm_mon,
            "occurred_on_2": today.tm_year,
            "text": "Spoke with the other agency's worker; agreed to share the chronology before Friday.",
        }
        self.post(url, entry, name="add a record")

    @task(1)
    def raise_a_dispute(self) -> None:
        self.client.get("/disputes/new/", name="raise (start)")
        answers = {
            "immediate-harm": {"immediate_harm": "no"},
            "subject-kind": {"kind": self.account["subject_kind"]},
            "subject": {
                "name": "Load Test Child",
                "date_of_birth_0": "1",
                "date_of_birth_1": "3",
                "date_of_birth_2": "2015",
                "address": "1 High Street",
                "nhs_number": "943 476 5919",
                "other_identifiers": "",
            },
            "other-agency": {"other_agency": self.account["other_agency"]},
            "decision-maker": {"other_worker": 0},
            "category": {"category": self.account["category"]},
            "disagreement": {"description": "The referral was closed with no assessment."},
            "tried": {"attempts_so_far": "Rang the duty worker twice."},
            "outset": {},
        }
        url = "/disputes/new/immediate-harm/"
        for _ in range(len(answers) + 1):
            step = url.rstrip("/").rsplit("/", 1)[-1]
            if url.endswith("/check/answers/"):
                self.post(url, {}, name="raise (send)")
                return
            if step not in answers:
                return
            response = self.post(url, answers[step], name="raise (answer)")
            url = response.headers.get("Location", "")
            if not url:
                return

    @task(1)
    def notifications(self) -> None:
        self.client.get("/notifications/", name="notifications")


class Manager(Person):
    role = "manager"
    weight = 5

    @task(3)
    def approvals(self) -> None:
        page = self.client.get("/approvals/", name="approvals queue")
        waiting = DISPUTE_LINK.findall(page.text)
        if waiting and random.random() < 0.5:
            reference = random.choice(waiting)
            self.client.get(f"/disputes/{reference}/", name="dispute page")
            url = f"/disputes/{reference}/approve/"
            if self.client.get(url, name="approve (form)").status_code == 200:
                self.post(url, {"decision": "approve", "reason": ""}, name="approve")

    @task(3)
    def read_a_dispute(self) -> None:
        self.client.get(f"/disputes/{self.dispute()}/", name="dispute page")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="home")


class BusinessManager(Person):
    role = "business_manager"
    weight = 3

    @task(3)
    def register(self) -> None:
        self.client.get("/register/", name="register")

    @task(3)
    def search(self) -> None:
        kind, word = random.choice([("rare word", RARE_WORDS), ("common word", COMMON_WORDS)])
        self.client.get("/register/", params={"q": random.choice(word)}, name=f"register: search, {kind}")

    @task(2)
    def sort_and_filter(self) -> None:
        params = random.choice([{"sort": "stage"}, {"sort": "-state"}, {"overdue": "on"}, {"page": "3"}])
        self.client.get("/register/", params=params, name="register: sort or filter")

    @task(1)
    def export(self) -> None:
        with self.client.get(
            "/register.csv", params={"overdue": "on"}, name="register: CSV export", stream=True, catch_response=True
        ) as response:
            for _ in response.iter_content(chunk_size=65536):
                pass
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    @task(1)
    def themes(self) -> None:
        self.client.get("/themes/", name="themes")
