"""Demo members: the VIP customers get cards, points from their payments, a few redemptions
and referrals (through the same services the staff use). Two are long-standing customers whose
earlier orders (a wedding, then the baby's) lift them to 金卡 and 银卡; the tiers follow the
spending, as for any member."""
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from customers.models import Customer
from membership.models import MemberAccount
from membership.services import (
    member_card_issue,
    points_for_payment,
    points_redeem,
    referral_reward_for_payment,
)
from orders.models import Package, Payment, StageKind
from orders.services import order_create, payment_record, stage_complete
from staff.models import Role, StaffMember, User

from .orders import DESK_TIMES, _slot, _staff_for, local_slot, order_balance

# Earlier orders of the first members, oldest first: (package, add-ons bought at the gown
# fitting and at the selection). About ¥31,000 and ¥10,500 spent: 金卡 and 银卡.
HISTORIES = [
    [("海景旅拍婚纱照", 3000, 5000), ("儿童成长套系", 0, 3000)],
    [("韩式浪漫婚纱照", 0, 1500)],
]


def demo_seed(*, now: datetime, seed: int = 2029) -> dict[str, int]:
    rng = random.Random(seed)
    if MemberAccount.objects.exists():
        return {}
    members = list(Customer.objects.filter(is_vip=True).select_related("store").order_by("pk"))
    for customer, history in zip(members, HISTORIES, strict=False):
        _earlier_orders(rng, customer=customer, history=history, now=now)
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


def _earlier_orders(rng: random.Random, *, customer: Customer, history, now: datetime) -> None:
    """A regular customer's earlier orders, each taken from signing to pickup and paid in full,
    the first a little over a year ago."""
    by_role: dict[str, list[User]] = {}
    for member in StaffMember.objects.filter(store=customer.store).select_related("user"):
        by_role.setdefault(member.role, []).append(member.user)
    desk = by_role[Role.FRONT_DESK][0]
    day = timezone.localdate(now) - timedelta(days=rng.randint(380, 420))
    for name, gown_extra, selection_extra in history:
        package = Package.objects.get(name=name)
        at = local_slot(day, rng.choice(DESK_TIMES))
        order = order_create(customer=customer, package=package, by=desk, at=at)
        payment_record(order=order, kind="deposit", amount=Decimal(2000), received_by=desk,
                       method="wechat", paid_at=at)
        for kind in package.stage_kinds[1:]:
            at = _slot(rng, kind, timezone.localdate(at) + timedelta(days=rng.randint(5, 12)))
            extra = Decimal({StageKind.GOWN: gown_extra, StageKind.SELECTION: selection_extra}
                            .get(kind, 0))
            if kind == StageKind.PICKUP:
                payment_record(order=order, kind="balance", amount=order_balance(order),
                               received_by=desk, method="wechat", paid_at=at)
            stage_complete(order=order, kind=kind, by=desk, at=at,
                           assigned_to=_staff_for(rng, kind, by_role),
                           makeup_artist=(by_role[Role.MAKEUP_ARTIST][0]
                                          if kind == StageKind.SHOOT else None),
                           extra_amount=extra, extra_note="加选精修与相册升级" if extra else "",
                           picked_up_by=customer.name if kind == StageKind.PICKUP else "")
        day = timezone.localdate(at) + timedelta(days=rng.randint(90, 150))
