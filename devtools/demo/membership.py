"""Demo members: the VIP customers get cards, points from their payments, a few redemptions
and referrals (through the same services the staff use)."""
import random
from datetime import datetime, timedelta

from django.db.models import Min

from customers.models import Customer
from membership.models import MemberAccount
from membership.services import (
    member_card_issue,
    points_for_payment,
    points_redeem,
    referral_reward_for_payment,
)
from orders.models import Payment
from staff.models import User


def demo_seed(*, now: datetime, seed: int = 2029) -> dict[str, int]:
    rng = random.Random(seed)
    if MemberAccount.objects.exists():
        return {}
    members = list(Customer.objects.filter(is_vip=True).select_related("store").order_by("pk"))
    for i, customer in enumerate(members):
        desk = User.objects.filter(staff_profile__store=customer.store,
                                   staff_profile__role="front_desk").first()
        # They joined when they first paid (the demo's history is backdated).
        joined = Payment.objects.filter(order__customer=customer).aggregate(
            first=Min("paid_at"))["first"] or now
        member_card_issue(customer=customer, number=f"VIP{customer.store.code}{i + 1:04d}",
                          by=desk, at=joined, expires_on=(joined + timedelta(days=730)).date())
        MemberAccount.objects.filter(customer=customer).update(created_at=joined)
    for payment_id in Payment.objects.filter(order__customer__in=members).order_by(
            "paid_at").values_list("pk", flat=True):
        points_for_payment(payment_id=payment_id)
    redeemed = 0
    for account in MemberAccount.objects.filter(points_balance__gte=1000).select_related(
            "customer__store")[:10]:
        desk = User.objects.filter(staff_profile__store=account.customer.store,
                                   staff_profile__role="front_desk").first()
        points_redeem(account=account, points=rng.choice([300, 500, 800]), by=desk,
                      note=rng.choice(["兑换 8 寸摆台", "兑换精修 5 张", "抵扣加选费用"]))
        redeemed += 1
    # A few customers came through a member's referral (转介绍): their deposits reward it.
    referred = 0
    for member, friend in zip(members, Customer.objects.filter(is_vip=False, source="referral")
                              .order_by("pk")[:8], strict=False):
        if member.store_id != friend.store_id:
            continue
        Customer.objects.filter(pk=friend.pk).update(referrer=member)
        for payment_id in Payment.objects.filter(order__customer=friend, kind="deposit"
                                                 ).values_list("pk", flat=True):
            referral_reward_for_payment(payment_id=payment_id)
        referred += 1
    return {"members": len(members), "redemptions": redeemed, "referrals": referred}
