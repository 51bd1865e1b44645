"""今日待回访 and 逾期未回访 on the home page are different sets (issue 17, item 5): today's are
due today (or to be retried today) and not late; late ones are past their deadline. Each figure
counts the rows of the list it links to."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from callbacks.models import CallbackPolicy, CallbackStatus
from callbacks.services import callback_record, callbacks_mark_overdue
from tests.callbacks.factories import CallbackTaskFactory
from tests.clock import local_at
from tests.customers.factories import CustomerFactory

from .test_figure_links import figures_of, measured

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 7)


def _task(store, specialist, due_at: datetime):
    customer = CustomerFactory(store=store, assigned_to=specialist)
    return CallbackTaskFactory(customer=customer, triggered_at=local_at("09:00", day=date(2026, 7, 1)),
                               due_at=due_at)


@pytest.fixture
def tasks(store, specialist):
    CallbackPolicy.objects.create(store=store, retry_after_hours=4)
    swept = _task(store, specialist, local_at("16:00", day=date(2026, 7, 15)))
    callbacks_mark_overdue(now=local_at("09:00", day=date(2026, 7, 16)))
    unswept = _task(store, specialist, local_at("09:30", day=DAY))  # past due, sweep not yet run
    later_today = _task(store, specialist, local_at("16:00", day=DAY))
    retried = _task(store, specialist, local_at("16:00", day=DAY, days=2))
    callback_record(task=retried, by=specialist, reached=False, now=local_at("09:00", day=DAY))
    _task(store, specialist, local_at("16:00", day=DAY, days=2))  # not today's, not late
    swept.refresh_from_db()
    assert swept.status == CallbackStatus.OVERDUE
    return {"late": {swept.pk, unswept.pk}, "today": {later_today.pk, retried.pk}}


def test_home_today_and_overdue_are_disjoint_and_each_equals_its_list(client, specialist, tasks,
                                                                      time_machine):
    time_machine.move_to(local_at("10:00", day=DAY), tick=False)
    client.force_login(specialist)
    html = client.get(reverse("home")).content.decode()
    figures = {f["name"]: f for f in figures_of(html)}
    assert figures["callbacks-today"]["value"] == "2"
    assert figures["callbacks-overdue"]["value"] == "2"
    for name in ("callbacks-today", "callbacks-overdue"):
        figure = figures[name]
        assert measured(client, figure["hrefs"][0], figure["measure"]) == Decimal(figure["value"])
    today = client.get(reverse("callbacks:list"), {"view": "today"}).context["page"]
    overdue = client.get(reverse("callbacks:list"), {"view": "overdue"}).context["page"]
    assert {t.pk for t in today.object_list} == tasks["today"]
    assert {t.pk for t in overdue.object_list} == tasks["late"]


def test_the_list_shows_when_a_retried_task_is_called_again(client, specialist, tasks,
                                                            time_machine):
    time_machine.move_to(local_at("10:00", day=DAY), tick=False)
    client.force_login(specialist)
    html = client.get(reverse("callbacks:list"), {"view": "today"}).content.decode()
    assert 'data-testid="retry-at"' in html and "2026-12-07 14:00" in html
