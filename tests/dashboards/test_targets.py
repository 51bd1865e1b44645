"""Monthly targets (L152) and targets against actuals, against the hand-computed March of
conftest.py (its table lists the orders, payments, stages and targets).

Actuals for 2025-03, by hand:
  orders       A, D, F = 3        (B cancelled, C February)      sales1 1, sales2 1, manager 1
  revenue      2000+4000 (A) + 3000−1000 (B) + 3000 (C) + 500 (F) = 11500
               sales1 8000, sales2 3000, manager 500; D's deposit is April's
  upsell       500 + 1200 (A) + 800 (C) = 2500, all sel1 (B cancelled, C's gown February)
  performance  A: 6000 × 60% = 3600 photo1, × 40% = 2400 mua1; C: 5000 × 60% = 3000 photo1
               photo1 6600, mua1 2400 = 9000
  departments  门市部 orders 2, revenue 11000; 选片 upsell 2500; 摄影部 6600; 化妆部 2400;
               未归属部门 (the manager) orders 1, revenue 500
Targets (set on 02-20): store 10 / 50000 / 10000 / 30000; 门市部 8 / 40000 / 0 / 0;
选片 upsell 10000; sales1 5 / 20000; photo1 performance 12000.
Rates: store 30.0% 23.0% 25.0% 30.0%; 门市部 25.0% 27.5%; sales1 20.0% 40.0%; photo1 55.0%.
Time elapsed at NOW (03-20 12:00): 20/31 = 64.5%.
"""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards.selectors import target_vs_actual
from orders.services import payment_record, stage_complete
from staff.models import Department, DepartmentKind, MonthlyTarget, Role
from staff.targets import next_month, target_month_check, target_set
from studio.errors import DomainError
from tests.factories import PackageFactory

from .conftest import MARCH, NOW, at, make_order

D = Decimal
pytestmark = pytest.mark.django_db


def figures(row) -> tuple:
    a = row.actual
    return (a.orders, a.revenue, a.upsell, a.performance)


def rates(row) -> tuple:
    return tuple(row.rate_of(m) for m in ("orders", "revenue", "upsell", "performance"))


def test_the_store_total_and_its_rates(march):
    t = target_vs_actual(march.store, MARCH, now=NOW)
    assert figures(t["store_row"]) == (3, D("11500.00"), D("2500.00"), D("9000.00"))
    assert rates(t["store_row"]) == (30.0, 23.0, 25.0, 30.0)
    assert t["elapsed"] == 64.5
    assert t["targets_count"] == 5


def test_departments_add_up_the_people_and_the_rest_is_shown_apart(march):
    t = target_vs_actual(march.store, MARCH, now=NOW)
    by_name = {r.label: r for r in t["departments"]}
    assert figures(by_name["门市部"]) == (2, D("11000.00"), 0, 0)
    assert rates(by_name["门市部"])[:2] == (25.0, 27.5)
    assert figures(by_name["选片部"]) == (0, 0, D("2500.00"), 0)
    assert rates(by_name["选片部"]) == (None, None, 25.0, None)  # only the upsell was set
    assert figures(by_name["摄影部"]) == (0, 0, 0, D("6600.00"))
    assert by_name["摄影部"].target is None
    assert figures(by_name["化妆部"]) == (0, 0, 0, D("2400.00"))
    assert figures(t["other"]) == (1, D("500.00"), 0, 0)  # the manager has no department
    assert [r.kind for r in t["summary_rows"]] == ["store"] + ["department"] * 4 + ["other"]


def test_each_person(march):
    t = target_vs_actual(march.store, MARCH, now=NOW)
    people = {r.person.username: r for r in t["people"]}
    assert set(people) == {"sales1", "sales2", "sel1", "photo1", "mua1", "manager"}
    assert figures(people["sales1"]) == (1, D("8000.00"), 0, 0)
    assert rates(people["sales1"])[:2] == (20.0, 40.0)
    assert figures(people["sales2"]) == (1, D("3000.00"), 0, 0)
    assert people["sales2"].target is None
    assert figures(people["sel1"]) == (0, 0, D("2500.00"), 0)
    assert figures(people["photo1"]) == (0, 0, 0, D("6600.00"))
    assert rates(people["photo1"])[3] == 55.0
    assert figures(people["mua1"]) == (0, 0, 0, D("2400.00"))
    assert figures(people["manager"]) == (1, D("500.00"), 0, 0)
    # People are listed by department (sales, selection, photography, makeup), then the rest.
    assert [r.person.username for r in t["people"]][-1] == "manager"


def test_another_store_and_other_months_are_outside(march, other_store):
    feb = target_vs_actual(march.store, date(2025, 2, 1), now=NOW)
    assert figures(feb["store_row"]) == (1, D("2000.00"), D("400.00"), 0)  # C booked, paid, gown
    april = target_vs_actual(march.store, date(2025, 4, 1), now=NOW)
    assert figures(april["store_row"]) == (0, D("1000.00"), 0, 0)  # D's deposit after midnight
    assert april["store_row"].target is None and april["elapsed"] == 0.0
    far = target_vs_actual(other_store, MARCH, now=NOW)
    assert figures(far["store_row"]) == (1, D("9999.00"), 0, 0)


def test_the_revenue_chart_is_cumulative_and_stops_today(march):
    chart = target_vs_actual(march.store, MARCH, now=NOW)["chart"]
    revenue = chart["revenue"]
    assert len(revenue["days"]) == 31 and revenue["days"][0] == "03-01"
    assert revenue["actual"][0] == 3000.0  # C's balance, paid five minutes after midnight
    assert revenue["actual"][19] == 3000 + 2000 + 3000 + 500 + 4000  # by 03-20
    assert revenue["actual"][20] is None  # the future is not drawn
    assert revenue["planned"][-1] == 50000.0
    assert chart["rates"] == [30.0, 23.0, 25.0, 30.0] and chart["elapsed"] == 64.5


def test_target_vs_actual_takes_a_fixed_number_of_queries(march, django_assert_num_queries):
    with django_assert_num_queries(8):
        target_vs_actual(march.store, MARCH, now=NOW)
    package = PackageFactory(name="轻奢婚纱照")
    for i in range(5):
        order = make_order(march.store, package, march.people["sales2"], at(3, 2 + i), 3000 + i)
        payment_record(order=order, kind="deposit", amount=1000, received_by=march.people["sales2"],
                       paid_at=at(3, 2 + i))
        stage_complete(order=order, kind="gown", by=march.people["sel1"], at=at(3, 3 + i),
                       assigned_to=march.people["sel1"], extra_amount=100)
    with django_assert_num_queries(8):
        bigger = target_vs_actual(march.store, MARCH, now=NOW)
    assert figures(bigger["store_row"]) == (8, D("16500.00"), D("3000.00"), D("9000.00"))


# ---- target_set: when a month may be set ----------------------------------------------------

def test_setting_a_month_again_replaces_its_row(march, manager, general_manager):
    result = target_set(by=general_manager, store=march.store, month=date(2025, 4, 1),
                        revenue_target="60000", now=at(3, 10))
    assert result.created and result.warnings == []
    again = target_set(by=manager, store=march.store, month=date(2025, 4, 1),
                       revenue_target="65000.5", orders_target=12, now=at(3, 11))
    assert not again.created and again.target.pk == result.target.pk
    row = MonthlyTarget.objects.get(pk=result.target.pk)
    assert (row.revenue_target, row.orders_target, row.set_by, row.set_at) == (
        D("65000.50"), 12, manager, at(3, 11))


def test_after_the_25th_next_month_is_still_set_but_with_a_warning(march, manager):
    assert target_month_check(by=manager, month=date(2025, 4, 1), now=at(3, 25, 23)) == []
    result = target_set(by=manager, store=march.store, month=date(2025, 4, 1),
                        orders_target=9, now=at(3, 26, 9))
    assert result.target.pk and len(result.warnings) == 1 and "25" in result.warnings[0]
    # A month further ahead is not late.
    assert target_month_check(by=manager, month=date(2025, 5, 1), now=at(3, 28)) == []


def test_a_running_month_may_be_corrected_by_the_store_manager_and_the_gm_with_a_warning(
        march, manager, general_manager):
    # Issue 17 item 10: the store manager sets their own store's running month too.
    mine = target_set(by=manager, store=march.store, month=MARCH, orders_target=1, now=NOW)
    assert len(mine.warnings) == 1
    result = target_set(by=general_manager, store=march.store, month=MARCH, orders_target=12,
                        now=NOW)
    assert len(result.warnings) == 1
    assert target_vs_actual(march.store, MARCH, now=NOW)["store_row"].rate_of("orders") == 25.0


def test_a_past_month_is_refused_to_everyone(march, manager, general_manager):
    for who in (manager, general_manager):
        with pytest.raises(DomainError) as refused:
            target_set(by=who, store=march.store, month=date(2025, 2, 1), orders_target=1,
                       now=NOW)
        assert refused.value.code == "target_month_past"


@pytest.mark.parametrize("bad", [
    {"month": date(2025, 4, 2)},
    {"revenue_target": "-1"},
    {"orders_target": "x"},
    {"upsell_target": "abc"},
])
def test_bad_input_is_refused(march, manager, bad):
    kwargs = {"month": date(2025, 4, 1), **bad}
    with pytest.raises(ValidationError):
        target_set(by=manager, store=march.store, now=NOW, **kwargs)
    assert not MonthlyTarget.objects.filter(month__gte=date(2025, 4, 1)).exists()


def test_a_target_is_for_a_department_or_a_person_of_the_store(march, manager, other_store,
                                                                 staff_of):
    april = {"by": manager, "store": march.store, "month": date(2025, 4, 1), "now": NOW}
    with pytest.raises(ValidationError):
        target_set(department=march.depts["sales"], person=march.people["sales1"], **april)
    far_dept = Department.objects.create(store=other_store, kind=DepartmentKind.SALES, name="门市部")
    with pytest.raises(ValidationError):
        target_set(department=far_dept, **april)
    with pytest.raises(ValidationError):
        target_set(person=staff_of(Role.FRONT_DESK, other_store).user, **april)


def test_a_store_manager_sets_only_their_own_stores_targets(march, other_manager):
    with pytest.raises(PermissionDenied):
        target_set(by=other_manager, store=march.store, month=date(2025, 4, 1), orders_target=1,
                   now=NOW)


def test_the_database_keeps_one_row_per_store_department_and_person(march, manager):
    base = {"store": march.store, "month": MARCH, "set_by": manager, "set_at": NOW}
    for extra in ({}, {"department": march.depts["sales"]}, {"person": march.people["sales1"]}):
        with pytest.raises(IntegrityError), transaction.atomic():
            MonthlyTarget.objects.create(**base, **extra)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyTarget.objects.create(**{**base, "month": date(2025, 5, 1)},
                                     department=march.depts["sales"], person=march.people["sales1"])


# ---- pages ----------------------------------------------------------------------------------

def test_the_targets_page_shows_the_hand_computed_figures(client, march, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:targets"), {"month": "2025-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥11,500.00" in html and "¥50,000.00" in html and "23.0%" in html
    assert "27.5%" in html and "55.0%" in html and "未归属部门" in html
    assert 'id="targets-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert 'data-testid="targets-edit"' not in html  # the supervisor only looks


def test_the_targets_page_says_a_past_month_is_closed_to_the_manager(client, march, manager):
    client.force_login(manager)
    html = client.get(reverse("dashboards:targets"), {"month": "2025-03"}).content.decode()
    assert 'data-testid="targets-locked"' in html and 'data-testid="targets-edit"' not in html


@pytest.mark.clock
def test_the_manager_hands_down_a_coming_month_in_one_form(client, march, manager):
    month = next_month(next_month(timezone.localdate().replace(day=1)))  # never late
    client.force_login(manager)
    url = reverse("dashboards:target_edit") + f"?month={month:%Y-%m}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("store", f"d{march.depts['sales'].pk}", f"p{march.people['sales1'].pk}"):
        assert f'data-testid="grid-{key}"' in html
    sales, s1 = march.depts["sales"].pk, march.people["sales1"].pk
    response = client.post(url, {"store-orders": "20", "store-revenue": "88000",
                                 f"d{sales}-revenue": "70000", f"p{s1}-orders": "6",
                                 f"p{s1}-revenue": "30000.50"})
    assert response.status_code == 302
    assert response.url == reverse("dashboards:targets") + f"?month={month:%Y-%m}"
    saved = {(t.department_id, t.person_id): t for t in MonthlyTarget.objects.filter(month=month)}
    assert set(saved) == {(None, None), (sales, None), (None, s1)}
    assert (saved[(None, None)].orders_target, saved[(None, None)].revenue_target) == (20, D("88000"))
    assert saved[(None, s1)].revenue_target == D("30000.50")
    assert saved[(None, s1)].set_by == manager
    # Saving the page again untouched writes nothing; a cleared row is set to 0.
    client.post(url, {"store-orders": "20", "store-revenue": "88000.00",
                      f"d{sales}-revenue": "70000", f"p{s1}-orders": "", f"p{s1}-revenue": ""})
    person = MonthlyTarget.objects.get(month=month, person_id=s1)
    assert (person.orders_target, person.revenue_target) == (0, D("0"))


@pytest.mark.clock
def test_a_bad_number_keeps_the_whole_form_unsaved(client, march, manager):
    month = next_month(next_month(timezone.localdate().replace(day=1)))
    client.force_login(manager)
    url = reverse("dashboards:target_edit") + f"?month={month:%Y-%m}"
    response = client.post(url, {"store-orders": "20", "store-revenue": "-5"})
    assert response.status_code == 200
    assert not MonthlyTarget.objects.filter(month=month).exists()


@pytest.mark.clock
def test_the_running_month_is_posted_by_the_store_manager(client, march, manager):
    month = timezone.localdate().replace(day=1)
    client.force_login(manager)
    url = reverse("dashboards:target_edit") + f"?month={month:%Y-%m}"
    assert 'data-testid="target-edit-locked"' not in client.get(url).content.decode()
    response = client.post(url, {"store-orders": "20"})
    assert response.status_code == 302
    assert MonthlyTarget.objects.get(month=month, department=None, person=None).orders_target == 20


@pytest.mark.parametrize(("who", "view", "status"), [
    ("specialist", "targets", 403), ("specialist", "target_edit", 403),
    ("supervisor", "targets", 200), ("supervisor", "target_edit", 403),
    ("front_desk", "targets", 403),
    ("manager", "targets", 200), ("manager", "target_edit", 200),
    ("general_manager", "target_edit", 200),
])
def test_who_may_see_and_set_targets(client, request, march, who, view, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(f"dashboards:{view}")).status_code == status


def test_a_store_manager_cannot_open_another_stores_targets(client, march, other_manager, manager,
                                                             general_manager, other_store):
    client.force_login(manager)
    assert client.get(reverse("dashboards:targets"), {"store": other_store.pk}).status_code == 400
    client.force_login(general_manager)
    response = client.get(reverse("dashboards:targets"), {"store": other_store.pk, "month": "2025-03"})
    assert response.status_code == 200 and "¥9,999.00" in response.content.decode()


def test_the_targets_page_takes_a_fixed_number_of_queries(client, march, supervisor):
    client.force_login(supervisor)
    url = reverse("dashboards:targets")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"month": "2025-03"}).status_code == 200
    package = PackageFactory(name="轻奢婚纱照")
    for i in range(4):
        order = make_order(march.store, package, march.people["sales2"], at(3, 2 + i), 3000)
        payment_record(order=order, kind="deposit", amount=100, received_by=march.people["sales2"],
                       paid_at=at(3, 2 + i))
    with CaptureQueriesContext(connection) as bigger:
        client.get(url, {"month": "2025-03"})
    assert len(bigger.captured_queries) == len(small.captured_queries)
