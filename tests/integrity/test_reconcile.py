"""The nightly reconciliation: balances kept in step against their ledgers. Clean books report
nothing; a hand-corrupted balance is logged at ERROR and recorded once; it closes when fixed."""
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from membership.models import MemberAccount, PointsEntry, ReconciliationIssue, ReconciliationKind
from membership.reconcile import reconcile_ledgers
from membership.services import points_adjust, points_expire, points_redeem
from orders.models import Order
from orders.services import payment_record

from .conftest import new_member, new_order

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def books(world):
    """A member who earned, redeemed and was refunded; an order paid and partly refunded."""
    account = new_member(world, points=500)
    points_redeem(account=account, points=120, by=world.front_desk, note="兑换相框")
    order = new_order(world)
    payment_record(order=order, kind="deposit", amount=Decimal("2000"), received_by=world.front_desk)
    payment_record(order=order, kind="refund", amount=Decimal("300"), received_by=world.front_desk)
    return account, order


def test_books_kept_by_the_services_reconcile(books):
    assert reconcile_ledgers(now=timezone.now()) == []
    assert not ReconciliationIssue.objects.exists()


def test_a_hand_corrupted_points_balance_is_reported_once_and_closed_when_fixed(books, caplog):
    account, _order = books
    MemberAccount.objects.filter(pk=account.pk).update(points_balance=F("points_balance") + 50)
    with caplog.at_level(logging.ERROR, logger="membership.reconcile"):
        found = reconcile_ledgers(now=timezone.now())
    assert {(d.kind, d.object_id, d.kept, d.ledger) for d in found} == {
        (ReconciliationKind.POINTS_BALANCE, account.pk, Decimal(430), Decimal(380)),
        (ReconciliationKind.POINTS_REMAINING, account.pk, Decimal(430), Decimal(380)),
    }
    assert sum(r.levelno == logging.ERROR for r in caplog.records) == 2
    reconcile_ledgers(now=timezone.now())  # the next night: the same difference, not a new row
    assert ReconciliationIssue.objects.filter(resolved_at__isnull=True).count() == 2

    MemberAccount.objects.filter(pk=account.pk).update(points_balance=380)
    assert reconcile_ledgers(now=timezone.now()) == []
    assert not ReconciliationIssue.objects.filter(resolved_at__isnull=True).exists()


def test_an_entry_edited_by_hand_shows_as_unspent_points_out_of_step(books):
    account, _order = books
    entry = PointsEntry.objects.filter(account=account, remaining__gt=0).first()
    PointsEntry.objects.filter(pk=entry.pk).update(remaining=F("remaining") - 10)
    [difference] = reconcile_ledgers(now=timezone.now())
    assert (difference.kind, difference.kept, difference.ledger) == (
        ReconciliationKind.POINTS_REMAINING, Decimal(380), Decimal(370))


def test_an_orders_paid_total_out_of_step_with_its_payments_is_reported(books):
    _account, order = books
    Order.objects.filter(pk=order.pk).update(paid_total=Decimal("2000.00"))
    [difference] = reconcile_ledgers(now=timezone.now())
    assert (difference.kind, difference.object_id, difference.kept, difference.ledger) == (
        ReconciliationKind.ORDER_PAID, order.pk, Decimal("2000.00"), Decimal("1700.00"))


def test_the_reconcile_command_prints_the_differences_and_fails(books, capsys):
    call_command("reconcile")
    assert "一致" in capsys.readouterr().out
    account, _order = books
    MemberAccount.objects.filter(pk=account.pk).update(points_balance=0)
    with pytest.raises(CommandError, match="2 处差异"):
        call_command("reconcile")
    assert f"#{account.pk}: 0 ≠ 380" in capsys.readouterr().out


def test_expiring_several_earnings_of_one_member_keeps_unspent_points_in_step(world):
    """Two earnings of one member expire in the same sweep: each expiry must use up its own
    earning, so what is left unspent still adds up to the balance."""
    account = new_member(world, points=100)
    points_adjust(account=account, points=40, by=world.supervisor, reason="活动赠送")
    points_adjust(account=account, points=25, by=world.supervisor, reason="生日礼")
    PointsEntry.objects.filter(account=account, points__in=[100, 40]).update(
        expires_at=timezone.now() - timedelta(days=1))
    points_expire(now=timezone.now())
    account.refresh_from_db()
    assert account.points_balance == 25
    assert reconcile_ledgers(now=timezone.now()) == []
