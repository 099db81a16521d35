"""Partnerships, the agencies in them, and the roles people hold."""

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from agencies import text_limits as limits


class Nation(models.TextChoices):
    """Which UK bank holidays a partnership observes."""

    ENGLAND_AND_WALES = "ENG", "England and Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class Sector(models.TextChoices):
    EDUCATION = "education", "Education"
    EARLY_YEARS = "early_years", "Early years"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    VOLUNTARY = "voluntary", "Voluntary"
    PARTNERSHIP = "partnership", "Safeguarding partnership"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    MANAGER = "manager", "Manager"
    SENIOR_MANAGER = "senior_manager", "Senior manager"
    DIRECTOR = "director", "Director"
    DSL = "dsl", "Designated safeguarding lead"
    COMMITTEE_CHAIR = "committee_chair", "Committee chair (the setting's own)"
    NOMINATED_REPRESENTATIVE = "nominated_representative", "Nominated partnership representative"
    DESIGNATED_NURSE = "designated_nurse", "Designated nurse"
    CP_CHAIR = "cp_chair", "Child protection chair"
    IRO = "iro", "Independent reviewing officer"
    BUSINESS_MANAGER = "business_manager", "Partnership business manager"
    CHAIR = "chair", "Partnership chair"
    ADMIN = "admin", "Partnership admin"


#: Roles held for the whole partnership rather than for one agency in it.
PARTNERSHIP_ROLES = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR, Role.ADMIN})


class Office(models.TextChoices):
    """A post held for the whole partnership by someone outside the two disputing agencies.

    A policy names the office ("the CP chair and/or the IRO must be notified"); the partnership says who holds it.
    """

    CP_CHAIR = "cp_chair", "Child protection chair"
    IRO = "iro", "Independent reviewing officer"
    DESIGNATED_NURSE = "designated_nurse", "Designated nurse"
    DIRECTOR_CHILDRENS_SERVICES = "director_childrens_services", "Director of children's services"
    DIRECTOR_ADULT_SOCIAL_CARE = "director_adult_social_care", "Director of adult social care"
    INDEPENDENT_CHAIR = "independent_chair", "Independent chair, commissioner or panel convenor"


#: Every office's name, as a policy writes it.
OFFICES = frozenset(Office.values)


#: The shortest time a closed dispute is kept: six years, the ordinary limit for civil claims (Limitation Act
#: 1980), which for a child only starts at 18. Below it the daily retention run could destroy the record of a
#: recent dispute that a claim or a review still needs (see README, "Retention and subject access").
MIN_RETENTION_DAYS = 6 * 365


class Partnership(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    reference_prefix = models.CharField(
        max_length=12,
        unique=True,
        help_text="Starts every dispute reference, e.g. PSP-2026-0042: letters and digits, hyphens between them.",
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
                "Use letters and digits, with hyphens only between them (e.g. PSP or LSCP-NORTH).",
            )
        ],
    )
    nation = models.CharField(max_length=3, choices=Nation.choices, default=Nation.ENGLAND_AND_WALES)
    close_of_business = models.TimeField(
        default=datetime.time(17, 0), help_text="A working day ends at this time (Europe/London)."
    )
    default_stage_working_days = models.PositiveSmallIntegerField(
        default=5,
        help_text="The partnership's default deadline for a stage whose policy states none.",
    )
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, related_name="partnerships", null=True, blank=True
    )
    urgent_contacts = models.TextField(
        max_length=limits.URGENT_CONTACTS,
        blank=True,
        help_text="Shown first when someone reports a risk of immediate harm.",
    )
    retention_days = models.PositiveIntegerField(
        default=6 * 365,
        validators=[
            MinValueValidator(
                MIN_RETENTION_DAYS,
                "Keep closed disputes for at least 6 years (2,190 days): the floor no partnership may go below.",
            )
        ],
        help_text="Closed disputes older than this are removed by the retention run; never less than 6 years.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClosureDay(models.Model):
    """A day the partnership does not count as a working day, beyond bank holidays."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["partnership", "date"], name="one_closure_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y} {self.reason}".strip()


class Agency(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    is_health = models.BooleanField(
        "health-commissioned service", default=False, help_text="Records are copied to the designated nurse."
    )
    contact_details = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [models.UniqueConstraint(fields=["partnership", "name"], name="unique_agency_name")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role a person holds in one agency of a partnership. A person may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    designation = models.CharField(max_length=200, blank=True, help_text="Job title, e.g. Head Teacher.")
    phone = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="one_membership_per_role")]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.agency}"

    @property
    def partnership(self) -> Partnership:
        return self.agency.partnership


class OfficeHolder(models.Model):
    """Someone who holds a partnership office. An office may have several holders (e.g. a team of IROs)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="office_holders")
    office = models.CharField(max_length=40, choices=Office.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offices_held")
    since = models.DateField(default=timezone.localdate)
    note = models.CharField(max_length=200, blank=True, help_text="E.g. which service they sit in. No case details.")

    class Meta:
        ordering = ["office", "since"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "office", "user"], name="one_holding_per_office_and_person")
        ]
        indexes = [models.Index(fields=["partnership", "office"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_office_display()}, {self.partnership}"
