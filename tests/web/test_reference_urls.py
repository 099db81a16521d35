"""Dispute addresses take only well-formed references: anything else is a 404 before any view or query runs."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agencies.models import Partnership
from tests.conftest import build_world


@pytest.mark.parametrize(
    "path",
    [
        "/disputes/BCSSP-2026-0001%00/",
        "/disputes/%00/",
        "/disputes/BCSSP%002026/record/",
        "/disputes/BCSSP-2026-0001%00/record.pdf",
        "/disputes/-leading-hyphen/",
        "/disputes/" + "A" * 31 + "/",
        "/disputes/BCSSP 2026/",
    ],
)
def test_a_malformed_reference_is_not_found_never_a_server_error(client_for, db, path):
    world = build_world("bcssp", "BCSSP")
    world.raise_dispute()
    response = client_for(world.head).get(path)
    assert response.status_code == 404


def test_a_well_formed_reference_still_opens_its_dispute(client_for, db):
    world = build_world("bcssp", "BCSSP")
    dispute = world.raise_dispute()
    assert client_for(world.head).get(reverse("dispute", args=[dispute.reference])).status_code == 200


@pytest.mark.parametrize("prefix", ["BC SSP", "BC/SSP", "-BCSSP", "BC--SSP", "BCSSP\x00"])
def test_a_partnership_prefix_is_letters_and_digits_so_every_reference_is_well_formed(db, prefix):
    partnership = Partnership(name="Prefix test", slug="prefix-test", reference_prefix=prefix)
    with pytest.raises(ValidationError):
        partnership.full_clean()
