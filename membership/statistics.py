"""Membership statistics (SPEC §4): points earned, redeemed, expired and outstanding per
period, members by tier, referral rewards. A fixed number of aggregate queries."""
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from .models import (
    CardStatus,
    CashbackStatus,
    MemberAccount,
    MemberTier,
    PointsEntry,
    PointsKind,
    ReferralCashback,
)


def _local_range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tz),
            datetime.combine(end + timedelta(days=1), time.min, tz))


def membership_statistics(*, accounts: QuerySet[MemberAccount], entries: QuerySet[PointsEntry],
                          start: date, end: date) -> dict[str, Any]:
    """`accounts` and their ledger `entries` already scoped by the caller (members_visible_to,
    points_entries_visible_to and the same store filter)."""
    since, until = _local_range(start, end)
    entries = entries.filter(at__gte=since, at__lt=until)
    sums = entries.aggregate(
        earned=Sum("points", filter=Q(kind=PointsKind.EARN)),
        referral=Sum("points", filter=Q(kind=PointsKind.REFERRAL)),
        redeemed=Sum("points", filter=Q(kind=PointsKind.REDEEM)),
        expired=Sum("points", filter=Q(kind=PointsKind.EXPIRE)),
        reversed=Sum("points", filter=Q(kind=PointsKind.REVERSAL)),
        adjusted=Sum("points", filter=Q(kind=PointsKind.ADJUST)),
    )
    points = {k: abs(v or 0) for k, v in sums.items()}
    points["adjusted"] = sums["adjusted"] or 0  # signed: a net correction
    totals = accounts.aggregate(outstanding=Sum("points_balance"), members=Count("pk"),
                                active=Count("pk", filter=Q(cards__status=CardStatus.ACTIVE),
                                             distinct=True))
    by_tier = {row["tier"]: row["n"] for row in accounts.values("tier").annotate(n=Count("pk"))}
    tiers = [{"name": t.name, "threshold": t.threshold, "earn_rate": t.earn_rate,
              "members": by_tier.get(t.pk, 0)} for t in MemberTier.objects.order_by("rank")]
    cashbacks = ReferralCashback.objects.filter(
        referrer__in=accounts.values("customer"), created_at__gte=since, created_at__lt=until
    ).exclude(status=CashbackStatus.CANCELLED).aggregate(  # a cancelled order's was never owed
        count=Count("pk"), owed=Sum("amount", filter=Q(status=CashbackStatus.OWED)),
        paid=Sum("amount", filter=Q(status=CashbackStatus.PAID)))
    return {
        "start": start, "end": end, "points": points,
        "outstanding": totals["outstanding"] or 0, "members": totals["members"],
        "active_members": totals["active"], "tiers": tiers,
        "referrals": {"points": points["referral"], "cashbacks": cashbacks["count"],
                      "cashback_owed": cashbacks["owed"] or 0,
                      "cashback_paid": cashbacks["paid"] or 0},
    }
