"""收款记录: the payment ledger behind the manager's revenue figures.

Times are local (Asia/Shanghai). 人民路店 (the store):
  order 1 (consultant: the front desk)   deposit 1000 wechat  03-01 10:00
                                         balance 2000 cash    03-15 10:00
                                         refund   300 wechat  03-20 10:00
  order 2 (consultant: the manager)      deposit  500 alipay  02-28 23:30 (February)
                                         addon    200 cash    03-31 23:59
滨江店: order 3                            deposit 9999 card    03-10 10:00
March at 人民路店: 4 payments, received 3200, refunded 300, net 2900.
"""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from orders.services import order_create, payment_record
from tests.factories import CustomerFactory
from tests.xlsx import rows_of

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = reverse("orders:payments")
MARCH = {"start": "2025-03-01", "end": "2025-03-31"}


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def ledger(store, other_store, package, front_desk, manager, staff_of):
    far = staff_of("front_desk", other_store, user__username="far_desk").user

    def order(store_, consultant, amount="6000"):
        return order_create(customer=CustomerFactory(store=store_), package=package,
                            by=consultant, consultant=consultant, amount=Decimal(amount),
                            at=at(2, 20))

    # Money in never exceeds what is owed: order 3 is sold at ¥12,000 for its ¥9,999 deposit.
    one, two = order(store, front_desk), order(store, manager)
    three = order(other_store, far, amount="12000")
    for o, kind, amount, method, when, by in [
        (one, "deposit", 1000, "wechat", at(3, 1), front_desk),
        (one, "balance", 2000, "cash", at(3, 15), front_desk),
        (one, "refund", 300, "wechat", at(3, 20), front_desk),
        (two, "deposit", 500, "alipay", at(2, 28, 23, 30), manager),
        (two, "addon", 200, "cash", at(3, 31, 23, 59), manager),
        (three, "deposit", 9999, "card", at(3, 10), far),
    ]:
        payment_record(order=o, kind=kind, amount=amount, method=method, paid_at=when,
                       received_by=by)
    return {"one": one, "two": two, "three": three}


def _amounts(response) -> list[Decimal]:
    return sorted(p.signed_amount for p in response.context["page"].object_list)


@pytest.mark.parametrize("who", ["specialist", "supervisor", "front_desk"])
def test_only_the_roles_that_see_revenue_may_open_it(client, request, ledger, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"export": "xlsx"}).status_code == 403


def test_a_store_manager_sees_their_own_store_only(client, ledger, manager, other_store):
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert _amounts(response) == [Decimal(x) for x in (-300, 200, 500, 1000, 2000)]
    assert client.get(URL, {"store": other_store.pk}).status_code == 400  # refused on the form
    assert 'data-testid="nav-payments"' in response.content.decode()


def test_a_general_manager_sees_every_store_and_picks_one(client, ledger, general_manager,
                                                          other_store):
    client.force_login(general_manager)
    assert client.get(URL).context["totals"]["count"] == 6
    response = client.get(URL, {"store": other_store.pk})
    assert _amounts(response) == [Decimal("9999.00")]
    assert client.get(URL, {"store": 99999}).status_code == 400


def test_the_total_row_adds_up_everything_the_filters_select(client, ledger, manager):
    client.force_login(manager)
    response = client.get(URL, MARCH)
    assert _amounts(response) == [Decimal(x) for x in (-300, 200, 1000, 2000)]  # not 02-28 23:30
    assert response.context["totals"] == {"count": 4, "received": Decimal("3200.00"),
                                           "refunded": Decimal("300.00"),
                                           "net": Decimal("2900.00")}
    html = response.content.decode()
    assert "¥2,900.00" in html and 'data-testid="payment-totals"' in html


@pytest.mark.parametrize(("params", "expected"), [
    ({"kind": "refund"}, [-300]),
    ({"method": "cash"}, [200, 2000]),
    ({"start": "2025-03-31", "end": "2025-03-31"}, [200]),  # 23:59 local is still the 31st
    ({"end": "2025-02-28"}, [500]),
    ({"kind": "deposit", "method": "wechat"}, [1000]),
])
def test_filters(client, ledger, manager, params, expected):
    client.force_login(manager)
    assert _amounts(client.get(URL, params)) == [Decimal(x) for x in expected]


def test_payments_by_consultant(client, ledger, manager, front_desk):
    client.force_login(manager)
    response = client.get(URL, {**MARCH, "consultant": front_desk.pk})
    assert response.context["totals"]["net"] == Decimal("2700.00")
    both = client.get(URL, {**MARCH, "consultant": [front_desk.pk, manager.pk]})
    assert both.context["totals"]["net"] == Decimal("2900.00")


def test_a_filter_that_is_not_valid_shows_nothing(client, ledger, manager):
    client.force_login(manager)
    response = client.get(URL, {"start": "2025-13-01"})
    assert response.status_code == 400 and response.context["totals"]["count"] == 0
    # Reversed dates are swapped (studio.periods.PeriodForm): the days between them are meant.
    assert client.get(URL, {"start": "2025-03-31", "end": "2025-03-01"}).context[
        "totals"]["count"] == client.get(URL, MARCH).context["totals"]["count"]


def test_the_list_takes_a_fixed_number_of_queries(client, ledger, manager, package, front_desk,
                                                  store, django_assert_num_queries):
    client.force_login(manager)
    client.get(URL, MARCH)  # warm the session
    with django_assert_num_queries(11):  # session, user, permissions (2), staff profile, the
        # store asked, count, total row, the page's store and consultant choices, rows
        assert client.get(URL, {**MARCH, "store": store.pk}).status_code == 200
    for i in range(60):  # more than a page
        order = order_create(customer=CustomerFactory(store=store), package=package,
                             by=front_desk, consultant=front_desk, amount=Decimal("100"),
                             at=at(3, 2))
        payment_record(order=order, kind="deposit", amount=10 + i, method="cash",
                       paid_at=at(3, 2, 12), received_by=front_desk)
    with django_assert_num_queries(11):
        response = client.get(URL, {**MARCH, "store": store.pk})
    assert response.context["totals"]["count"] == 64
    assert len(response.context["page"].object_list) == 50


def test_the_export_holds_the_same_rows(client, ledger, manager):
    client.force_login(manager)
    page = client.get(URL, MARCH)
    response = client.get(URL, {**MARCH, "export": "xlsx"})
    assert response.status_code == 200
    rows = rows_of(response)
    assert rows[0][0] == "收款时间" and rows[0][6] == "金额"
    assert sorted(Decimal(str(r[6])) for r in rows[1:]) == _amounts(page)
    assert sum(Decimal(str(r[6])) for r in rows[1:]) == Decimal("2900.00")
