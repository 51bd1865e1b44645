"""The supervisor's and the manager's dashboards: figures, fixed query counts, who sees what.

The supervisor's fixture, NOW = 2025-03-20 12:00 local (a Thursday; this week began 03-17).
Store 人民路店; a = specialist_a, b = specialist_b, s = the supervisor.

  callbacks  T1 a pending due 03-20 18:00      today
             T2 a pending due 03-19 10:00      today, overdue (before the sweep marks it)
             T3 a overdue  due 03-18 10:00     today, overdue
             T4 b pending  due 03-21 10:00     open only
             T5 -  pending due 03-20 09:00     unassigned: today, overdue
             T6 a done                         not counted
             T7 s pending  due 03-22 10:00     open, the supervisor's own (not a specialist)
             T8 滨江店, pending, overdue       another store
  → a 3 today / 2 overdue / 3 open; b 0 / 0 / 1; s 0 / 0 / 1; unassigned 1 / 1 / 1;
    totals 4 today, 3 overdue, 6 open.
  services   O1 (a) gown booked 03-19 10:00 → late; O2 (a) gown done, shoot booked 03-18 → late;
             O3 (a) gown booked 03-25 → not late; O4 (a, cancelled) gown booked 03-10 → not counted;
             so 1 late gown, 1 late shoot; the sweep gives a two open follow-ups.
  customers  a holds 4 (O1-O4), b holds 1.
  complaints registered 03-20 09:00 (today), 03-19 (1-2 days), 03-10 (7 days and more, past its
             step's deadline); investigating since 03-16 (3-6 days); rejected 03-18 (closed);
             滨江店 registered 03-19 (another store).
  answers    week 03-17: 03-17 00:30 satisfied (03-16 UTC), 03-18 satisfied, 03-19 dissatisfied
             → 3 answers, 66.7%; week 03-10: 03-11 satisfied → 100.0%; week 03-03: 03-03
             average → 0.0%; 01-20 satisfied (before the eight weeks), an unreached call and
             滨江店's answer are not counted. Eight weeks: 5 answers, 3 satisfied = 60.0%.
"""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CallbackRecord, CallbackStatus
from complaints.models import Complaint
from complaints.services import complaint_judge
from dashboards.selectors import manager_dashboard, supervisor_dashboard
from membership.models import MemberAccount
from orders.services import late_stages_find, order_cancel, order_create, stage_complete, stage_schedule
from staff.models import Department, DepartmentKind
from tests.callbacks.factories import CallbackTaskFactory
from tests.complaints.factories import ComplaintFactory
from tests.factories import CustomerFactory, PackageFactory

from .conftest import MARCH
from .conftest import NOW as MARCH_NOW

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(3, 20, 12)


def _task(customer, assigned_to, due_at, status=CallbackStatus.PENDING, store=None):
    """A holiday campaign's call, due at `due_at` (three days after it was raised)."""
    return CallbackTaskFactory(customer=customer, assigned_to=assigned_to, status=status,
                               triggered_at=due_at - timedelta(days=3), due_at=due_at,
                               store=store or customer.store)


def _answer(task, by, when, satisfaction="satisfied", reached=True):
    return CallbackRecord.objects.create(task=task, by=by, called_at=when, reached=reached,
                                         satisfaction=satisfaction if reached else "")


@pytest.fixture
def team(store, other_store, specialist, other_specialist, supervisor, front_desk, staff_of):
    package = PackageFactory(name="经典婚纱照")
    a, b, s = specialist, other_specialist, supervisor
    held = [CustomerFactory(store=store, assigned_to=a, name=f"客户{i}") for i in range(4)]
    b_customer = CustomerFactory(store=store, assigned_to=b, name="客户B")
    far_customer = CustomerFactory(store=other_store, name="滨江客户")
    far_specialist = staff_of("specialist", other_store, user__username="far_specialist").user

    orders = [order_create(customer=c, package=package, by=front_desk, at=at(3, 1)) for c in held]
    booked = at(3, 1)
    stage_schedule(order=orders[0], kind="gown", at=at(3, 19), by=front_desk, now=booked)
    stage_complete(order=orders[1], kind="gown", by=front_desk, at=at(3, 5))
    stage_schedule(order=orders[1], kind="shoot", at=at(3, 18), by=front_desk, now=booked)
    stage_schedule(order=orders[2], kind="gown", at=at(3, 25), by=front_desk, now=booked)
    stage_schedule(order=orders[3], kind="gown", at=at(3, 10), by=front_desk, now=booked)
    order_cancel(order=orders[3], by=front_desk, reason="客户取消")
    late_stages_find(now=NOW)

    tasks = {
        "T1": _task(held[0], a, at(3, 20, 18)),
        "T2": _task(held[1], a, at(3, 19)),
        "T3": _task(held[2], a, at(3, 18), CallbackStatus.OVERDUE),
        "T4": _task(b_customer, b, at(3, 21)),
        "T5": _task(held[3], None, at(3, 20, 9)),
        "T6": _task(held[0], a, at(3, 15), CallbackStatus.DONE),
        "T7": _task(b_customer, s, at(3, 22)),
        "T8": _task(far_customer, far_specialist, at(3, 10), CallbackStatus.OVERDUE),
    }
    done = tasks["T6"]
    _answer(done, a, at(3, 17, 0, 30))
    _answer(done, a, at(3, 18))
    _answer(done, a, at(3, 19), "dissatisfied")
    _answer(done, b, at(3, 11))
    _answer(done, b, at(3, 3), "average")
    _answer(done, b, at(1, 20))
    _answer(done, a, at(3, 19, 15), reached=False)
    _answer(tasks["T8"], far_specialist, at(3, 19), "dissatisfied")

    department = Department.objects.create(store=store, kind=DepartmentKind.CUSTOMER_SERVICE,
                                           name="客服部")

    def complaint(received_at, customer=held[0], store_=store, by=a):
        return ComplaintFactory(store=store_, by=by, customer=customer,
                                category="service_attitude", content="接待不热情",
                                received_at=received_at)

    complaint(at(3, 20, 9))
    complaint(at(3, 19))
    old = complaint(at(3, 10))
    investigating = complaint(at(3, 16))
    complaint_judge(complaint=investigating, by=a, valid=True, reason="属实", department=department,
                    promised_at=timezone.now() + timedelta(days=2))
    rejected = complaint(at(3, 18))
    complaint_judge(complaint=rejected, by=a, valid=False, reason="误会", explanation="已解释")
    complaint(at(3, 19), customer=far_customer, store_=other_store, by=far_specialist)
    # Deadlines by hand, not by the policy: only the oldest is past its step's deadline.
    Complaint.objects.update(step_due_at=at(3, 21))
    Complaint.objects.filter(pk=old.pk).update(step_due_at=at(3, 19))
    return {"a": a, "b": b, "s": s, "tasks": tasks, "orders": orders}


@pytest.mark.clock
def test_callbacks_per_specialist_and_their_load(team, supervisor, store):
    d = supervisor_dashboard(supervisor, store=store, now=NOW)
    rows = {r["user_id"]: r for r in d["specialists"]}
    a, b, s = team["a"].pk, team["b"].pk, team["s"].pk
    assert [(rows[u]["today"], rows[u]["overdue"], rows[u]["open"]) for u in (a, b, s)] == [
        (1, 2, 3), (0, 0, 1), (0, 0, 1)]  # today's and late are disjoint (issue 17)
    assert (rows[a]["customers"], rows[a]["followups"]) == (4, 2)
    assert (rows[b]["customers"], rows[b]["followups"]) == (1, 0)
    assert rows[s].get("not_specialist") and rows[s]["customers"] is None
    assert d["callbacks"] == {"today": 1, "overdue": 3, "open": 6, "unassigned": 1,
                              "unassigned_today": 0, "unassigned_overdue": 1}
    assert sorted(d["chart"]["load"]["today"]) == [0, 0, 1]
    assert len(d["chart"]["load"]["names"]) == 3


@pytest.mark.clock
def test_late_services_by_stage(team, supervisor, store):
    late = supervisor_dashboard(supervisor, store=store, now=NOW)["late"]
    assert {r["kind"]: r["count"] for r in late["rows"]} == {
        "gown": 1, "shoot": 1, "selection": 0, "pickup": 0}
    assert late["total"] == 2


@pytest.mark.clock
def test_open_complaints_by_step_and_age(team, supervisor, store):
    c = supervisor_dashboard(supervisor, store=store, now=NOW)["complaints"]
    rows = {r["status"]: r for r in c["rows"]}
    assert [a["count"] for a in rows["registered"]["ages"]] == [1, 1, 0, 1]
    assert (rows["registered"]["total"], rows["registered"]["late"]) == (3, 1)
    assert [a["count"] for a in rows["investigating"]["ages"]] == [0, 0, 1, 0]
    assert c["total"]["total"] == 4 and [a["count"] for a in c["total"]["ages"]] == [1, 1, 1, 1]
    # The age buckets are the archive's date filters.
    assert [(b["start"], b["end"]) for b in c["buckets"]] == [
        (at(3, 20).date(), at(3, 20).date()), (at(3, 18).date(), at(3, 19).date()),
        (at(3, 14).date(), at(3, 17).date()), (None, at(3, 13).date())]


@pytest.mark.clock
def test_weekly_satisfaction_by_local_week(team, supervisor, store):
    d = supervisor_dashboard(supervisor, store=store, now=NOW)
    trend = d["trend"]
    assert len(trend) == 8 and trend[0]["start"] == at(1, 27).date()
    assert trend[-1]["start"] == at(3, 17).date() and trend[-1]["end"] == at(3, 23).date()
    assert [(w["answers"], w["satisfied"], w["rate"]) for w in trend[-3:]] == [
        (1, 0, 0.0), (1, 1, 100.0), (3, 2, 66.7)]
    assert all(w["answers"] == 0 and w["rate"] is None for w in trend[:-3])
    assert d["satisfaction"] == {"answers": 5, "rate": 60.0}
    assert d["chart"]["trend"]["rates"][-3:] == [0.0, 100.0, 66.7]


@pytest.mark.clock
def test_the_supervisor_dashboard_takes_six_queries_however_much_there_is(
        team, supervisor, store, django_assert_num_queries):
    # The sixth counts the calls waiting to become complaints (待转投诉).
    with django_assert_num_queries(6):
        supervisor_dashboard(supervisor, store=store, now=NOW)
    for i in range(6):
        customer = CustomerFactory(store=store, assigned_to=team["b"])
        task = _task(customer, team["b"], at(3, 10 + i), CallbackStatus.OVERDUE)
        _answer(task, team["b"], at(3, 10 + i))
        ComplaintFactory(store=store, by=team["a"], customer=customer, category="price",
                         content="价格", received_at=at(3, 1 + i))
    with django_assert_num_queries(6):
        d = supervisor_dashboard(supervisor, store=store, now=NOW)
    assert d["callbacks"]["overdue"] == 9 and d["complaints"]["total"]["total"] == 10


# ---- the manager's dashboard, on the March of conftest.py -----------------------------------

def test_orders_revenue_and_balances(march, manager):
    d = manager_dashboard(manager, store=march.store, month=MARCH, now=MARCH_NOW)
    assert d["orders"] == {"booked": 3, "booked_amount": D("13000.00"), "cancelled": 1,
                           "active": 4, "owing": 4, "owed": D("8400.00")}
    revenue = {r["kind"]: r["amount"] for r in d["revenue"]["rows"]}
    assert revenue == {"deposit": D("5500.00"), "balance": D("7000.00"), "addon": D("0.00"),
                       "refund": D("1000.00")}
    assert d["revenue"]["net"] == D("11500.00") == d["targets"]["store_row"].actual.revenue
    assert d["revenue"]["count"] == 6


def test_stage_funnel_and_time_spent_in_each_stage(march, manager):
    d = manager_dashboard(manager, store=march.store, month=MARCH, now=MARCH_NOW)
    stages = {s["kind"]: s for s in d["stages"]}
    assert {k: s["waiting"] for k, s in stages.items()} == {
        "order": None, "gown": 2, "shoot": 0, "selection": 0, "pickup": 2}
    assert {k: s["done"] for k, s in stages.items()} == {
        "order": 3, "gown": 1, "shoot": 2, "selection": 2, "pickup": 0}
    # gown A 03-03→03-08; shoot A 03-08→03-10 (2 d), C 02-28 10:00→03-01 09:00 (23 h);
    # selection A 03-10→03-15 (5 d), C 03-01 09:00→03-18 10:00 (17 d 1 h).
    assert {k: s["avg_days"] for k, s in stages.items()} == {
        "order": None, "gown": 5.0, "shoot": 1.5, "selection": 11.0, "pickup": None}
    assert d["chart"]["funnel"] == [{"name": "定单", "value": 3}, {"name": "拍摄", "value": 1},
                                    {"name": "选片", "value": 1}, {"name": "取件", "value": 0}]
    assert stages["gown"]["reached"] == 1


def test_targets_complaints_and_points_are_the_other_reports_figures(march, manager, staff_of):
    customer = march.orders["A"].customer
    register = staff_of("specialist").user
    for received_at in (at(3, 5), at(2, 5)):
        ComplaintFactory(store=march.store, by=register, customer=customer, category="price",
                         content="价格", received_at=received_at)
    d = manager_dashboard(manager, store=march.store, month=MARCH, now=MARCH_NOW)
    assert d["complaints"]["overall"]["total"] == 1 and d["complaints"]["overall"]["open"] == 1
    assert d["chart"]["complaints"] == [{"name": "价格/收费", "value": 1}]
    assert d["targets"]["store_row"].rate_of("revenue") == 23.0
    outstanding = sum(MemberAccount.objects.filter(customer__store=march.store)
                      .values_list("points_balance", flat=True))
    assert d["points"]["outstanding"] == outstanding


def test_the_manager_dashboard_takes_a_fixed_number_of_queries(march, manager,
                                                               django_assert_num_queries):
    with django_assert_num_queries(27):
        manager_dashboard(manager, store=march.store, month=MARCH, now=MARCH_NOW)
    package = PackageFactory(name="轻奢婚纱照")
    for i in range(5):
        order = order_create(customer=CustomerFactory(store=march.store), package=package,
                             by=manager, at=at(3, 2 + i))
        stage_complete(order=order, kind="gown", by=manager, at=at(3, 4 + i), extra_amount=50)
    with django_assert_num_queries(27):
        d = manager_dashboard(manager, store=march.store, month=MARCH, now=MARCH_NOW)
    assert {s["kind"]: s["waiting"] for s in d["stages"]}["shoot"] == 5


# ---- pages: who sees what, and a fixed number of queries ------------------------------------

@pytest.mark.parametrize(("who", "supervisor_page", "manager_page"), [
    ("specialist", 403, 403),
    ("front_desk", 403, 403),
    ("supervisor", 200, 403),
    ("manager", 200, 200),
    ("general_manager", 200, 200),
])
def test_who_may_open_each_dashboard(client, request, store, who, supervisor_page, manager_page):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("dashboards:supervisor")).status_code == supervisor_page
    assert client.get(reverse("dashboards:manager")).status_code == manager_page


def test_a_supervisor_sees_their_own_store_only(client, supervisor, store, other_store):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:supervisor"))
    assert response.context["store"] == store
    # Another store's figures: refused with the reason (staff.scoping.store_for), not own store.
    assert client.get(reverse("dashboards:supervisor"), {"store": other_store.pk}).status_code == 400


def test_a_store_manager_sees_their_own_store_only(client, manager, store, other_store):
    client.force_login(manager)
    assert client.get(reverse("dashboards:manager")).context["store"] == store
    assert client.get(reverse("dashboards:manager"), {"store": other_store.pk}).status_code == 400


def test_a_general_manager_picks_any_store(client, general_manager, store, other_store):
    client.force_login(general_manager)
    for name in ("supervisor", "manager"):
        response = client.get(reverse(f"dashboards:{name}"), {"store": other_store.pk})
        assert response.status_code == 200 and response.context["store"] == other_store
        assert 'id="dashboard-store"' in response.content.decode()  # the store picker
    assert client.get(reverse("dashboards:manager"), {"store": 99999}).status_code == 400


@pytest.mark.clock
def test_the_supervisor_page_links_every_figure_to_its_list(client, team, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:supervisor")).content.decode()
    for href in (reverse("callbacks:list") + "?view=today", reverse("callbacks:list") + "?view=overdue",
                 reverse("orders:late"), reverse("complaints:archive") + "?status=registered",
                 reverse("callbacks:summary") + "?start=", reverse("orders:assignment"),
                 reverse("orders:stage_list", args=["gown"]) + "?state=late"):
        assert f'href="{href}' in html, href
    assert 'id="dashboard-data"' in html and "vendor/echarts/echarts.min.js" in html


def test_the_manager_page_shows_the_month_and_links_its_figures(client, march, manager):
    client.force_login(manager)
    response = client.get(reverse("dashboards:manager"), {"month": "2025-03"})
    html = response.content.decode()
    assert response.context["month"] == MARCH
    assert "¥11,500.00" in html and "¥8,400.00" in html
    for href in (reverse("orders:stage_list", args=["order"]) + "?state=all",
                 reverse("orders:stage_list", args=["order"]) + "?state=all&owing=yes",
                 reverse("dashboards:targets") + "?month=2025-03",
                 reverse("complaints:statistics") + "?start=2025-03-01&end=2025-03-31",
                 reverse("membership:statistics") + "?start=2025-03-01&end=2025-03-31"):
        assert f'href="{href}' in html, href
    assert 'id="dashboard-data"' in html and 'id="chart-funnel"' in html


def test_the_dashboards_menu_follows_the_permissions(client, specialist, supervisor, manager):
    client.force_login(specialist)
    assert 'data-testid="nav-dashboards"' not in client.get(reverse("home")).content.decode()
    client.force_login(supervisor)
    html = client.get(reverse("home")).content.decode()
    assert reverse("dashboards:supervisor") in html and reverse("dashboards:targets") in html
    assert reverse("dashboards:manager") not in html
    client.force_login(manager)
    html = client.get(reverse("home")).content.decode()
    assert all(reverse(f"dashboards:{n}") in html for n in ("supervisor", "manager", "targets"))


def _page_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.clock
def test_the_dashboard_pages_take_a_fixed_number_of_queries(client, march, manager, staff_of):
    client.force_login(manager)
    supervisor_url, manager_url = reverse("dashboards:supervisor"), reverse("dashboards:manager")
    small = (_page_queries(client, supervisor_url, {}),
             _page_queries(client, manager_url, {"month": "2025-03"}))
    package = PackageFactory(name="轻奢婚纱照")
    specialist = staff_of("specialist", user__username="more_specialist").user
    for i in range(4):
        customer = CustomerFactory(store=march.store, assigned_to=specialist)
        order = order_create(customer=customer, package=package, by=manager, at=at(3, 2 + i))
        stage_complete(order=order, kind="gown", by=manager, at=at(3, 4 + i))
        _task(customer, specialist, timezone.now() - timedelta(hours=i + 1))
    assert (_page_queries(client, supervisor_url, {}),
            _page_queries(client, manager_url, {"month": "2025-03"})) == small
