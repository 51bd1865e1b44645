"""The points ledger and cards: sums equal balances, nothing counts twice, nothing overdraws."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from membership.models import (
    CardStatus,
    MemberAccount,
    MemberCard,
    PointsEntry,
    ReferralCashback,
)
from membership.services import (
    cashback_pay,
    member_card_issue,
    member_card_report_lost,
    member_card_revoke,
    member_cards_expire,
    points_adjust,
    points_expire,
    points_for_payment,
    points_redeem,
    referral_reward_for_payment,
)
from orders.services import order_cancel, order_create, payment_record
from studio.errors import TransitionNotAllowed
from tests.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(customer, front_desk):
    return MemberAccountFactory(customer=customer, number="VIP0001", by=front_desk)


def _pay(order, by, amount, kind="deposit", capture=None):
    with capture(execute=True):
        return payment_record(order=order, kind=kind, amount=Decimal(amount), received_by=by)


def _ledger_sum(account) -> int:
    return account.entries.aggregate(s=Sum("points"))["s"] or 0


def test_issuing_a_card_makes_the_customer_a_vip_member_on_the_first_tier(member, customer):
    customer.refresh_from_db()
    assert customer.is_vip and member.tier.name == "普通" and member.points_balance == 0


def test_a_duplicate_card_number_is_refused(member, store, front_desk):
    other = CustomerFactory(store=store)
    with pytest.raises(ValidationError) as err:
        member_card_issue(customer=other, number="VIP0001", by=front_desk)
    assert "number" in err.value.message_dict
    assert not MemberAccount.objects.filter(customer=other).exists()


def test_a_member_cannot_hold_two_active_cards(member, customer, front_desk):
    with pytest.raises(ValidationError):
        member_card_issue(customer=customer, number="VIP0002", by=front_desk)


def test_a_payment_earns_points_at_the_tier_rate_once(member, order, front_desk,
                                                      django_capture_on_commit_callbacks):
    payment = _pay(order, front_desk, "1999.50", capture=django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert member.points_balance == 1999  # floor(1999.50 × 1.00)
    assert points_for_payment(payment_id=payment.pk) is None  # the same event again: nothing
    member.refresh_from_db()
    assert member.points_balance == 1999 and member.entries.count() == 1


def test_a_refund_takes_back_the_points_it_earned(member, order, front_desk,
                                                  django_capture_on_commit_callbacks):
    _pay(order, front_desk, "3000", capture=django_capture_on_commit_callbacks)
    _pay(order, front_desk, "1000", kind="refund", capture=django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert (member.points_balance, member.total_spent) == (2000, Decimal("2000.00"))


def test_a_refund_after_redeeming_never_takes_the_balance_below_zero(
        member, order, front_desk, django_capture_on_commit_callbacks):
    _pay(order, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    points_redeem(account=member, points=900, by=front_desk, note="兑换相框")
    _pay(order, front_desk, "1000", kind="refund", capture=django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert member.points_balance == 0 and _ledger_sum(member) == 0


def test_redeeming_more_than_the_balance_is_refused_and_nothing_written(member, front_desk):
    with pytest.raises(ValidationError) as err:
        points_redeem(account=member, points=1, by=front_desk, note="x")
    assert "余额不足" in err.value.message_dict["points"][0]
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize("points", [0, -5, 1.5])
def test_a_redemption_must_be_a_positive_whole_number(member, front_desk, points):
    with pytest.raises(ValidationError):
        points_redeem(account=member, points=points, by=front_desk, note="x")


def test_only_a_supervisor_adjusts_points_and_with_a_reason(member, front_desk, supervisor):
    with pytest.raises(PermissionDenied):
        points_adjust(account=member, points=100, by=front_desk, reason="补录")
    with pytest.raises(ValidationError):
        points_adjust(account=member, points=100, by=supervisor, reason=" ")
    points_adjust(account=member, points=100, by=supervisor, reason="投诉补偿")
    with pytest.raises(ValidationError):
        points_adjust(account=member, points=-101, by=supervisor, reason="多扣")
    member.refresh_from_db()
    assert member.points_balance == 100


def test_the_tier_rises_when_spending_passes_its_threshold(member, order, front_desk,
                                                           django_capture_on_commit_callbacks):
    # Money in never exceeds what is owed: an order of ¥12,000 takes the ¥10,000.
    order = order_create(customer=member.customer, package=order.package, by=front_desk,
                         amount=Decimal("12000"))
    _pay(order, front_desk, "9999", capture=django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert member.tier.name == "普通"
    _pay(order, front_desk, "1", kind="balance", capture=django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert member.tier.name == "银卡"
    assert member.cards.get().events.filter(action="upgrade").exists()
    third = order_create(customer=member.customer, package=order.package, by=front_desk)
    payment = _pay(third, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    assert payment.points_entries.get().points == 1200  # silver earns 1.2 per ¥1


def test_a_non_member_earns_nothing(order, front_desk, django_capture_on_commit_callbacks):
    _pay(order, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    assert not PointsEntry.objects.exists()


@pytest.mark.clock
def test_unspent_points_expire_once_and_spent_ones_do_not(member, order, front_desk,
                                                          django_capture_on_commit_callbacks):
    _pay(order, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    points_redeem(account=member, points=300, by=front_desk, note="兑换")
    later = timezone.now() + timedelta(days=731)
    assert points_expire(now=later) == 1
    assert points_expire(now=later) == 0
    member.refresh_from_db()
    assert member.points_balance == 0
    assert member.entries.get(kind="expire").points == -700


def test_a_referral_deposit_rewards_the_referrer_once_per_order(
        member, store, package, front_desk, django_capture_on_commit_callbacks):
    friend = CustomerFactory(store=store, referrer=member.customer)
    order = order_create(customer=friend, package=package, by=front_desk)
    deposit = _pay(order, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    _pay(order, front_desk, "500", capture=django_capture_on_commit_callbacks)  # second deposit
    referral_reward_for_payment(payment_id=deposit.pk)  # redelivered
    member.refresh_from_db()
    assert list(member.entries.values_list("kind", "points")) == [("referral", 500)]


def test_a_referrer_without_a_card_is_owed_cashback(store, package, front_desk, customer,
                                                    django_capture_on_commit_callbacks):
    friend = CustomerFactory(store=store, referrer=customer)
    order = order_create(customer=friend, package=package, by=front_desk)
    _pay(order, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    _pay(order, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    cashback = ReferralCashback.objects.get()
    assert (cashback.referrer, cashback.amount, cashback.status) == (customer, Decimal("200.00"),
                                                                     "owed")


def test_cancelling_the_referred_order_cancels_the_cashback_not_yet_paid(
        store, package, front_desk, customer, manager, django_capture_on_commit_callbacks):
    friend = CustomerFactory(store=store, referrer=customer)
    owed = order_create(customer=friend, package=package, by=front_desk)
    _pay(owed, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    paid = order_create(customer=CustomerFactory(store=store, referrer=customer), package=package,
                        by=front_desk)
    _pay(paid, front_desk, "1000", capture=django_capture_on_commit_callbacks)
    cashback_pay(cashback=ReferralCashback.objects.get(order=paid), by=front_desk)
    order_cancel(order=owed, by=manager, reason="客户取消")
    order_cancel(order=paid, by=manager, reason="客户取消")
    assert dict(ReferralCashback.objects.values_list("order", "status")) == {
        owed.pk: "cancelled", paid.pk: "paid"}  # the money paid out has gone
    with pytest.raises(ValidationError, match="已取消"):
        cashback_pay(cashback=ReferralCashback.objects.get(order=owed), by=front_desk)


def test_a_lost_card_is_replaced_and_keeps_the_points(member, front_desk, supervisor):
    points_adjust(account=member, points=50, by=supervisor, reason="开卡礼")
    old = member.cards.get()
    new = member_card_report_lost(card=old, by=front_desk, new_number="VIP0009")
    old.refresh_from_db()
    assert (old.status, new.status, new.replaces, new.account) == (
        CardStatus.LOST, CardStatus.ACTIVE, old, member)
    with pytest.raises(TransitionNotAllowed):
        member_card_revoke(card=old, by=front_desk, reason="x")


def test_revoking_the_card_ends_vip_status(member, customer, front_desk):
    member_card_revoke(card=member.cards.get(), by=front_desk, reason="客户要求注销")
    customer.refresh_from_db()
    assert not customer.is_vip


@pytest.mark.clock
def test_cards_past_their_date_expire_set_based(member, customer, front_desk):
    MemberCard.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
    assert member_cards_expire(today=timezone.localdate()) == 1
    assert member_cards_expire(today=timezone.localdate()) == 0
    customer.refresh_from_db()
    assert not customer.is_vip


class _Ops:
    earn = st.integers(1, 5000).map(lambda n: ("earn", n))
    redeem = st.integers(1, 3000).map(lambda n: ("redeem", n))
    adjust = st.integers(-2000, 2000).filter(bool).map(lambda n: ("adjust", n))
    expire = st.just(("expire", 0))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.one_of(_Ops.earn, _Ops.redeem, _Ops.adjust, _Ops.expire), max_size=12))
@pytest.mark.clock
def test_the_ledger_sums_to_the_balance_after_any_sequence(store, front_desk, supervisor, package,
                                                           ops):
    customer = CustomerFactory(store=store)
    member_card_issue(customer=customer, number=f"P{customer.pk}", by=front_desk)
    account = MemberAccount.objects.get(customer=customer)
    order = order_create(customer=customer, package=package, by=front_desk)
    clock = timezone.now()
    for op, n in ops:
        try:
            if op == "earn":
                payment = payment_record(order=order, kind="addon", amount=n, received_by=front_desk)
                points_for_payment(payment_id=payment.pk)
            elif op == "redeem":
                points_redeem(account=account, points=n, by=front_desk, note="兑换")
            elif op == "adjust":
                points_adjust(account=account, points=n, by=supervisor, reason="调整")
            else:
                clock += timedelta(days=800)
                points_expire(now=clock)
        except ValidationError:
            pass  # refused: nothing written
        account.refresh_from_db()
        assert account.points_balance == _ledger_sum(account) >= 0
        unspent = account.entries.aggregate(s=Sum("remaining"))["s"] or 0
        assert unspent == account.points_balance


@pytest.mark.clock
def test_a_card_cannot_expire_before_it_is_issued(customer, front_desk):
    with pytest.raises(ValidationError) as err:
        member_card_issue(customer=customer, number="VIP0100", by=front_desk,
                          expires_on=timezone.localdate() - timedelta(days=1))
    assert "expires_on" in err.value.message_dict


def test_points_of_a_revoked_member_cannot_be_redeemed(member, front_desk, supervisor):
    points_adjust(account=member, points=100, by=supervisor, reason="开卡礼")
    member_card_revoke(card=member.cards.get(), by=front_desk, reason="注销")
    with pytest.raises(ValidationError):
        points_redeem(account=member, points=10, by=front_desk, note="x")
