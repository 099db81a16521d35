"""`manage.py generate_disputes N [--partnerships K]`: realistic made-up data, fast, for benchmarks and sizing.

Builds K partnerships (each on one of the loaded seed policies, in turn), each with five agencies and people in
every role and office, then N disputes spread across them: their subjects, stage visits, record entries, outcomes,
whose move it is, deadline rows in every state (running, reminded, missed, paused, met, not met, set by hand and
not yet set), the notifications the sweep sent for them (to the people the rules name, found as the outbox finds
them) and the audit trail. Nine in ten disputes are closed or withdrawn over the past three years; the rest are
open, raised in the last few weeks. `--unswept F` leaves that fraction of the reminders and breaches already due
unrecorded, for the sweep to find.

Rows are written in chunks with COPY on PostgreSQL (bulk inserts elsewhere); a million disputes take minutes. Run it
on a database nobody is using: it numbers rows itself. Nothing in it is a real person or case.
"""

from __future__ import annotations

import datetime
import io
import queue
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.models import Agency, Membership, Office, OfficeHolder, Partnership, Role, Sector
from escalation.audit.events import AuditEventType
from escalation.audit.models import AuditEvent
from escalation.bulk import copy_text
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import breach_to, remind_to
from escalation.disputes.models import Dispute, Outcome, RecordEntry, ReferenceCounter, StageVisit, Subject, WaitingOn
from escalation.notifications.models import Notification
from escalation.notifications.outbox import PreloadedDirectory, people_for
from policies.calendar import LONDON, calendar_for
from policies.loading import deadline_rules_of, rules_of
from policies.models import DeadlineRule, Policy
from policies.runtime.deadlines import timing
from policies.runtime.decide import waiting_for_approval
from policies.vocabulary import Condition, DeadlineKind, DisputeState, EntryKind, Event, Strength

CHUNK = 5_000
AGENCIES = (
    ("Primary School", Sector.EDUCATION),
    ("Children's Social Care", Sector.CHILDRENS_SOCIAL_CARE),
    ("Community Health", Sector.HEALTH),
    ("Police", Sector.POLICE),
    ("Adult Social Care", Sector.ADULT_SOCIAL_CARE),
)
#: (role, how many in each agency)
AGENCY_PEOPLE = (
    (Role.PRACTITIONER, 4),
    (Role.MANAGER, 2),
    (Role.SENIOR_MANAGER, 1),
    (Role.DIRECTOR, 1),
    (Role.DSL, 1),
    (Role.NOMINATED_REPRESENTATIVE, 1),
    (Role.COMMITTEE_CHAIR, 1),
)
PARTNERSHIP_PEOPLE = ((Role.BUSINESS_MANAGER, 1), (Role.CHAIR, 1), (Role.ADMIN, 1))
_WORDS = (
    "assessment referral threshold strategy meeting section 47 plan review visit school attendance neglect "
    "housing health visitor police protection consent information sharing early help family support siblings "
    "missing episode exploitation concerns injury bruising disclosure nursery mother father carer placement "
    "contact supervision legal planning core group conference outcome escalation agreed declined timescale"
)
WORDS = tuple(_WORDS.split())
#: Rare words, a few each, so a search can look for one that almost never appears.
RARE = ("kestrel", "quillwort", "marram", "samphire", "tormentil")


@dataclass
class Place:
    """One generated partnership and who works in it."""

    partnership: Partnership
    version: object
    agencies: list[Agency]
    people: dict[tuple[int, str], list] = field(default_factory=dict)
    calendar: object = None
    rules: tuple = ()
    stages: list[int] = field(default_factory=list)
    db_rules: dict[int, DeadlineRule] = field(default_factory=dict)
    directory: PreloadedDirectory | None = None


class Rows:
    """Rows for each table, written in one go per chunk; ids are handed out here."""

    def __init__(self, models_: Iterable[type[models.Model]]) -> None:
        self.next_id = {model: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for model in models_}
        self.rows: dict[type[models.Model], list[dict]] = {model: [] for model in self.next_id}

    def add(self, model: type[models.Model], **values) -> int:
        row_id = self.next_id[model]
        self.next_id[model] += 1
        self.rows[model].append({"id": row_id, **values})
        return row_id

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def take(self) -> dict[type[models.Model], list[dict]]:
        """The rows made since the last take (a chunk to write), leaving empty lists for the next."""
        chunk = {model: rows for model, rows in self.rows.items() if rows}
        self.rows = {model: [] for model in self.next_id}
        return chunk

    def finish(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in self.next_id:
                top = model.objects.aggregate(top=Max("pk"))["top"] or 1
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, top])


def _copy(model: type[models.Model], rows: list[dict]) -> None:
    """The rows (dicts by column, ids included) by COPY, each value written as `escalation.bulk` writes it."""
    columns = list(rows[0])
    json_fields = {field.column: field for field in model._meta.concrete_fields if isinstance(field, models.JSONField)}
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(copy_text(row[column], json_field=json_fields.get(column)) for column in columns) + "\n")
    buffer.seek(0)
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buffer)


def _skip_row_triggers(*, skip: bool = True) -> None:
    """On PostgreSQL, as a superuser, skip the per-row foreign-key checks while a chunk is written (`skip=False`
    turns them back on): the rows are consistent by construction, and checking each costs more than writing it.
    Elsewhere, nothing."""
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL session_replication_role = {'replica' if skip else 'DEFAULT'}")
    except DatabaseError:
        pass  # not a superuser: every row is checked, which is slower but the same


def _bulk(model: type[models.Model], rows: list[dict]) -> None:
    model.objects.bulk_create([model(**row) for row in rows], batch_size=500)


def _write(chunk: dict[type[models.Model], list[dict]]) -> None:
    """One chunk's rows, every table, in one transaction."""
    with transaction.atomic():
        _skip_row_triggers()
        for model, rows in chunk.items():
            _copy(model, rows) if connection.vendor == "postgresql" else _bulk(model, rows)
        _skip_row_triggers(skip=False)


class ChunkWriter:
    """Writes each chunk while the next one is being made.

    On PostgreSQL, outside any transaction, a thread of its own (with its own connection) writes the chunks, so the
    database's work and Python's overlap on two cores: at most one chunk waits, and an error stops the run. Inside
    a transaction (a test's) or on SQLite, each chunk is written at once, on the caller's connection, and rolls
    back with it.
    """

    def __init__(self) -> None:
        self._threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._chunks: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="generate-disputes-writer", daemon=True)
        if self._threaded:
            self._thread.start()

    def _run(self) -> None:
        try:
            while (chunk := self._chunks.get()) is not None:
                if self._error is None:
                    _write(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by `put` or `close`
            self._error = exc
            while self._chunks.get() is not None:  # let the caller go on to `close`
                pass
        finally:
            connection.close()

    def _raise(self) -> None:
        if self._error is not None:
            raise CommandError(f"writing the rows failed: {self._error}") from self._error

    def put(self, chunk: dict[type[models.Model], list[dict]]) -> None:
        if not self._threaded:
            _write(chunk)
            return
        self._raise()
        self._chunks.put(chunk)

    def close(self) -> None:
        """Wait until every chunk is written."""
        if self._threaded:
            self._chunks.put(None)
            self._thread.join()
            self._raise()


class Generator:
    def __init__(self, *, partnerships: int, seed: int, now: datetime.datetime, unswept: float, out) -> None:
        self.random = random.Random(seed)
        self.now = now
        self.unswept = unswept
        self.count_partnerships = partnerships
        self.out = out
        self.password = make_password(None)

    # The world ---------------------------------------------------------------------------------------------------

    def places(self) -> list[Place]:
        policies = [policy for policy in Policy.objects.order_by("slug") if policy.current_version is not None]
        if not policies:
            raise CommandError("no published policy: run `manage.py load_policies` first")
        start = Partnership.objects.filter(slug__startswith="generated-").count()
        places = []
        for number in range(start, start + self.count_partnerships):
            policy = policies[number % len(policies)]
            places.append(self._place(number + 1, policy))
        return places

    def _place(self, number: int, policy: Policy) -> Place:
        users = get_user_model().objects
        partnership = Partnership.objects.create(
            name=f"Generated partnership {number}",
            slug=f"generated-{number}",
            reference_prefix=f"GEN{number}",
            policy=policy,
        )
        agencies = [
            Agency.objects.create(partnership=partnership, name=f"Generated {number} {name}", sector=sector)
            for name, sector in AGENCIES
        ]
        team = Agency.objects.create(
            partnership=partnership, name=f"Generated {number} partnership team", sector=Sector.PARTNERSHIP
        )
        version = policy.current_version
        place = Place(partnership, version, agencies)
        made = []
        for agency, people in [(a, AGENCY_PEOPLE) for a in agencies] + [(team, PARTNERSHIP_PEOPLE)]:
            for role, count in people:
                for i in range(count):
                    name = f"gen{number}-{agency.pk}-{role}-{i}"
                    made.append((agency, role, users.model(username=name, email=f"{name}@example.org")))
        for _agency, _role, user in made:
            user.password = self.password
        users.bulk_create([user for _, _, user in made])
        created = {u.username: u for u in users.filter(username__startswith=f"gen{number}-")}
        memberships = []
        for agency, role, user in made:
            user = created[user.username]
            memberships.append(Membership(user=user, agency=agency, role=role))
            place.people.setdefault((agency.pk, role), []).append(user)
        Membership.objects.bulk_create(memberships)
        for office in (Office.CP_CHAIR, Office.IRO, Office.DESIGNATED_NURSE):
            holder = users.create(username=f"gen{number}-office-{office}", email=f"gen{number}-{office}@example.org")
            OfficeHolder.objects.create(
                partnership=partnership, office=office, user=holder, since=datetime.date(2024, 4, 1)
            )
        place.calendar = calendar_for(partnership)
        place.rules = deadline_rules_of(version)
        runtime = rules_of(version)
        place.stages = sorted(stage.number for stage in runtime.stages)
        place.db_rules = {rule.pk: rule for rule in version.deadline_rules.all()}
        return place

    # Disputes ----------------------------------------------------------------------------------------------------

    def run(self, count: int) -> dict[str, int]:
        places = self.places()
        for place in places:
            # Everyone in the partnership, read once: made-up disputes between each pair of neighbouring agencies.
            place.directory = PreloadedDirectory(
                Dispute(partnership=place.partnership, raising_agency=a, other_agency=b, policy_version=place.version)
                for a, b in zip(place.agencies, place.agencies[1:] + place.agencies[:1], strict=True)
            )
        tables = (Subject, Dispute, StageVisit, RecordEntry, Outcome, WaitingOn, Deadline, Notification, AuditEvent)
        rows = Rows(tables)
        counters: dict[tuple[int, int], int] = {}
        written = dict.fromkeys((t.__name__ for t in tables), 0)
        began = time.perf_counter()
        writer = ChunkWriter()
        try:
            for low in range(0, count, CHUNK):
                high = min(low + CHUNK, count)
                for i in range(low, high):
                    self._dispute(places[i % len(places)], rows, counters)
                chunk = rows.take()
                for model, model_rows in chunk.items():
                    written[model.__name__] += len(model_rows)
                writer.put(chunk)
                took = time.perf_counter() - began
                self.out(f"{high:,} of {count:,} disputes made ({high / took:,.0f} a second, {took:,.0f}s so far)")
        finally:
            writer.close()
        self.out(f"{count:,} disputes written in {time.perf_counter() - began:,.0f}s")
        with transaction.atomic():
            rows.finish()
            for (partnership_id, year), last in counters.items():
                ReferenceCounter.objects.update_or_create(
                    partnership_id=partnership_id, year=year, defaults={"last": last}
                )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return written

    def _moment_after(self, moment: datetime.datetime, low_hours: float, high_hours: float) -> datetime.datetime:
        return moment + datetime.timedelta(hours=self.random.uniform(low_hours, high_hours))

    def _person(self, place: Place, agency: Agency, role: str):
        return self.random.choice(place.people[(agency.pk, role)])

    def _dispute(self, place: Place, rows: Rows, counters: dict) -> None:
        rnd, now = self.random, self.now
        is_open = rnd.random() < 0.1
        raising, other = rnd.sample(place.agencies, 2)
        raiser = self._person(place, raising, Role.PRACTITIONER)
        if is_open:
            raised_at = now - datetime.timedelta(hours=rnd.uniform(2, 24 * 25))
        else:
            raised_at = now - datetime.timedelta(days=rnd.uniform(30, 3 * 365))
        immediate_harm = rnd.random() < 0.05
        start = rules_of(place.version).start_stage
        stages = [s for s in place.stages if s >= start] or place.stages
        visited = [stages[0]]
        while len(visited) < len(stages) and rnd.random() < 0.45:
            visited.append(stages[len(visited)])
        enters: dict[int, datetime.datetime] = {}
        moment = raised_at
        for stage in visited:
            if is_open and moment > now - datetime.timedelta(hours=1) and enters:
                break
            enters[stage] = moment
            moment = self._moment_after(moment, 20, 24 * 6)
        visited = list(enters)
        ended_at = None if is_open else moment
        policy_rules = rules_of(place.version)
        next_stage = policy_rules.next_stage(visited[-1])
        escalable = next_stage is not None and not policy_rules.stage(visited[-1]).binding
        if is_open:
            open_states = [DisputeState.RAISED, DisputeState.IN_DISCUSSION]
            state = rnd.choice([*open_states, DisputeState.AWAITING_APPROVAL] if escalable else open_states)
        else:
            state = rnd.choices([DisputeState.CLOSED, DisputeState.RESOLVED, DisputeState.WITHDRAWN], [6, 3, 1])[0]
        year = raised_at.astimezone(LONDON).year
        key = (place.partnership.pk, year)
        counters[key] = counters.get(key, 0) + 1
        reference = f"{place.partnership.reference_prefix}-{year}-{counters[key]:04d}"
        kind = "adult" if raising.sector == Sector.ADULT_SOCIAL_CARE else "child"
        subject_id = rows.add(
            Subject,
            partnership_id=place.partnership.pk,
            kind=kind,
            name=f"Person {reference}",
            date_of_birth=datetime.date(2010 if kind == "child" else 1960, 1, 1)
            + datetime.timedelta(days=rnd.randrange(3000)),
            address="",
            nhs_number="",
            other_identifiers="",
            child_protection_plan=rnd.random() < 0.2,
            looked_after=rnd.random() < 0.1,
        )
        categories = list(place.version.categories or [])
        category = rnd.choice(categories)["key"] if categories else "levels_of_need"
        description = self._words(rnd.randint(15, 40))
        dispute_id = rows.add(
            Dispute,
            reference=reference,
            partnership_id=place.partnership.pk,
            policy_version_id=place.version.pk,
            subject_id=subject_id,
            raising_agency_id=raising.pk,
            raised_by_id=raiser.pk,
            other_agency_id=other.pk,
            category=category,
            description=description,
            attempts_so_far=self._words(rnd.randint(0, 20)),
            immediate_harm=immediate_harm,
            immediate_harm_flagged_at=raised_at if immediate_harm else None,
            concern_outset=raised_at.date(),
            raised_at=raised_at,
            current_stage=visited[-1],
            state=state,
            escalation_proposed_by_id=raiser.pk if state == DisputeState.AWAITING_APPROVAL else None,
            escalation_proposed_at=enters[visited[-1]] if state == DisputeState.AWAITING_APPROVAL else None,
            # The raiser proposed the escalation, so the raising agency's manager decides it.
            escalation_side_id=raising.pk if state == DisputeState.AWAITING_APPROVAL else None,
            escalation_reason=self._words(12) if state == DisputeState.AWAITING_APPROVAL else "",
            closed_at=ended_at,
            updated_at=ended_at or now,
        )
        # What the outbox reads of a dispute to find its people, without building a model instance for each.
        dispute = SimpleNamespace(
            pk=dispute_id,
            reference=reference,
            partnership=place.partnership,
            policy_version=place.version,
            raising_agency=raising,
            other_agency=other,
            raised_by=raiser,
            current_stage=visited[-1],
            immediate_harm=immediate_harm,
        )
        self._audit(rows, AuditEventType.DISPUTE_RAISED, dispute, raised_at, raiser, {"reference": reference})
        for index, stage in enumerate(visited):
            left = enters[visited[index + 1]] if index + 1 < len(visited) else ended_at
            manager = self._person(place, raising, Role.MANAGER)
            rows.add(
                StageVisit,
                dispute_id=dispute_id,
                stage_number=stage,
                entered_at=enters[stage],
                left_at=left,
                entered_by_id=raiser.pk if index == 0 else manager.pk,
                approved_by_id=None if index == 0 else manager.pk,
                reason="" if index == 0 else "Not resolved at the stage before.",
                escalation_proposed_at=left if left is not None and index + 1 < len(visited) else None,
            )
            entry_at = enters[stage]
            for _ in range(rnd.randint(1, 3)):
                entry_at = self._moment_after(entry_at, 1, 30)
                if entry_at > (left or now):
                    break
                agency = rnd.choice([raising, other])
                author = self._person(place, agency, rnd.choice([Role.PRACTITIONER, Role.MANAGER]))
                rows.add(
                    RecordEntry,
                    dispute_id=dispute_id,
                    stage_number=stage,
                    kind=rnd.choice(EntryKind.values),
                    occurred_on=entry_at.date(),
                    text=self._words(rnd.randint(10, 60)),
                    author_id=author.pk,
                    agency_id=agency.pk,
                    created_at=entry_at,
                )
                self._audit(rows, AuditEventType.RECORD_ENTRY_ADDED, dispute, entry_at, author, {"stage": stage})
        if state in (DisputeState.CLOSED, DisputeState.RESOLVED):
            rows.add(
                Outcome,
                dispute_id=dispute_id,
                stage_number=visited[-1],
                decided_on=ended_at.date(),
                convened="neither",
                agreed_outcome=self._words(rnd.randint(10, 30)),
                outstanding_actions="",
                recorded_by_id=raiser.pk,
                recorded_at=ended_at,
                binding=False,
                raising_confirmed_by_id=None,
                raising_confirmed_at=None,
                other_confirmed_by_id=None,
                other_confirmed_at=None,
            )
        if ended_at is not None:
            closing = {
                DisputeState.WITHDRAWN: AuditEventType.DISPUTE_WITHDRAWN,
                DisputeState.RESOLVED: AuditEventType.DISPUTE_RESOLVED,
            }.get(state, AuditEventType.DISPUTE_CLOSED)
            self._audit(rows, closing, dispute, ended_at, raiser, {"stage": visited[-1]})
        if state == DisputeState.AWAITING_APPROVAL:
            # Whoever the policy names as approver of the next stage, as the app itself would write it.
            for waiting in waiting_for_approval(next_stage, raising.pk):
                rows.add(
                    WaitingOn, dispute_id=dispute_id, agency_id=waiting.agency_id, role=waiting.role, reason="approval"
                )
        for _ in range(rnd.randint(1, 4)):
            seen_at = self._moment_after(raised_at, 1, 24 * 10)
            if seen_at < (ended_at or now):
                self._audit(rows, AuditEventType.DISPUTE_VIEWED, dispute, seen_at, raiser, None)
        self._deadlines(place, rows, dispute, enters, visited, ended_at, kind)

    def _applies(self, condition: str, dispute: Dispute, kind: str) -> bool:
        return {
            Condition.ALWAYS: True,
            Condition.IMMEDIATE_HARM: dispute.immediate_harm,
            Condition.NOT_IMMEDIATE_HARM: not dispute.immediate_harm,
            Condition.CHILD: kind == "child",
            Condition.ADULT: kind == "adult",
        }.get(condition, False)

    def _deadlines(self, place: Place, rows: Rows, dispute: Dispute, enters, visited, ended_at, kind) -> None:
        rnd, now = self.random, self.now
        for rule in place.rules:
            if rule.first_stage not in enters or not self._applies(rule.condition, dispute, kind):
                continue
            anchor = enters[rule.first_stage]
            later = [stage for stage in visited if stage > rule.last_stage]
            left = enters[later[0]] if later else ended_at
            when = timing(
                rule,
                anchor,
                place.calendar,
                place.partnership.default_stage_working_days,
                due_soon_working_days=place.version.due_soon_working_days,
            )
            due, remind = when.due_at, when.remind_at
            if rule.kind == DeadlineKind.MANUAL and rnd.random() < 0.5:  # the chair has set it
                due = (anchor + datetime.timedelta(days=14)).replace(hour=17, minute=0, second=0, microsecond=0)
                remind = due - datetime.timedelta(days=1)
            guide = rule.strength == Strength.GUIDE
            until = left or now
            unswept = left is None and rnd.random() < self.unswept
            paused = left is None and not unswept and rnd.random() < 0.02
            paused_at = self._moment_after(anchor, 1, 12) if paused else None
            if paused_at is not None and paused_at > now:
                paused_at = None
            swept_until = paused_at or until
            breached = None
            if due is not None and due < swept_until and not guide and not unswept:
                breached = due + datetime.timedelta(minutes=1)
            reminded = None
            if remind is not None and remind <= swept_until and not unswept and (due is None or remind <= due):
                reminded = remind
            if breached is not None and reminded is None:
                reminded = breached
            deadline_id = rows.add(
                Deadline,
                dispute_id=dispute.pk,
                rule_id=rule.id,
                stage_number=rule.first_stage,
                anchor_at=anchor,
                due_at=due,
                remind_at=remind,
                soon_at=when.soon_at if due is not None else None,
                extended_days=0,
                manual_due_at=due if rule.kind == DeadlineKind.MANUAL else None,
                shortened_due_at=None,
                paused_at=paused_at,
                reminded_at=reminded,
                breached_at=breached,
                closed_at=left,
                met=None if left is None else (due is None or left <= due),
                guide=guide,
            )
            deadline = SimpleNamespace(pk=deadline_id, dispute=dispute, rule=place.db_rules[rule.id], due_at=due)
            if reminded is not None and reminded != breached:
                self._told(place, rows, deadline, Event.DEADLINE_NEAR, remind_to(deadline), reminded, "reminded")
            if breached is not None:
                self._told(place, rows, deadline, rule.breach_event, breach_to(deadline), breached, "breached")

    def _told(self, place, rows: Rows, deadline: Deadline, event: str, recipients, at, what: str) -> None:
        dispute = deadline.dispute
        label = deadline.rule.label
        if what == "breached":
            self._audit(
                rows,
                AuditEventType.DEADLINE_BREACHED,
                dispute,
                at,
                None,
                {"rule": deadline.rule.name, "due_at": deadline.due_at.isoformat(), "event": event},
                deadline,
            )
            headline = f"{dispute.reference}: deadline missed ({label})"
        else:
            self._audit(
                rows,
                AuditEventType.DEADLINE_REMINDED,
                dispute,
                at,
                None,
                {"rule": deadline.rule.name, "due_at": deadline.due_at.isoformat()},
                deadline,
            )
            headline = f"{dispute.reference}: deadline near ({label})"
        people, _gaps = people_for(dispute, recipients, directory=place.directory)
        read = at < self.now - datetime.timedelta(days=7) or self.random.random() < 0.5
        for user, named_as in people:
            rows.add(
                Notification,
                dispute_id=dispute.pk,
                recipient_id=user.pk,
                event=event,
                role=named_as,
                deadline_id=deadline.pk,
                headline=headline[:300],
                message="",
                created_at=at,
                read_at=at + datetime.timedelta(hours=3) if read else None,
                email_status=Notification.EmailStatus.SENT,
                email_attempts=1,
                email_sent_at=at,
                email_next_attempt_at=None,
                email_error="",
            )

    def _audit(self, rows: Rows, action, dispute: Dispute, at, actor, after, obj=None) -> None:
        rows.add(
            AuditEvent,
            at=at,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor.username if actor is not None else "system",
            action=str(action),
            partnership_id=dispute.partnership.pk,
            dispute_id_value=dispute.pk,
            dispute_reference=dispute.reference,
            object_type=type(obj).__name__ if obj is not None else "Dispute",
            object_id=str(obj.pk if obj is not None else dispute.pk),
            before=None,
            after=after,
            ip_address=None,
            user_agent="",
        )

    def _words(self, count: int) -> str:
        words = self.random.choices(WORDS, k=count)
        if count and self.random.random() < 0.001:
            words[self.random.randrange(count)] = self.random.choice(RARE)
        return " ".join(words).capitalize() + "." if words else ""


class Command(BaseCommand):
    help = "Build N realistic made-up disputes (with stages, entries, deadlines, notifications and audit rows), fast."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="How many disputes.")
        parser.add_argument("--partnerships", type=int, default=5, help="How many partnerships to spread them over.")
        parser.add_argument("--seed", type=int, default=2026, help="The same seed makes the same data.")
        parser.add_argument(
            "--now", help="The moment the data stands at (ISO 8601 with a time zone); default the current time."
        )
        parser.add_argument(
            "--unswept",
            type=float,
            default=0.0,
            help="The fraction of open deadlines whose reminder or breach is due but not yet recorded (0 to 1).",
        )

    def handle(self, *args, count: int, partnerships: int, seed: int, now: str | None, unswept: float, **options):
        if count < 1 or partnerships < 1:
            raise CommandError("N and --partnerships must be at least 1")
        if not 0 <= unswept <= 1:
            raise CommandError("--unswept is a fraction between 0 and 1")
        moment = timezone.now()
        if now:
            moment = datetime.datetime.fromisoformat(now)
            if moment.tzinfo is None:
                raise CommandError("--now needs a time zone, e.g. 2026-03-30T17:01:00+01:00")
        if not any(policy.current_version is not None for policy in Policy.objects.all()):
            call_command("load_policies", verbosity=0)
        began = time.perf_counter()
        generator = Generator(partnerships=partnerships, seed=seed, now=moment, unswept=unswept, out=self.stdout.write)
        written = generator.run(count)
        took = time.perf_counter() - began
        self.stdout.write(f"Done in {took:,.1f}s: " + ", ".join(f"{n:,} {name}" for name, n in written.items() if n))
