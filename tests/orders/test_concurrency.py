"""Races that only a real database shows (select_for_update does nothing on SQLite)."""
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from orders.models import LateFollowUp, Order
from orders.services import late_stages_find, payment_record, stage_schedule

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _in_threads(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # collected and asserted by the test
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.clock
def test_concurrent_late_sweeps_raise_each_follow_up_once(order, front_desk):
    at = timezone.now() + timedelta(minutes=1)
    stage_schedule(order=order, kind="gown", at=at, by=front_desk)
    results = _in_threads(4, lambda: late_stages_find(now=at + timedelta(hours=1)))
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(results) == 1
    assert LateFollowUp.objects.count() == 1


def test_concurrent_refunds_never_take_back_more_than_was_paid(order, front_desk):
    payment_record(order=order, kind="deposit", amount=Decimal("1000"), received_by=front_desk)
    results = _in_threads(5, lambda: payment_record(order=order, kind="refund",
                                                    amount=Decimal("400"),
                                                    received_by=front_desk))
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 3
    order = Order.objects.get(pk=order.pk)
    assert order.paid_total == Decimal("200.00")


def test_sixteen_concurrent_payments_get_sixteen_receipt_numbers_without_gap(
        customer, package, front_desk, other_store, staff_of):
    """Payments on 16 orders of one store at once (and on another store's order beside them):
    the store's year runs 1…16, each number once; the other store starts its own at 1."""
    from orders.models import Receipt
    from orders.services import order_create
    from tests.customers.factories import CustomerFactory

    orders = [order_create(customer=CustomerFactory(store=customer.store), package=package,
                           by=front_desk) for _ in range(16)]
    far_desk = staff_of("front_desk", other_store).user
    theirs = order_create(customer=CustomerFactory(store=other_store), package=package, by=far_desk)
    queue = list(orders)
    lock = threading.Lock()

    def pay():
        with lock:
            target = queue.pop()
        return payment_record(order=target, kind="deposit", amount=Decimal("100"),
                              received_by=front_desk)

    results = _in_threads(16, pay)
    assert not [r for r in results if isinstance(r, Exception)], results
    payment_record(order=theirs, kind="deposit", amount=Decimal("100"), received_by=far_desk)
    mine = Receipt.objects.filter(store=customer.store)
    assert sorted(mine.values_list("serial", flat=True)) == list(range(1, 17))
    assert mine.values("number").distinct().count() == 16
    assert Receipt.objects.get(store=other_store).serial == 1
