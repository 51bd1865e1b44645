"""Membership statistics against a hand-computed fixture."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from membership.models import MemberAccount, PointsEntry
from membership.services import member_card_issue, points_adjust, points_expire, points_redeem
from membership.statistics import membership_statistics
from orders.services import order_create, payment_record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.clock
def test_points_and_members_match_the_hand_computed_figures(
        store, customer, front_desk, supervisor, package, django_capture_on_commit_callbacks,
        django_assert_num_queries):
    # Member A pays 3000 (earns 3000), redeems 500, gets +200 adjusted: balance 2700.
    member_card_issue(customer=customer, number="S1", by=front_desk)
    a = MemberAccount.objects.get(customer=customer)
    order = order_create(customer=customer, package=package, by=front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(order=order, kind="deposit", amount=Decimal(3000), received_by=front_desk)
    points_redeem(account=a, points=500, by=front_desk, note="相框")
    points_adjust(account=a, points=200, by=supervisor, reason="补偿")
    # Member B (referred A's friend? no: a plain member) gets 100 adjusted, which expires: 0.
    b_customer = CustomerFactory(store=store)
    member_card_issue(customer=b_customer, number="S2", by=front_desk)
    b = MemberAccount.objects.get(customer=b_customer)
    points_adjust(account=b, points=100, by=supervisor, reason="开卡礼")
    PointsEntry.objects.filter(account=b).update(expires_at=timezone.now() - timedelta(minutes=1))
    points_expire(now=timezone.now())
    today = timezone.localdate()
    with django_assert_num_queries(5):  # ledger, totals, by tier, tiers, cashbacks
        stats = membership_statistics(accounts=MemberAccount.objects.all(),
                                      entries=PointsEntry.objects.all(), start=today, end=today)
    assert stats["points"] == {"earned": 3000, "referral": 0, "redeemed": 500, "expired": 100,
                               "reversed": 0, "adjusted": 300}
    assert (stats["outstanding"], stats["members"], stats["active_members"]) == (2700, 2, 2)
    assert [t["members"] for t in stats["tiers"]] == [2, 0, 0, 0]
    yesterday = today - timedelta(days=1)
    assert membership_statistics(accounts=MemberAccount.objects.all(),
                                 entries=PointsEntry.objects.all(), start=yesterday,
                                 end=yesterday)["points"]["earned"] == 0


def test_the_statistics_page_for_a_supervisor_and_not_a_specialist(client, supervisor, specialist):
    from django.urls import reverse

    client.force_login(specialist)
    assert client.get(reverse("membership:statistics")).status_code == 403
    client.force_login(supervisor)
    response = client.get(reverse("membership:statistics"), {"start": "坏日期"})
    assert response.status_code == 400 and "stats" in response.context  # the month so far
