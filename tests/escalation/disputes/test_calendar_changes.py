"""A change to a partnership's calendar moves the open deadlines of its open disputes, audited.

The calendar is the partnership's nation (whose bank holidays count), its close of business, its default
working days for a stage whose policy states none, and its closure days.
"""

import datetime

import pytest
from django.urls import reverse

from agencies.models import ClosureDay, Nation
from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.deadline_changes import (
    add_closure_day,
    change_calendar,
    change_closure_day,
    remove_closure_day,
)
from escalation.disputes.permissions import ActionRefused
from tests.auth_helpers import login
from tests.conftest import london

# Raised Monday 2 March 2026 10:00. Banwell Buddies states no timescale, so stage 1 takes the partnership's
# default of 5 working days: due Monday 9 March 17:00, reminded the working day before at 09:00.
RAISED = london(2026, 3, 2, 10)
DEFAULT_DUE = (london(2026, 3, 9, 17), london(2026, 3, 6, 9))
CHANGED = london(2026, 3, 3, 12)


@pytest.fixture
def banwell(world_for):
    world = world_for("banwell-buddies", "BAN")
    world.admin.is_staff = True
    world.admin.save()
    return world


def stage_1(dispute) -> Deadline:
    return dispute.deadlines.get(rule__name="stage-1", closed_at__isnull=True)


def moments(row: Deadline) -> tuple[datetime.datetime, datetime.datetime]:
    row.refresh_from_db()
    return row.due_at, row.remind_at


class TestChangeCalendar:
    def test_new_default_days_move_an_open_partnership_default_deadline(self, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        assert moments(row) == DEFAULT_DUE
        moved = change_calendar(
            partnership=banwell.partnership, changed_by=banwell.admin, default_stage_working_days=3, now=CHANGED
        )
        assert moved == 1
        assert moments(row) == (london(2026, 3, 5, 17), london(2026, 3, 4, 9))
        banwell.partnership.refresh_from_db()
        assert banwell.partnership.default_stage_working_days == 3

    def test_one_audit_event_for_the_partnership_says_what_changed_and_how_many_moved(self, banwell):
        banwell.raise_dispute(now=RAISED)
        banwell.raise_dispute(now=RAISED)
        change_calendar(
            partnership=banwell.partnership,
            changed_by=banwell.admin,
            default_stage_working_days=3,
            close_of_business=datetime.time(16, 30),
            nation=Nation.ENGLAND_AND_WALES,  # as it was: not a change
            now=CHANGED,
        )
        event = AuditEvent.objects.get(action="partnership.calendar_changed")
        assert (event.actor, event.partnership, event.at) == (banwell.admin, banwell.partnership, CHANGED)
        assert event.before == {"default_stage_working_days": 5, "close_of_business": "17:00"}
        assert event.after == {"default_stage_working_days": 3, "close_of_business": "16:30", "deadlines_moved": 2}
        # Each dispute's own trail says why its deadline moved.
        moved = AuditEvent.objects.filter(action="deadline.recomputed")
        assert moved.count() == 2
        assert all(e.actor == banwell.admin and "default working days" in e.after["reason"] for e in moved)

    def test_a_new_close_of_business_moves_the_due_moment(self, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        change_calendar(
            partnership=banwell.partnership,
            changed_by=banwell.admin,
            close_of_business=datetime.time(16, 30),
            now=CHANGED,
        )
        assert moments(row) == (london(2026, 3, 9, 16, 30), london(2026, 3, 6, 9))

    def test_a_new_nation_brings_its_bank_holidays(self, bcssp):
        # Raised Thursday 2 April 2026; BCSSP stage 1 is 2 working days. Good Friday is a holiday everywhere,
        # Easter Monday only in England: Wednesday 8 April in England, Tuesday 7 April in Scotland.
        row = stage_1(bcssp.raise_dispute(now=london(2026, 4, 2, 10)))
        assert moments(row)[0] == london(2026, 4, 8, 17)
        change_calendar(
            partnership=bcssp.partnership, changed_by=bcssp.admin, nation=Nation.SCOTLAND, now=london(2026, 4, 2, 11)
        )
        assert moments(row) == (london(2026, 4, 7, 17), london(2026, 4, 6, 9))
        event = AuditEvent.objects.get(action="partnership.calendar_changed")
        assert (event.before, event.after) == ({"nation": "ENG"}, {"nation": "SCT", "deadlines_moved": 2})

    def test_closed_and_missed_deadlines_and_other_partnerships_are_not_moved(self, banwell, world_for):
        open_row = stage_1(banwell.raise_dispute(now=RAISED))
        withdrawn = banwell.raise_dispute(now=RAISED)
        services.withdraw_dispute(dispute=withdrawn, withdrawn_by=banwell.teacher, reason="Sorted.", now=RAISED)
        closed_row = withdrawn.deadlines.get(rule__name="stage-1")
        missed = banwell.raise_dispute(now=london(2026, 2, 23, 10))  # due Monday 2 March 17:00
        sweep(now=london(2026, 3, 2, 17, 1))
        missed_row = missed.deadlines.get(rule__name="stage-1")
        assert missed_row.breached_at is not None
        other = world_for("banwell-buddies", "ELSE")
        other_row = stage_1(other.raise_dispute(now=RAISED))

        moved = change_calendar(
            partnership=banwell.partnership, changed_by=banwell.admin, default_stage_working_days=8, now=CHANGED
        )
        assert moved == 1
        assert moments(open_row)[0] == london(2026, 3, 12, 17)
        assert moments(closed_row) == DEFAULT_DUE
        assert moments(missed_row)[0] == london(2026, 3, 2, 17)
        assert moments(other_row) == DEFAULT_DUE

    def test_a_reminder_already_sent_goes_again_for_a_later_moment(self, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        sweep(now=london(2026, 3, 6, 9, 1))
        row.refresh_from_db()
        assert row.reminded_at is not None
        change_calendar(
            partnership=banwell.partnership,
            changed_by=banwell.admin,
            default_stage_working_days=7,
            now=london(2026, 3, 6, 10),
        )
        row.refresh_from_db()
        assert (row.due_at, row.remind_at, row.reminded_at) == (london(2026, 3, 11, 17), london(2026, 3, 10, 9), None)

    def test_nothing_changed_writes_nothing(self, banwell):
        banwell.raise_dispute(now=RAISED)
        assert change_calendar(partnership=banwell.partnership, changed_by=banwell.admin, now=CHANGED) == 0
        moved = change_calendar(
            partnership=banwell.partnership, changed_by=banwell.admin, default_stage_working_days=5, now=CHANGED
        )
        assert moved == 0
        assert not AuditEvent.objects.filter(action="partnership.calendar_changed").exists()

    @pytest.mark.parametrize("days", [0, 61, "3"])
    def test_an_impossible_default_is_refused(self, banwell, days):
        with pytest.raises(ActionRefused, match="from 1 to 60"):
            change_calendar(
                partnership=banwell.partnership, changed_by=banwell.admin, default_stage_working_days=days, now=CHANGED
            )
        banwell.partnership.refresh_from_db()
        assert banwell.partnership.default_stage_working_days == 5

    @pytest.mark.parametrize("who", ["business_manager", "chair", "teacher"])
    def test_only_an_admin_of_the_partnership_may(self, banwell, world_for, who):
        other = world_for("banwell-buddies", "ELSE")
        for person in (getattr(banwell, who), other.admin):
            with pytest.raises(ActionRefused, match="Only an admin of this partnership"):
                change_calendar(
                    partnership=banwell.partnership, changed_by=person, default_stage_working_days=3, now=CHANGED
                )
        banwell.partnership.refresh_from_db()
        assert banwell.partnership.default_stage_working_days == 5


class TestClosureDays:
    def test_adding_moving_and_removing_a_closure_day_move_the_deadline_each_time(self, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        closure = add_closure_day(
            partnership=banwell.partnership,
            date=datetime.date(2026, 3, 4),
            reason="Training",
            changed_by=banwell.admin,
            now=CHANGED,
        )
        assert moments(row) == (london(2026, 3, 10, 17), london(2026, 3, 9, 9))
        change_closure_day(
            closure_day=closure,
            date=datetime.date(2026, 3, 20),
            reason="Training",
            changed_by=banwell.admin,
            now=CHANGED,
        )
        assert moments(row) == DEFAULT_DUE
        assert remove_closure_day(closure_day=closure, changed_by=banwell.admin, now=CHANGED) == 0
        assert not ClosureDay.objects.exists()
        events = {e.action: e for e in AuditEvent.objects.filter(partnership=banwell.partnership, actor=banwell.admin)}
        assert events["closure_day.added"].after == {"date": "2026-03-04", "reason": "Training", "deadlines_moved": 1}
        assert events["closure_day.changed"].before == {"date": "2026-03-04", "reason": "Training"}
        assert events["closure_day.changed"].after["deadlines_moved"] == 1
        assert events["closure_day.removed"].before == {"date": "2026-03-20", "reason": "Training"}

    def test_a_day_already_closed_is_refused(self, banwell):
        add_closure_day(
            partnership=banwell.partnership, date=datetime.date(2026, 3, 4), changed_by=banwell.admin, now=CHANGED
        )
        with pytest.raises(ActionRefused, match="already a closure day"):
            add_closure_day(
                partnership=banwell.partnership, date=datetime.date(2026, 3, 4), changed_by=banwell.admin, now=CHANGED
            )

    def test_only_an_admin_of_the_partnership_may(self, banwell):
        with pytest.raises(ActionRefused, match="Only an admin of this partnership"):
            add_closure_day(
                partnership=banwell.partnership,
                date=datetime.date(2026, 3, 4),
                changed_by=banwell.business_manager,
                now=CHANGED,
            )
        assert not ClosureDay.objects.exists()


class TestTheAdmin:
    """Saving the partnership's page (or a closure day's) in the Django admin goes through the services."""

    def partnership_form(self, partnership, **changes) -> dict:
        data = {
            "name": partnership.name,
            "nation": partnership.nation,
            "policy": partnership.policy_id,
            "close_of_business": partnership.close_of_business.strftime("%H:%M:%S"),
            "default_stage_working_days": partnership.default_stage_working_days,
            "urgent_contacts": partnership.urgent_contacts,
            "retention_days": partnership.retention_days,
            "closure_days-MIN_NUM_FORMS": "0",
            "closure_days-MAX_NUM_FORMS": "1000",
        }
        closures = list(partnership.closure_days.order_by("date"))
        for index, closure in enumerate(closures):
            data |= {
                f"closure_days-{index}-id": closure.pk,
                f"closure_days-{index}-partnership": partnership.pk,
                f"closure_days-{index}-date": closure.date.isoformat(),
                f"closure_days-{index}-reason": closure.reason,
            }
        data["closure_days-TOTAL_FORMS"] = data["closure_days-INITIAL_FORMS"] = str(len(closures))
        return data | changes

    def post(self, client, partnership, data) -> None:
        response = client.post(reverse("admin:agencies_partnership_change", args=[partnership.pk]), data)
        assert response.status_code == 302, response.content.decode()[:3000]

    def test_changing_the_default_days_moves_the_open_deadline_and_is_audited(self, client, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        login(client, banwell.admin)
        self.post(client, banwell.partnership, self.partnership_form(banwell.partnership, default_stage_working_days=3))
        assert moments(row) == (london(2026, 3, 5, 17), london(2026, 3, 4, 9))
        event = AuditEvent.objects.get(action="partnership.calendar_changed")
        assert (event.actor, event.partnership) == (banwell.admin, banwell.partnership)
        assert event.before == {"default_stage_working_days": 5}
        assert event.after == {"default_stage_working_days": 3, "deadlines_moved": 1}

    def test_saving_the_page_unchanged_moves_nothing_and_audits_nothing(self, client, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        login(client, banwell.admin)
        self.post(client, banwell.partnership, self.partnership_form(banwell.partnership, urgent_contacts="Call 999"))
        assert moments(row) == DEFAULT_DUE
        assert not AuditEvent.objects.filter(action__startswith="partnership.").exists()

    def test_a_closure_day_added_with_a_new_close_of_business_moves_it_for_both(self, client, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        login(client, banwell.admin)
        data = self.partnership_form(banwell.partnership, close_of_business="16:30:00")
        data |= {
            "closure_days-TOTAL_FORMS": "1",
            "closure_days-0-partnership": banwell.partnership.pk,
            "closure_days-0-date": "2026-03-04",
            "closure_days-0-reason": "Staff training",
        }
        self.post(client, banwell.partnership, data)
        # Tue 3 (1), Wed 4 closed, Thu 5 (2), Fri 6 (3), Mon 9 (4), Tue 10 (5) at 16:30
        assert moments(row) == (london(2026, 3, 10, 16, 30), london(2026, 3, 9, 9))
        actions = list(AuditEvent.objects.filter(actor=banwell.admin).values_list("action", flat=True))
        assert actions.count("partnership.calendar_changed") == actions.count("closure_day.added") == 1

    def test_removing_a_closure_day_on_the_partnerships_page_moves_it_back(self, client, banwell):
        ClosureDay.objects.create(partnership=banwell.partnership, date=datetime.date(2026, 3, 4), reason="Inset")
        row = stage_1(banwell.raise_dispute(now=RAISED))
        assert row.due_at == london(2026, 3, 10, 17)
        login(client, banwell.admin)
        data = self.partnership_form(banwell.partnership, **{"closure_days-0-DELETE": "on"})
        self.post(client, banwell.partnership, data)
        assert not banwell.partnership.closure_days.exists()
        assert moments(row) == DEFAULT_DUE
        event = AuditEvent.objects.get(action="closure_day.removed")
        assert event.before["date"] == "2026-03-04" and event.after["deadlines_moved"] == 1

    def test_a_closure_day_added_and_deleted_on_its_own_page_moves_it(self, client, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        login(client, banwell.admin)
        response = client.post(
            reverse("admin:agencies_closureday_add"),
            {"partnership": banwell.partnership.pk, "date": "2026-03-04", "reason": "Inset"},
        )
        assert response.status_code == 302
        assert moments(row)[0] == london(2026, 3, 10, 17)
        closure = ClosureDay.objects.get(partnership=banwell.partnership)
        response = client.post(reverse("admin:agencies_closureday_delete", args=[closure.pk]), {"post": "yes"})
        assert response.status_code == 302
        assert moments(row)[0] == london(2026, 3, 9, 17)
        assert AuditEvent.objects.filter(action="closure_day.added", actor=banwell.admin).count() == 1
        assert AuditEvent.objects.filter(action="closure_day.removed", actor=banwell.admin).count() == 1

    def test_a_default_of_no_working_days_is_refused_on_the_form(self, client, banwell):
        row = stage_1(banwell.raise_dispute(now=RAISED))
        login(client, banwell.admin)
        response = client.post(
            reverse("admin:agencies_partnership_change", args=[banwell.partnership.pk]),
            self.partnership_form(banwell.partnership, default_stage_working_days=0),
        )
        assert response.status_code == 200
        assert "from 1 to 60" in response.content.decode()
        assert moments(row) == DEFAULT_DUE

    def test_a_closure_day_moved_on_its_own_page_moves_it_and_keeps_its_partnership(self, client, banwell):
        closure = ClosureDay.objects.create(partnership=banwell.partnership, date=datetime.date(2026, 3, 4))
        row = stage_1(banwell.raise_dispute(now=RAISED))
        login(client, banwell.admin)
        url = reverse("admin:agencies_closureday_change", args=[closure.pk])
        assert 'name="partnership"' not in client.get(url).content.decode()
        response = client.post(url, {"date": "2026-03-20", "reason": "Moved"})
        assert response.status_code == 302
        assert moments(row) == DEFAULT_DUE
        event = AuditEvent.objects.get(action="closure_day.changed")
        assert (event.before, event.after) == (
            {"date": "2026-03-04", "reason": ""},
            {"date": "2026-03-20", "reason": "Moved", "deadlines_moved": 1},
        )
