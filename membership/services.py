"""Writes for membership: cards, the points ledger, referral rewards.

Every ledger change goes through `_post`, which locks the account, refuses what would take the
balance below zero, spends the oldest earned points first, writes the entry with its
idempotency key and keeps the balance in step — all in one transaction. What staff do to a card
or to points is checked against the step map (membership.workflow) with the acting user.
"""
import hashlib
import logging
import math
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from orders.models import OrderStatus, Payment, PaymentKind
from webhooks.models import WebhookEvent
from webhooks.services import webhook_emit

from .models import (
    CardEvent,
    CardStatus,
    CashbackStatus,
    MemberAccount,
    MemberCard,
    MembershipPolicy,
    MemberTier,
    PointsEntry,
    PointsKind,
    ReferralCashback,
    ReferralReward,
    Segment,
)
from .workflow import MEMBER_STEPS

logger = logging.getLogger(__name__)
SPENDING_KINDS = (PaymentKind.DEPOSIT, PaymentKind.BALANCE, PaymentKind.ADDON)


def policy_for(store_id: int) -> MembershipPolicy:
    return MembershipPolicy.objects.filter(store_id=store_id).first() or MembershipPolicy(
        store_id=store_id)


def _post(*, account: MemberAccount, kind: str, points: int, key: str, at: datetime, by=None,
          note: str = "", payment: Payment | None = None, order=None,
          expires_at: datetime | None = None, allow_partial: bool = False) -> PointsEntry | None:
    """Add one ledger entry under the account's row lock. Returns None when `key` was already
    posted (the same event never counts twice). A debit larger than the balance is refused,
    or with `allow_partial` cut to the balance (a refund can only take back what is left)."""
    account = MemberAccount.objects.select_for_update().get(pk=account.pk)
    if PointsEntry.objects.filter(key=key).exists():
        return None
    if points < 0 and -points > account.points_balance:
        if not allow_partial:
            raise ValidationError({"points": _("积分余额不足：当前余额 %(balance)d，需要 %(need)d。") % {
                "balance": account.points_balance, "need": -points}})
        points = -account.points_balance
    balance = account.points_balance + points
    try:
        with transaction.atomic():  # the spending and the entry stand or fall together
            if points < 0:
                _spend_oldest_first(account, -points)
            entry = PointsEntry.objects.create(
                account=account, store_id=account.store_id, kind=kind, points=points,
                balance_after=balance, key=key,
                payment=payment, order=order, remaining=max(points, 0),
                expires_at=expires_at if points > 0 else None, note=note[:200], by=by, at=at)
    except IntegrityError:  # the same key posted concurrently: count it once
        return None
    MemberAccount.objects.filter(pk=account.pk).update(points_balance=balance)
    webhook_emit(event=WebhookEvent.POINTS_CHANGED, store_id=account.store_id, data=entry)
    return entry


def _spend_oldest_first(account: MemberAccount, points: int) -> None:
    for entry in (PointsEntry.objects.select_for_update()
                  .filter(account=account, remaining__gt=0)
                  .order_by(F("expires_at").asc(nulls_last=True), "at", "pk")):
        used = min(entry.remaining, points)
        PointsEntry.objects.filter(pk=entry.pk).update(remaining=F("remaining") - used)
        points -= used
        if not points:
            return


def _event(card: MemberCard, action: str, by, at: datetime, note: str = "") -> None:
    CardEvent.objects.create(card=card, action=action, by=by, at=at, note=note[:200])


def _sync_vip(customer_id: int) -> None:
    """Customer.is_vip follows whether the customer holds an active card."""
    active = MemberCard.objects.filter(account__customer_id=customer_id,
                                       status=CardStatus.ACTIVE).exists()
    Customer.objects.filter(pk=customer_id).update(is_vip=active)


def _entry_tier() -> MemberTier:
    """The lowest tier （the migration installs four; an empty table gets 普通 back）."""
    return MemberTier.objects.order_by("rank").first() or MemberTier.objects.create(
        name="普通", rank=1, threshold=Decimal(0), earn_rate=Decimal(1))


def _check_number(number: str) -> str:
    number = (number or "").strip()
    if not number or not number.isalnum() or len(number) > 20:
        raise ValidationError({"number": _("请输入卡号（字母或数字，最多 20 位）。")})
    if MemberCard.objects.filter(number=number).exists():
        raise ValidationError({"number": _("该卡号已被使用。")})
    return number


def _create_card(**fields) -> MemberCard:
    try:
        with transaction.atomic():
            return MemberCard.objects.create(**fields)
    except IntegrityError as exc:  # the same number taken a moment ago by someone else
        raise ValidationError({"number": _("该卡号已被使用。")}) from exc


@transaction.atomic
def member_card_issue(*, customer: Customer, number: str, by, expires_on: date | None = None,
                      at: datetime | None = None) -> MemberCard:
    """Issue a VIP card （发放）： the customer becomes a member, on the lowest tier at first."""
    MEMBER_STEPS.check_permission("issue", user=by)
    at = at or timezone.now()
    number = _check_number(number)
    if expires_on is not None and expires_on < timezone.localdate(at):
        raise ValidationError({"expires_on": _("有效期不能早于发卡日期。")})
    account, _created = MemberAccount.objects.get_or_create(
        customer=customer, defaults={"tier": _entry_tier(), "store_id": customer.store_id})
    if MemberCard.objects.filter(account=account, status=CardStatus.ACTIVE).exists():
        # Not CREATE but bad input on the number (400), as it always was (membership.workflow).
        raise ValidationError({"number": _("该客户已有有效的会员卡。")})
    card = _create_card(number=number, account=account, store=customer.store, issued_by=by,
                        issued_at=at, expires_on=expires_on)
    _event(card, "issue", by, at, note=str(account.tier))
    _sync_vip(customer.pk)
    return card


@transaction.atomic
def member_card_report_lost(*, card: MemberCard, by, new_number: str, reason: str = ""
                            ) -> MemberCard:
    """挂失补办： the lost card ends, a new number carries the same account (points, tier)."""
    at = timezone.now()
    card = MemberCard.objects.select_for_update().get(pk=card.pk)
    MEMBER_STEPS.check("lost", state=card.status, user=by)
    new_number = _check_number(new_number)
    card.end(status=CardStatus.LOST, at=at, reason=reason or _("客户挂失"))
    card.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    _event(card, "lost", by, at, note=card.end_reason)
    new = _create_card(number=new_number, account=card.account, store=card.store, issued_by=by,
                       issued_at=at, expires_on=card.expires_on, replaces=card)
    _event(new, "reissue", by, at, note=_("补办自 %(number)s") % {"number": card.number})
    return new


@transaction.atomic
def member_card_revoke(*, card: MemberCard, by, reason: str) -> MemberCard:
    """收回： the card ends with a reason; points stay on the account."""
    at = timezone.now()
    card = MemberCard.objects.select_for_update().get(pk=card.pk)
    MEMBER_STEPS.check("revoke", state=card.status, user=by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写收回原因。")})
    card.end(status=CardStatus.REVOKED, at=at, reason=reason.strip())
    card.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    _event(card, "revoke", by, at, note=card.end_reason)
    _sync_vip(card.account.customer_id)
    return card


def member_cards_expire(*, today: date) -> int:
    """Cards past their date expire (set-based); their holders stop being VIP."""
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: a sweep running at the same time leaves these cards (and their one
        # "expire" event each) to this one.
        cards = list(MemberCard.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(status=CardStatus.ACTIVE, expires_on__lt=today)
                     .values_list("pk", "account__customer_id"))
        if not cards:
            return 0
        MemberCard.objects.filter(pk__in=[pk for pk, _c in cards]).update(
            status=CardStatus.EXPIRED, ended_at=now, end_reason=_("到期"))
        CardEvent.objects.bulk_create(CardEvent(card_id=pk, action="expire", at=now)
                                      for pk, _c in cards)
        Customer.objects.filter(pk__in=[c for _pk, c in cards]).exclude(
            member_account__cards__status=CardStatus.ACTIVE).update(is_vip=False)
    return len(cards)


def _retier(account: MemberAccount, at: datetime) -> None:
    """The tier the rules give the net spending: up when it passes a threshold, down when a
    refund or a cancelled order takes it back below one (each move a card event)."""
    account.refresh_from_db(fields=["total_spent", "tier"])
    best = (MemberTier.objects.filter(threshold__lte=account.total_spent)
            .order_by("-rank").first()) or _entry_tier()
    if best.pk != account.tier_id:
        MemberAccount.objects.filter(pk=account.pk).update(tier=best)
        card = account.cards.filter(status=CardStatus.ACTIVE).first()
        if card:
            _event(card, "upgrade" if best.rank > account.tier.rank else "downgrade", None, at,
                   note=f"{account.tier} → {best}")


def _order_points(account: MemberAccount, order_id: int) -> tuple[int, Decimal, int]:
    """What an order's payments earned the member: (points earned, the spending that earned
    them, points still held from it after refunds)."""
    entries = PointsEntry.objects.filter(account=account, order_id=order_id,
                                         kind__in=(PointsKind.EARN, PointsKind.REVERSAL))
    earned, spent, held = 0, Decimal(0), 0
    for kind, points, amount in entries.values_list("kind", "points", "payment__amount"):
        held += points
        if kind == PointsKind.EARN:
            earned += points
            spent += amount or 0
    return earned, spent, max(held, 0)


@transaction.atomic
def points_for_payment(*, payment_id: int) -> PointsEntry | None:
    """A member's own spending earns points at their tier's rate; a refund takes back what
    the order's payments earned in proportion (never more than is left of them, never below
    zero) — and the tier follows the net spending both ways. Keyed by the payment: posting
    twice earns once. A cancelled order's points were all taken back by its cancellation."""
    payment = Payment.objects.select_related("order__customer", "order").get(pk=payment_id)
    account = (MemberAccount.objects.select_related("tier")
               .filter(customer_id=payment.order.customer_id,
                       cards__status=CardStatus.ACTIVE).first())
    if account is None or payment.paid_at < account.created_at - timedelta(days=1):
        return None  # not a member (or spending from before they joined)
    if payment.order.status == OrderStatus.CANCELLED:
        return None
    key = f"payment:{payment.pk}"
    if payment.kind in SPENDING_KINDS:
        points = math.floor(payment.amount * account.tier.earn_rate)
        valid = policy_for(payment.order.store_id).points_valid_days
        entry = _post(account=account, kind=PointsKind.EARN, points=points, key=key,
                      at=payment.paid_at, payment=payment, order=payment.order,
                      expires_at=payment.paid_at + timedelta(days=valid),
                      note=f"{payment.get_kind_display()} ¥{payment.amount:,.2f}")
        spent = payment.amount
    else:
        earned, earning_spend, held = _order_points(account, payment.order_id)
        points = min(held, math.floor(payment.amount * earned / earning_spend)) if earning_spend else 0
        entry = _post(account=account, kind=PointsKind.REVERSAL, points=-points, key=key,
                      at=payment.paid_at, payment=payment, order=payment.order,
                      allow_partial=True, note=_("退款 ¥%(amount)s") % {
                          "amount": f"{payment.amount:,.2f}"})
        spent = -min(payment.amount, earning_spend)
    if entry is not None:
        MemberAccount.objects.filter(pk=account.pk).update(total_spent=F("total_spent") + spent)
        _retier(account, payment.paid_at)
    return entry


def on_order_cancelling(sender, order, by, reason: str, **kwargs) -> None:
    """orders.signals.order_cancelling: in the cancelling transaction, the points the order
    earned its customer (what is left of them) and its referrer are taken back, its spending
    leaves the member's total and the tier is recomputed; a referral cashback not yet paid
    out is cancelled (one paid stays paid: the money has gone)."""
    now = timezone.now()
    note = (_("订单 #%(pk)s 取消：%(reason)s") % {"pk": order.pk, "reason": reason})[:200]
    account = MemberAccount.objects.filter(customer_id=order.customer_id).first()
    if account is not None:
        _earned, _spend, held = _order_points(account, order.pk)
        counted = sum((amount if kind == PointsKind.EARN else -amount
                       for kind, amount in PointsEntry.objects.filter(
                           account=account, order=order, payment__isnull=False,
                           kind__in=(PointsKind.EARN, PointsKind.REVERSAL))
                       .values_list("kind", "payment__amount")), Decimal(0))
        if held:
            _post(account=account, kind=PointsKind.REVERSAL, points=-held,
                  key=f"cancel:order:{order.pk}", at=now, by=by, order=order,
                  allow_partial=True, note=note)
        if counted:
            MemberAccount.objects.filter(pk=account.pk).update(
                total_spent=F("total_spent") - counted)
            _retier(account, now)
    for entry in PointsEntry.objects.filter(order=order, kind=PointsKind.REFERRAL).select_related(
            "account"):
        _post(account=entry.account, kind=PointsKind.REVERSAL, points=-entry.points,
              key=f"cancel:referral:{order.pk}:{entry.pk}", at=now, by=by, order=order,
              allow_partial=True, note=note)
    ReferralCashback.objects.filter(order=order, status=CashbackStatus.OWED).update(
        status=CashbackStatus.CANCELLED)


@transaction.atomic
def referral_reward_for_payment(*, payment_id: int) -> object | None:
    """The referrer is rewarded once per referred order, when its deposit is paid (L42):
    points if the store's rule says so and the referrer is a member, else cashback owed."""
    payment = Payment.objects.select_related("order__customer__referrer").get(pk=payment_id)
    referrer = payment.order.customer.referrer
    if payment.kind != PaymentKind.DEPOSIT or referrer is None:
        return None
    policy = policy_for(payment.order.store_id)
    account = MemberAccount.objects.filter(customer=referrer,
                                           cards__status=CardStatus.ACTIVE).first()
    if policy.referral_reward == ReferralReward.POINTS and account is not None:
        return _post(account=account, kind=PointsKind.REFERRAL, points=policy.referral_points,
                     key=f"referral:order:{payment.order_id}", at=payment.paid_at,
                     order=payment.order, payment=payment,
                     expires_at=payment.paid_at + timedelta(days=policy.points_valid_days),
                     note=_("介绍 %(name)s") % {"name": payment.order.customer.name})
    cashback, created = ReferralCashback.objects.get_or_create(
        order=payment.order, defaults={"referrer": referrer, "amount": policy.referral_cashback,
                                       "created_at": payment.paid_at})
    return cashback if created else None


@transaction.atomic
def points_redeem(*, account: MemberAccount, points: int, by, note: str,
                  request_key: str | None = None) -> PointsEntry:
    """Spend points (a gift, an upgrade, a discount); never more than the balance. With a
    `request_key` (the form's one-time key, the API's Idempotency-Key), as payment_record: a
    request sent again returns the entry it posted the first time instead of redeeming twice."""
    MEMBER_STEPS.check_permission("redeem", user=by)
    key = _redeem_key(request_key) if request_key else None
    if key:
        earlier = _redeemed_with(key, account)
        if earlier is not None:
            return earlier
    if not isinstance(points, int) or points <= 0:
        raise ValidationError({"points": _("兑换积分必须是正整数。")})
    if not (note or "").strip():
        raise ValidationError({"note": _("请填写兑换内容。")})
    if not account.cards.filter(status=CardStatus.ACTIVE).exists():  # 400 on the points, as before
        raise ValidationError({"points": _("该客户没有有效的会员卡，不能兑换积分。")})
    now = timezone.now()
    entry = _post(account=account, kind=PointsKind.REDEEM, points=-points, by=by, at=now,
                  key=key or f"redeem:{account.pk}:{now.timestamp()}:{by.pk}", note=note.strip())
    # None: the same key was posted meanwhile by a concurrent request; answer with its entry.
    return entry if entry is not None else _redeemed_with(key, account)


def _redeem_key(request_key: str) -> str:
    key = f"redeem:{request_key}"
    if len(key) > PointsEntry._meta.get_field("key").max_length:  # an API client's long key
        key = f"redeem:sha256:{hashlib.sha256(request_key.encode()).hexdigest()[:50]}"
    return key


def _redeemed_with(key: str | None, account: MemberAccount) -> PointsEntry | None:
    earlier = PointsEntry.objects.filter(key=key, kind=PointsKind.REDEEM).first() if key else None
    if earlier is not None and earlier.account_id != account.pk:
        raise ValidationError({"request_key": _("该请求编号已用于另一会员的兑换。")})
    return earlier


@transaction.atomic
def points_adjust(*, account: MemberAccount, points: int, by, reason: str) -> PointsEntry:
    """A supervisor's correction, with a reason; cannot take the balance below zero."""
    MEMBER_STEPS.check_permission("adjust", user=by)
    if not isinstance(points, int) or points == 0:
        raise ValidationError({"points": _("调整积分不能为 0。")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写调整原因。")})
    now = timezone.now()
    policy = policy_for(account.customer.store_id)
    return _post(account=account, kind=PointsKind.ADJUST, points=points, by=by, at=now,
                 key=f"adjust:{account.pk}:{now.timestamp()}:{by.pk}", note=reason.strip(),
                 expires_at=now + timedelta(days=policy.points_valid_days) if points > 0 else None)


def points_expire(*, now: datetime) -> int:
    """Points not spent by their expiry date expire (one entry per earning, keyed by it, so a
    second run does nothing)."""
    expired = 0
    # In the order _spend_oldest_first spends: each expiry then uses up its own earning.
    due = (PointsEntry.objects.filter(remaining__gt=0, expires_at__lt=now)
           .order_by("expires_at", "at", "pk").values_list("pk", "account_id"))
    for entry_id, account_id in due:
        with transaction.atomic():
            account = MemberAccount.objects.select_for_update().get(pk=account_id)
            remaining = PointsEntry.objects.get(pk=entry_id).remaining  # fresh, under the lock
            entry = None
            if remaining:
                entry = _post(account=account, kind=PointsKind.EXPIRE, points=-remaining, at=now,
                              key=f"expire:{entry_id}", allow_partial=True,
                              note=_("到期积分"))
            PointsEntry.objects.filter(pk=entry_id).update(remaining=0)
            expired += entry is not None
    return expired


@transaction.atomic
def cashback_pay(*, cashback: ReferralCashback, by) -> ReferralCashback:
    cashback = ReferralCashback.objects.select_for_update().get(pk=cashback.pk)
    if cashback.status != CashbackStatus.OWED:
        raise ValidationError({"status": _("该返现已支付。") if cashback.status == CashbackStatus.PAID
                               else _("该返现已取消（被介绍客户的订单已取消）。")})
    cashback.status, cashback.paid_at, cashback.paid_by = CashbackStatus.PAID, timezone.now(), by
    cashback.save(update_fields=["status", "paid_at", "paid_by"])
    return cashback


def segment_save(*, store, name: str, conditions: dict, by) -> Segment:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写分组名称。")})
    segment, _created = Segment.objects.update_or_create(
        store=store, name=name[:100], defaults={"conditions": conditions, "created_by": by})
    return segment


def on_payment_recorded(sender, payment_id: int, **kwargs) -> None:
    """orders.signals.payment_recorded receiver: points and referral rewards. The sweep
    (membership_sweep_payments) catches what a failure here misses."""
    try:
        points_for_payment(payment_id=payment_id)
        referral_reward_for_payment(payment_id=payment_id)
    except Exception:  # never let a reward break the payment that was just taken
        logger.exception("membership rewards for payment %s left to the sweep", payment_id)


def membership_sweep_payments(*, now: datetime, days: int = 14) -> int:
    """Payments of members in the last `days` that have no ledger entry yet (idempotent)."""
    payments = (Payment.objects.filter(paid_at__gte=now - timedelta(days=days),
                                       order__customer__member_account__isnull=False)
                .exclude(points_entries__isnull=False).values_list("pk", flat=True))
    done = 0
    for payment_id in payments:
        done += points_for_payment(payment_id=payment_id) is not None
        referral_reward_for_payment(payment_id=payment_id)
    return done
