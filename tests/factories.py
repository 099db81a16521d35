"""Factories for the people, agencies and disputes the tests need."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils.html import escape

from agencies.models import Agency, Membership, Partnership, Sector
from policies.models import Policy
from policies.schema import read_policy_file
from policies.services import load_policy, seed_files


def seed_policy(slug: str) -> Policy:
    """Load one seed policy (once) and return it."""
    existing = Policy.objects.filter(slug=slug).first()
    if existing:
        return existing
    for path in seed_files():
        spec = read_policy_file(path)
        if spec.slug == slug:
            return load_policy(spec, source_file=path.name)[0].policy
    raise LookupError(f"no seed policy {slug}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


def name_in_html(user) -> str:
    """A person's full name as a page's HTML holds it (Faker's names include O'Connor and the like)."""
    return escape(user.get_full_name())


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Partnership {n}")
    slug = factory.Sequence(lambda n: f"partnership-{n}")
    reference_prefix = factory.Sequence(lambda n: f"P{n}")
    close_of_business = datetime.time(17, 0)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    partnership = factory.SubFactory(PartnershipFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    sector = Sector.EDUCATION


def member(agency: Agency, *roles: str, username: str | None = None, **user_fields):
    user = UserFactory(username=username, **user_fields) if username else UserFactory(**user_fields)
    for role in roles:
        Membership.objects.create(user=user, agency=agency, role=role, designation=role.replace("_", " ").title())
    return user
