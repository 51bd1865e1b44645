"""Membership (会员维护, seed L38-L44): VIP cards, an append-only points ledger, referrals.

A member is a customer with an active card. Points are earned from the customer's own paid
spending (at the tier's rate) and from referrals (介绍客户得到的积分), redeemed, adjusted by a
supervisor, and expire; the balance is kept in step with the ledger under a row lock and can
never go below zero.
"""
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from orders.models import Order, Payment
from staff.models import Store
from studio.errors import TransitionNotAllowed
from studio.models import TimeStampedModel


class MemberTier(models.Model):
    """普通 → 银卡 → 金卡 → 钻石： cumulative spending lifts a member up the tiers."""

    name = models.CharField(_("等级"), max_length=16, unique=True)
    rank = models.PositiveSmallIntegerField(_("顺序"), unique=True)
    threshold = models.DecimalField(_("累计消费门槛（元）"), max_digits=12, decimal_places=2,
                                    validators=[MinValueValidator(Decimal(0))])
    earn_rate = models.DecimalField(_("每消费 1 元积分"), max_digits=5, decimal_places=2,
                                    default=Decimal("1.00"),
                                    validators=[MinValueValidator(Decimal(0))])

    class Meta:
        verbose_name = _("会员等级")
        verbose_name_plural = _("会员等级")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class ReferralReward(models.TextChoices):
    POINTS = "points", _("积分")
    CASHBACK = "cashback", _("返现")


class MembershipPolicy(models.Model):
    """A store's rules for referral rewards and point expiry."""

    store = models.OneToOneField(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                                 related_name="membership_policy")
    referral_reward = models.CharField(_("转介绍奖励方式"), max_length=16, choices=ReferralReward,
                                       default=ReferralReward.POINTS)
    referral_points = models.PositiveIntegerField(_("转介绍奖励积分"), default=500)
    referral_cashback = models.DecimalField(_("转介绍返现（元）"), max_digits=10, decimal_places=2,
                                            default=Decimal("200.00"),
                                            validators=[MinValueValidator(Decimal(0))])
    points_valid_days = models.PositiveIntegerField(_("积分有效期（天）"), default=730)

    class Meta:
        verbose_name = _("会员规则")
        verbose_name_plural = _("会员规则")

    def __str__(self) -> str:
        return str(self.store)


class MemberAccount(models.Model):
    """The customer's points balance, cumulative spending and tier (kept in step with the
    ledger inside the same transaction, under a row lock)."""

    customer = models.OneToOneField(Customer, verbose_name=_("客户"), on_delete=models.CASCADE,
                                    related_name="member_account")
    # The customer's store (fixed at registration), kept here so that a store's members and
    # their ledger are counted from one index, without joining every customer.
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="+", db_index=False, editable=False)
    tier = models.ForeignKey(MemberTier, verbose_name=_("等级"), on_delete=models.PROTECT,
                             related_name="accounts")
    points_balance = models.IntegerField(_("积分余额"), default=0)
    total_spent = models.DecimalField(_("累计消费（元）"), max_digits=12, decimal_places=2,
                                      default=Decimal("0.00"))
    created_at = models.DateTimeField(_("入会时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会员账户")
        verbose_name_plural = _("会员账户")
        permissions = [("redeem_points", _("积分兑换")), ("adjust_points", _("调整积分")),
                       ("view_membership_statistics", _("查看会员与积分统计"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(points_balance__gte=0),
                                   name="points_balance_never_negative"),
        ]
        indexes = [
            # A store's members: by tier, and their points outstanding, from the index alone.
            models.Index(fields=["store", "tier"], include=["points_balance"],
                         name="member_store_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.tier} · {self.points_balance}"


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    LOST = "lost", _("已挂失")
    REVOKED = "revoked", _("已收回")
    EXPIRED = "expired", _("已过期")


# The card's life on one screen (L44 VIP会员卡的发放与回收).
CARD_TRANSITIONS: dict[str, set[str]] = {
    CardStatus.ACTIVE: {CardStatus.LOST, CardStatus.REVOKED, CardStatus.EXPIRED},
    CardStatus.LOST: set(),
    CardStatus.REVOKED: set(),
    CardStatus.EXPIRED: set(),
}


class MemberCard(TimeStampedModel):
    number = models.CharField(_("卡号"), max_length=20, unique=True,
                              error_messages={"unique": _("该卡号已被使用。")})
    account = models.ForeignKey(MemberAccount, verbose_name=_("会员账户"), on_delete=models.PROTECT,
                                related_name="cards")
    store = models.ForeignKey(Store, verbose_name=_("发卡门店"), on_delete=models.PROTECT,
                              related_name="member_cards")
    status = models.CharField(_("状态"), max_length=16, choices=CardStatus,
                              default=CardStatus.ACTIVE)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发卡人"),
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("发卡时间"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    replaces = models.OneToOneField("self", verbose_name=_("补办自"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaced_by")
    ended_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    end_reason = models.CharField(_("停用原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("会员卡")
        verbose_name_plural = _("会员卡")
        ordering = ["-issued_at"]
        constraints = [
            # One active card per member: a lost card is replaced, not doubled.
            models.UniqueConstraint(fields=["account"], condition=models.Q(status="active"),
                                    name="one_active_card_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.number}({self.get_status_display()})"

    def end(self, *, status: str, at: datetime, reason: str) -> None:
        if status not in CARD_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(_("会员卡已是「%(status)s」，不能再办理。") % {
                "status": self.get_status_display()})
        self.status, self.ended_at, self.end_reason = status, at, reason


class CardEvent(models.Model):
    """The card's history: issued, upgraded, lost and reissued, revoked, expired."""

    card = models.ForeignKey(MemberCard, verbose_name=_("会员卡"), on_delete=models.CASCADE,
                             related_name="events")
    action = models.CharField(_("动作"), max_length=16)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("会员卡记录")
        verbose_name_plural = _("会员卡记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.card_id} {self.action}"


class PointsKind(models.TextChoices):
    EARN = "earn", _("消费积分")
    REFERRAL = "referral", _("转介绍积分")
    REDEEM = "redeem", _("积分兑换")
    ADJUST = "adjust", _("积分调整")
    EXPIRE = "expire", _("积分过期")
    REVERSAL = "reversal", _("退款扣回")


class PointsEntry(models.Model):
    """One line of the points ledger: added, never edited. `key` makes every event count once
    (the same payment never earns twice)."""

    account = models.ForeignKey(MemberAccount, verbose_name=_("会员账户"),
                                on_delete=models.PROTECT, related_name="entries")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="+", db_index=False, editable=False)  # the account's
    kind = models.CharField(_("类型"), max_length=16, choices=PointsKind)
    points = models.IntegerField(_("积分"))
    balance_after = models.IntegerField(_("变动后余额"))
    key = models.CharField(_("幂等键"), max_length=64, unique=True)
    payment = models.ForeignKey(Payment, verbose_name=_("收款"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="points_entries")
    order = models.ForeignKey(Order, verbose_name=_("订单"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="points_entries")
    # Earned points are spent oldest first; what is left of an entry expires at expires_at.
    remaining = models.IntegerField(_("未用积分"), default=0)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(balance_after__gte=0),
                                   name="points_entry_balance_not_negative"),
            models.CheckConstraint(condition=models.Q(remaining__gte=0),
                                   name="points_entry_remaining_not_negative"),
        ]
        indexes = [
            models.Index(fields=["account", "at"]),
            models.Index(fields=["expires_at"], condition=models.Q(remaining__gt=0),
                         name="points_unspent_expiry_idx"),
            models.Index(fields=["kind", "at"]),
            # A store's points of a period, by kind (statistics), from the index alone.
            models.Index(fields=["store", "at"], include=["kind", "points"],
                         name="points_store_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"


class CashbackStatus(models.TextChoices):
    OWED = "owed", _("待支付")
    PAID = "paid", _("已支付")
    CANCELLED = "cancelled", _("已取消")  # the referred order was cancelled before it was paid


class ReferralCashback(models.Model):
    """返现 owed to a referrer when the customer they referred paid a deposit (L42)."""

    referrer = models.ForeignKey(Customer, verbose_name=_("介绍人"), on_delete=models.PROTECT,
                                 related_name="cashbacks")
    order = models.OneToOneField(Order, verbose_name=_("被介绍客户的订单"), on_delete=models.PROTECT,
                                 related_name="referral_cashback")
    amount = models.DecimalField(_("返现金额（元）"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    status = models.CharField(_("状态"), max_length=16, choices=CashbackStatus,
                              default=CashbackStatus.OWED)
    created_at = models.DateTimeField(_("产生时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经手人"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("转介绍返现")
        verbose_name_plural = _("转介绍返现")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.referrer} ¥{self.amount}"


class Segment(TimeStampedModel):
    """A saved old-customer classification （L40 按一定条件分类）, feeding callback campaigns."""

    name = models.CharField(_("分组名称"), max_length=100)
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="segments")
    conditions = models.JSONField(_("条件"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("客户分组")
        verbose_name_plural = _("客户分组")
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"],
                                               name="segment_name_unique_per_store")]

    def __str__(self) -> str:
        return self.name


class ReconciliationKind(models.TextChoices):
    POINTS_BALANCE = "points_balance", _("积分余额与流水合计不符")
    POINTS_REMAINING = "points_remaining", _("积分余额与未用积分合计不符")
    ORDER_PAID = "order_paid", _("订单已收款与收款流水合计不符")


class ReconciliationIssue(models.Model):
    """A difference the nightly reconciliation found between a balance kept in step and the
    sum of its ledger (membership.reconcile). Found once per difference; closed when it is
    gone."""

    kind = models.CharField(_("类型"), max_length=32, choices=ReconciliationKind)
    object_id = models.BigIntegerField(_("对象编号"))  # a MemberAccount or an Order, by kind
    kept = models.DecimalField(_("记录值"), max_digits=14, decimal_places=2)
    ledger = models.DecimalField(_("流水合计"), max_digits=14, decimal_places=2)
    found_at = models.DateTimeField(_("发现时间"))
    resolved_at = models.DateTimeField(_("消除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["-found_at", "-pk"]
        constraints = [
            # The same open difference is recorded once, however often the job runs.
            models.UniqueConstraint(fields=["kind", "object_id", "kept", "ledger"],
                                    condition=models.Q(resolved_at__isnull=True),
                                    name="reconciliation_issue_open_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id}: {self.kept} ≠ {self.ledger}"
