"""Parallel redemptions and a payment posted twice at once, on PostgreSQL's row locks."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from membership.models import MemberAccount
from membership.services import member_card_issue, points_adjust, points_for_payment, points_redeem
from orders.services import payment_record
from tests.orders.test_concurrency import _in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def account(customer, front_desk, supervisor):
    member_card_issue(customer=customer, number="VIPC01", by=front_desk)
    account = MemberAccount.objects.get(customer=customer)
    points_adjust(account=account, points=5, by=supervisor, reason="开卡礼")
    return account


def test_twenty_parallel_redemptions_never_overdraw_a_balance_of_five(account, front_desk):
    results = _in_threads(20, lambda: points_redeem(account=account, points=1, by=front_desk,
                                                    note="兑换"))
    assert sum(not isinstance(r, Exception) for r in results) == 5
    assert all(isinstance(r, ValidationError) for r in results if isinstance(r, Exception))
    account.refresh_from_db()
    assert account.points_balance == 0
    assert account.entries.aggregate(s=Sum("points"))["s"] == 0


def test_the_same_payment_posted_in_parallel_earns_once(account, order, front_desk):
    from membership.services import on_payment_recorded
    from orders.signals import payment_recorded

    payment_recorded.disconnect(dispatch_uid="membership.on_payment")  # the threads post it
    try:
        payment = payment_record(order=order, kind="deposit", amount=1000, received_by=front_desk)
    finally:
        payment_recorded.connect(on_payment_recorded, dispatch_uid="membership.on_payment")
    assert not account.entries.filter(payment=payment).exists()
    results = _in_threads(8, lambda: points_for_payment(payment_id=payment.pk))
    assert [r for r in results if isinstance(r, Exception)] == []
    account.refresh_from_db()
    assert account.points_balance == 1005
    assert account.entries.filter(payment=payment).count() == 1
