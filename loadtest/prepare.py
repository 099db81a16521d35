"""Accounts for the load test, on data made by `manage.py generate_disputes`. Not part of the app.

    python loadtest/prepare.py OUT.json [--users 200]

For each generated partnership it adds people who can sign in (one password for all, below), in the proportions the
load test simulates: practitioners and managers in the agencies that have disputes, and business managers with an
authenticator app whose key is written out, so Locust can work out their codes. Each person is given the references
of open disputes they may act on. Everything it adds is named `loadtest-...`; run it on a throw-away database.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from agencies.models import Agency, Membership, Partnership, Role, Sector  # noqa: E402
from escalation.disputes.models import Dispute  # noqa: E402
from policies.models import category_labels  # noqa: E402
from policies.vocabulary import DisputeState  # noqa: E402

PASSWORD = "loadtest-password-2026"  # noqa: S105 - made-up accounts on a throw-away database
#: Of every 20 simulated people: 12 practitioners, 5 managers, 3 business managers.
SHARES = ((Role.PRACTITIONER, 12), (Role.MANAGER, 5), (Role.BUSINESS_MANAGER, 3))
OPEN = [DisputeState.RAISED, DisputeState.IN_DISCUSSION, DisputeState.AWAITING_APPROVAL]
REFERENCES_EACH = 40


def open_references(agency: Agency) -> list[str]:
    disputes = Dispute.objects.filter(Q(raising_agency=agency) | Q(other_agency=agency), state__in=OPEN)
    return list(disputes.order_by("-raised_at").values_list("reference", flat=True)[:REFERENCES_EACH])


@transaction.atomic
def prepare(users: int) -> list[dict]:
    partnerships = list(Partnership.objects.filter(slug__startswith="generated-").order_by("pk"))
    if not partnerships:
        sys.exit("prepare: no generated partnerships; run `manage.py generate_disputes N` first")
    password = make_password(PASSWORD)
    people = get_user_model().objects
    accounts: list[dict] = []
    per_share = max(1, -(-users // sum(share for _, share in SHARES)))
    for role, share in SHARES:
        for number in range(per_share * share):
            partnership = partnerships[number % len(partnerships)]
            version = partnership.policy.current_version
            agencies = list(partnership.agencies.exclude(sector=Sector.PARTNERSHIP).order_by("pk"))
            team = partnership.agencies.filter(sector=Sector.PARTNERSHIP).first()
            agency = team if role == Role.BUSINESS_MANAGER else agencies[number % len(agencies)]
            username = f"loadtest-{role}-{number}"
            user = people.create(username=username, password=password, email=f"{username}@example.org")
            Membership.objects.create(user=user, agency=agency, role=role)
            account = {"username": username, "role": role, "partnership": partnership.slug}
            if role == Role.BUSINESS_MANAGER:
                device = TOTPDevice.objects.create(user=user, name="Load test", confirmed=True)
                account["totp_key"] = device.key
            else:
                others = [other for other in agencies if other.pk != agency.pk]
                account.update(
                    references=open_references(agency),
                    other_agency=others[number % len(others)].pk,
                    category=next(iter(category_labels(version.categories))),
                    subject_kind=(version.subjects or ["child"])[0],
                )
            accounts.append(account)
    return accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--users", type=int, default=200)
    options = parser.parse_args()
    accounts = prepare(options.users)
    options.out.write_text(json.dumps({"password": PASSWORD, "accounts": accounts}, indent=1))
    counts = {role: sum(1 for a in accounts if a["role"] == role) for role, _ in SHARES}
    print("prepare: " + ", ".join(f"{n} {role}" for role, n in counts.items()) + f" -> {options.out}")


if __name__ == "__main__":
    main()
