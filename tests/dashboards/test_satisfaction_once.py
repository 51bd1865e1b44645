"""Issue 17 item 8: satisfaction is computed once, by the call's time.

The 回访总结报告 counted the answers of the callbacks *triggered* in the period, the supervisor
dashboard the calls *made* in it: for 11-30..12-06 one said 0 %, the other 100 %. The fixture
is built so that the two definitions differ; both pages must now give the same rate.

  task  triggered       called               answer
  T1    11-20 (before)  12-02 10:00 (week)   satisfied
  T2    12-01 (week)    12-07 09:00 (after)  dissatisfied
  T3    12-02 (week)    12-03 15:00 (week)   average
  T4    11-25 (before)  11-29 23:30 (before, the Sunday before: local date) satisfied

By the call's time the week 11-30..12-06 has T1 and T3: 2 answers, 50.0 %.
(By the trigger it would have been T2 and T3: 0.0 %.)
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from callbacks.models import CallbackRecord
from callbacks.selectors import callbacks_visible_to
from callbacks.summary import SATISFACTION_NOTE, callback_summary
from dashboards.selectors import supervisor_dashboard
from orders.selectors import stages_visible_to
from tests.callbacks.factories import CallbackTaskFactory
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)  # a Monday
MONDAY, SUNDAY = date(2026, 11, 30), date(2026, 12, 6)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calls(store, specialist, time_machine):
    time_machine.move_to(NOW, tick=False)
    for triggered, called, answer in [(at(11, 20), at(12, 2), "satisfied"),
                                      (at(12, 1), at(12, 7, 9), "dissatisfied"),
                                      (at(12, 2), at(12, 3, 15), "average"),
                                      (at(11, 25), at(11, 29, 23, 30), "satisfied")]:
        task = CallbackTaskFactory(customer=CustomerFactory(store=store), assigned_to=specialist,
                                   triggered_at=triggered, due_at=triggered)
        CallbackRecord.objects.create(task=task, by=specialist, called_at=called, reached=True,
                                      satisfaction=answer)
    # A call not reached has no answer, whenever it was made.
    CallbackRecord.objects.create(task=task, by=specialist, called_at=at(12, 4), reached=False)


def test_the_report_and_the_dashboard_give_the_same_week_the_same_rate(calls, store, supervisor):
    report = callback_summary(tasks=callbacks_visible_to(supervisor).filter(store=store),
                              stages=stages_visible_to(supervisor).filter(store=store),
                              start=MONDAY, end=SUNDAY, now=NOW)["satisfaction"]
    week = next(w for w in supervisor_dashboard(supervisor, store=store, now=NOW)["trend"]
                if w["start"] == MONDAY)
    assert (report.answers, report.satisfied, report.satisfied_rate) == (2, 1, 50.0)
    assert (week["answers"], week["satisfied"], week["rate"]) == (2, 1, 50.0)


def test_both_pages_show_the_same_rate_and_state_the_definition(client, calls, supervisor):
    client.force_login(supervisor)
    report = client.get(reverse("callbacks:summary"),
                        {"start": f"{MONDAY:%Y-%m-%d}", "end": f"{SUNDAY:%Y-%m-%d}"})
    dashboard = client.get(reverse("dashboards:supervisor"))
    assert report.status_code == dashboard.status_code == 200
    assert report.context["summary"]["satisfaction"].satisfied_rate == 50.0
    [week] = [w for w in dashboard.context["d"]["trend"] if w["start"] == MONDAY]
    assert week["rate"] == 50.0
    note = str(SATISFACTION_NOTE)
    for page in (report, dashboard):
        html = page.content.decode()
        assert "50.0%" in html
        assert f'<p class="small text-muted" data-testid="satisfaction-note">{note}</p>' in html


def test_the_dashboard_s_weeks_are_the_reports_weeks(calls, store, supervisor):
    """Every week of the trend equals the report for that week (same answers, same rate)."""
    tasks = callbacks_visible_to(supervisor).filter(store=store)
    stages = stages_visible_to(supervisor).filter(store=store)
    for week in supervisor_dashboard(supervisor, store=store, now=NOW)["trend"]:
        report = callback_summary(tasks=tasks, stages=stages, start=week["start"],
                                  end=week["end"], now=NOW)["satisfaction"]
        assert (report.answers, report.satisfied, report.satisfied_rate) == (
            week["answers"], week["satisfied"], week["rate"]), week["start"]
