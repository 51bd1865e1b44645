"""Nightly reconciliation: every balance kept in step with a ledger is compared with the sum of
that ledger — a member's points balance with their points entries (and with the points not yet
spent), an order's paid_total with its payments.

The services keep them equal under a row lock, so a difference means a write went around them
(a hand edit in the database, a half-applied fix, a bug). Each one is logged at ERROR and
recorded once as a ReconciliationIssue; an issue whose difference is gone is closed. Set-based:
one grouped query per ledger, whatever the number of rows; safe to run twice or at once.
"""
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from orders.models import Order, PaymentKind

from .models import MemberAccount, ReconciliationIssue, ReconciliationKind

logger = logging.getLogger(__name__)
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Difference:
    kind: str
    object_id: int
    kept: Decimal  # the balance as stored
    ledger: Decimal  # what the ledger adds up to

    def __str__(self) -> str:
        return (f"{ReconciliationKind(self.kind).label} #{self.object_id}: "
                f"{self.kept} ≠ {self.ledger}")


def ledger_differences() -> list[Difference]:
    """Every account and order whose kept balance differs from its ledger's sum."""
    found: list[Difference] = []
    accounts = (
        MemberAccount.objects.order_by()
        .annotate(ledger=Coalesce(Sum("entries__points"), Value(0), output_field=IntegerField()),
                  unspent=Coalesce(Sum("entries__remaining"), Value(0),
                                   output_field=IntegerField()))
        .filter(~Q(points_balance=F("ledger")) | ~Q(points_balance=F("unspent")))
        .values_list("pk", "points_balance", "ledger", "unspent")
    )
    for pk, balance, ledger, unspent in accounts:
        if balance != ledger:
            found.append(Difference(ReconciliationKind.POINTS_BALANCE, pk, Decimal(balance),
                                    Decimal(ledger)))
        if balance != unspent:
            found.append(Difference(ReconciliationKind.POINTS_REMAINING, pk, Decimal(balance),
                                    Decimal(unspent)))
    signed = Case(When(payments__kind=PaymentKind.REFUND, then=-F("payments__amount")),
                  default=F("payments__amount"), output_field=MONEY)
    orders = (
        Order.objects.order_by()
        .annotate(ledger=Coalesce(Sum(signed), Value(Decimal(0)), output_field=MONEY))
        .exclude(paid_total=F("ledger"))
        .values_list("pk", "paid_total", "ledger")
    )
    found += [Difference(ReconciliationKind.ORDER_PAID, pk, paid, ledger)
              for pk, paid, ledger in orders]
    return found


def reconcile_ledgers(*, now: datetime) -> list[Difference]:
    """Compare every kept balance with its ledger; log and record each difference (once), and
    close the recorded ones that are gone. Returns the differences found."""
    found = ledger_differences()
    current = {(d.kind, d.object_id, d.kept, d.ledger) for d in found}
    with transaction.atomic():
        gone = [pk for pk, *key in ReconciliationIssue.objects.filter(resolved_at__isnull=True)
                .values_list("pk", "kind", "object_id", "kept", "ledger")
                if tuple(key) not in current]
        ReconciliationIssue.objects.filter(pk__in=gone, resolved_at__isnull=True).update(
            resolved_at=now)
        # The partial unique constraint makes a difference found again (or by a second run at
        # the same time) the same row: ON CONFLICT DO NOTHING.
        ReconciliationIssue.objects.bulk_create(
            [ReconciliationIssue(kind=d.kind, object_id=d.object_id, kept=d.kept,
                                 ledger=d.ledger, found_at=now) for d in found],
            ignore_conflicts=True)
    for difference in found:
        logger.error("reconciliation: %s", difference)
    if gone:
        logger.warning("reconciliation: %d earlier difference(s) gone", len(gone))
    return found
