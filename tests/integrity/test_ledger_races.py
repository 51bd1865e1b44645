"""Points, cashback and payments under a crowd: 16 threads released together by a barrier
against one balance, 20 runs each, on PostgreSQL's row locks. Never overdrawn, the kept balance
always equals its ledger's sum (and the running balance on each entry), and an event with an
idempotency key (a payment's points, a referral reward) applies once however many post it."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from membership.models import (
    CashbackStatus,
    MemberAccount,
    MembershipPolicy,
    PointsEntry,
    ReferralCashback,
    ReferralReward,
)
from membership.reconcile import reconcile_ledgers
from membership.services import (
    cashback_pay,
    points_for_payment,
    points_redeem,
    referral_reward_for_payment,
)
from orders.models import Order, Payment
from orders.services import payment_record
from tests.factories import CustomerFactory

from .conftest import in_threads, lost_messages, new_member, new_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
THREADS, RUNS = 16, 20


def assert_points_in_step(account: MemberAccount) -> None:
    account.refresh_from_db()
    entries = list(PointsEntry.objects.filter(account=account).order_by("pk"))
    assert account.points_balance >= 0
    assert account.points_balance == sum(e.points for e in entries)
    assert account.points_balance == sum(e.remaining for e in entries)
    running = 0
    for entry in entries:  # written one at a time under the account's lock, in id order
        running += entry.points
        assert entry.balance_after == running >= 0


def _deposit_without_rewards(world, order, amount) -> Payment:
    with lost_messages():  # the threads post the rewards themselves
        return payment_record(order=order, kind="deposit", amount=amount,
                              received_by=world.front_desk)


def test_redemptions_and_keyed_rewards_racing_on_one_balance(world):
    MembershipPolicy.objects.create(store=world.store, referral_reward=ReferralReward.POINTS,
                                    referral_points=30)
    for run in range(RUNS):
        account = new_member(world, points=10)
        own_order = new_order(world)
        Order.objects.filter(pk=own_order.pk).update(customer=account.customer)
        own = _deposit_without_rewards(world, own_order, Decimal("20"))  # earns 20 points
        referred = new_order(world, referrer=account.customer)
        referral = _deposit_without_rewards(world, referred, Decimal("500"))  # rewards 30

        def work(i: int, account=account, own=own, referral=referral):
            if i < 10:
                return points_redeem(account=account, points=1 + i % 4, by=world.front_desk,
                                     note="兑换")
            if i < 13:
                return points_for_payment(payment_id=own.pk)
            return referral_reward_for_payment(payment_id=referral.pk)

        results = in_threads(THREADS, work)
        unexpected = [r for r in results if isinstance(r, Exception)
                      and not isinstance(r, ValidationError)]
        assert unexpected == [], f"run {run}"
        posted = [r for r in results if isinstance(r, PointsEntry)]
        assert sum(r is None for r in results) == 4, f"run {run}: 2 keys × 3 threads, 4 repeats"
        assert PointsEntry.objects.filter(key=f"payment:{own.pk}").count() == 1
        assert PointsEntry.objects.filter(key=f"referral:order:{referred.pk}").count() == 1
        redeemed = -sum(e.points for e in posted if e.points < 0)
        assert_points_in_step(account)
        assert account.points_balance == 10 + 20 + 30 - redeemed, f"run {run}"
    assert reconcile_ledgers(now=own.paid_at) == []


def test_a_referral_cashback_is_owed_once_and_paid_once(world):
    MembershipPolicy.objects.create(store=world.store, referral_reward=ReferralReward.CASHBACK,
                                    referral_cashback=Decimal("200"))
    for run in range(RUNS):
        referrer = CustomerFactory(store=world.store)
        order = new_order(world, referrer=referrer)
        deposit = _deposit_without_rewards(world, order, Decimal("1000"))

        owed = in_threads(THREADS,
                          lambda i, d=deposit: referral_reward_for_payment(payment_id=d.pk))
        assert [r for r in owed if isinstance(r, Exception)] == [], f"run {run}"
        assert sum(isinstance(r, ReferralCashback) for r in owed) == 1, f"run {run}"
        cashback = ReferralCashback.objects.get(order=order)
        assert (cashback.referrer, cashback.amount) == (referrer, Decimal("200.00"))

        paid = in_threads(THREADS,
                          lambda i, c=cashback: cashback_pay(cashback=c, by=world.front_desk))
        assert sum(isinstance(r, ReferralCashback) for r in paid) == 1, f"run {run}"
        assert all(isinstance(r, ValidationError) for r in paid
                   if not isinstance(r, ReferralCashback)), f"run {run}"
        cashback.refresh_from_db()
        assert cashback.status == CashbackStatus.PAID and cashback.paid_by == world.front_desk
    assert ReferralCashback.objects.count() == RUNS


def test_payments_and_refunds_racing_on_one_order_never_overdraw_it(world):
    for run in range(RUNS):
        account = new_member(world)
        order = new_order(world)
        Order.objects.filter(pk=order.pk).update(customer=account.customer)
        payment_record(order=order, kind="deposit", amount=Decimal("1000"),
                       received_by=world.front_desk)  # earns 1000 points on commit

        def work(i: int, order=order):
            kind, amount = ("refund", Decimal("300")) if i % 2 else ("balance", Decimal("100"))
            return payment_record(order=order, kind=kind, amount=amount,
                                  received_by=world.front_desk)

        results = in_threads(THREADS, work)
        assert all(isinstance(r, Payment | ValidationError) for r in results), f"run {run}"
        refunds = sum(isinstance(r, Payment) and r.kind == "refund" for r in results)
        order.refresh_from_db()
        ledger = sum(p.signed_amount for p in order.payments.all())
        assert order.paid_total == ledger == Decimal("1800") - 300 * refunds >= 0, f"run {run}"
        # Each payment's points posted on its commit, in its own thread: once each.
        assert (PointsEntry.objects.filter(account=account, payment__isnull=False)
                .values("payment").distinct().count()) == order.payments.count()
        assert_points_in_step(account)
    assert reconcile_ledgers(now=order.updated_at) == []
