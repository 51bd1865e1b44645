"""Packages, orders, their payments and the service stages a customer moves through.

order (定单) → gown selection (礼服挑选) → shoot (拍摄) → photo selection (选片) → pickup (取件)
"""
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from staff.models import Store
from studio.errors import TransitionNotAllowed
from studio.models import TimeStampedModel

ZERO = Decimal("0.00")


class StageKind(models.TextChoices):
    ORDER = "order", _("定单")
    GOWN = "gown", _("礼服挑选")
    SHOOT = "shoot", _("拍摄")
    SELECTION = "selection", _("选片")
    PICKUP = "pickup", _("取件")


# The order in which a customer is served; a package may leave gown selection out.
STAGE_SEQUENCE: list[str] = [StageKind.ORDER, StageKind.GOWN, StageKind.SHOOT,
                             StageKind.SELECTION, StageKind.PICKUP]


class StageStatus(models.TextChoices):
    PENDING = "pending", _("待安排")
    SCHEDULED = "scheduled", _("已预约")
    DONE = "done", _("已完成")


# The whole stage workflow on one screen. SCHEDULED → SCHEDULED is a reschedule.
STAGE_TRANSITIONS: dict[str, set[str]] = {
    StageStatus.PENDING: {StageStatus.SCHEDULED, StageStatus.DONE},
    StageStatus.SCHEDULED: {StageStatus.SCHEDULED, StageStatus.DONE},
    StageStatus.DONE: set(),
}


class OrderStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("待审批")
    ACTIVE = "active", _("进行中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", _("定金")
    BALANCE = "balance", _("尾款")
    ADDON = "addon", _("加选/二消款")
    REFUND = "refund", _("退款")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")
    CARD = "card", _("银行卡")
    TRANSFER = "transfer", _("转账")


class PackageKind(models.TextChoices):
    WEDDING = "wedding", _("婚纱照")
    CHILDREN = "children", _("儿童照")
    FAMILY = "family", _("全家福")
    PORTRAIT = "portrait", _("个人写真")


class Package(TimeStampedModel):
    """A 套系: what the customer buys — its price, what it includes, and its stages (every
    package has the order, the shoot, the selection and the pickup; gown selection is
    optional). A store's own package, or the chain's (no store: sold in every store, managed
    by the general manager). A package no longer sold stays on its old orders."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="packages",
                              help_text=_("留空：全部门店通用"))
    name = models.CharField(_("套系名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=PackageKind,
                            default=PackageKind.WEDDING)
    price = models.DecimalField(_("价格（元）"), max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(ZERO)])
    photos_count = models.PositiveIntegerField(_("精修张数"), default=0)
    album_photos = models.PositiveIntegerField(_("入册张数"), default=0)
    extra_photo_price = models.DecimalField(_("加选每张（元）"), max_digits=8, decimal_places=2,
                                            default=ZERO, validators=[MinValueValidator(ZERO)])
    album = models.CharField(_("相册"), max_length=100, blank=True)
    outfits = models.PositiveSmallIntegerField(_("服装套数"), default=0)
    scenes = models.PositiveSmallIntegerField(_("拍摄景点数"), default=0)
    includes_gown_selection = models.BooleanField(_("含礼服挑选"), default=True)
    description = models.TextField(_("套系说明"), blank=True)
    is_active = models.BooleanField(_("在售"), default=True)

    class Meta:
        verbose_name = _("套系")
        verbose_name_plural = _("套系")
        ordering = ["kind", "price"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="package_price_not_negative"),
            models.UniqueConstraint(fields=["store", "name"], name="package_name_unique_per_store",
                                    violation_error_message=_("本门店已有同名套系。")),
            models.UniqueConstraint(fields=["name"], condition=models.Q(store__isnull=True),
                                    name="package_name_unique_chain",
                                    violation_error_message=_("已有同名的全店通用套系。")),
        ]

    def __str__(self) -> str:
        return f"{self.name}(¥{self.price:,.0f})"

    @property
    def stage_kinds(self) -> list[str]:
        """The stages an order of this package goes through, in order."""
        return [k for k in STAGE_SEQUENCE
                if k != StageKind.GOWN or self.includes_gown_selection]


class Order(TimeStampedModel):
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="orders")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="orders")
    package = models.ForeignKey(Package, verbose_name=_("套系"), on_delete=models.PROTECT,
                                related_name="orders")
    amount = models.DecimalField(_("订单金额"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(ZERO)])
    discount = models.DecimalField(_("优惠"), max_digits=12, decimal_places=2, default=ZERO,
                                   validators=[MinValueValidator(ZERO)])
    scene = models.CharField(_("拍摄景点"), max_length=100, blank=True)
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("门市顾问"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    status = models.CharField(_("订单状态"), max_length=16, choices=OrderStatus,
                              default=OrderStatus.ACTIVE)
    current_stage = models.CharField(_("当前阶段"), max_length=16, choices=StageKind,
                                     blank=True, db_index=True,
                                     help_text=_("第一个未完成的服务阶段；全部完成后为空"))
    # Kept in step with the Payment ledger and the stages' add-ons by orders.services, under a
    # row lock in the same transaction; balance_owed is computed by the database from them.
    paid_total = models.DecimalField(_("已收款"), max_digits=12, decimal_places=2, default=ZERO,
                                     editable=False)
    extras_total = models.DecimalField(_("加选/二消"), max_digits=12, decimal_places=2,
                                       default=ZERO, editable=False)
    balance_owed = models.GeneratedField(
        expression=models.F("amount") - models.F("discount") + models.F("extras_total")
        - models.F("paid_total"),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True, verbose_name=_("欠款"),
    )
    cancelled_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    planned_on = models.DateField(_("预计首次到店"), null=True, blank=True,
                                  help_text=_("礼服挑选或拍摄的预计日期，印在定单确认书上"))
    notes = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("开单人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)
    # A discount above the store's limit (Store.discount_limit) waits for the manager.
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("优惠审批人"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True, editable=False)
    # The API's Idempotency-Key (or the form's one-time key) that created the order.
    request_key = models.CharField(_("请求编号"), max_length=80, null=True, blank=True,
                                   unique=True, editable=False)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-created_at"]
        permissions = [
            ("record_stage", _("登记服务阶段（预约/完成）")),
            ("take_payment", _("收款/退款")),
            ("approve_discount", _("审批超额优惠")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="order_amount_not_negative"),
            models.CheckConstraint(condition=models.Q(discount__gte=0, discount__lte=models.F("amount")),
                                   name="order_discount_within_amount"),
            models.CheckConstraint(condition=models.Q(paid_total__gte=0), name="order_paid_not_negative"),
        ]
        indexes = [
            models.Index(fields=["store", "current_stage"]),
            models.Index(fields=["store", "status"]),
            # A store's orders, newest first (the API list, the order list): read in order
            # from the index, LIMIT 50, instead of sorting every order of the store.
            models.Index(fields=["store", "-created_at", "-id"], name="order_store_newest"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.package.name}"

    @property
    def total_due(self) -> Decimal:
        return self.amount - self.discount + self.extras_total

    @property
    def owes_before_service(self) -> bool:
        """A balance is owed and a shoot, selection or pickup comes next (L186-L188: check it)."""
        return self.balance_owed > 0 and self.current_stage in (
            StageKind.SHOOT, StageKind.SELECTION, StageKind.PICKUP)

    @property
    def payment_status(self) -> str:
        if self.paid_total <= ZERO:
            return str(_("未付款"))
        if self.paid_total < self.total_due:
            return str(_("已付定金"))
        return str(_("已付清"))

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    def ensure_active(self, *, waiting_ok: bool = False) -> None:
        """Refuse anything more on a cancelled order: its stages, bookings, payments, flow card,
        products and reworks. A completed order still takes its balance and its products. An
        order waiting for its discount's approval takes its deposit and changes (`waiting_ok`)
        but no service yet. Raises TransitionNotAllowed (the page shows it, the API answers 409
        order_cancelled / order_pending_approval)."""
        if self.status == OrderStatus.CANCELLED:
            raise TransitionNotAllowed(
                gettext("订单 #%(pk)s 已取消，不能再办理。") % {"pk": self.pk}, code="order_cancelled")
        if self.status == OrderStatus.PENDING_APPROVAL and not waiting_ok:
            raise TransitionNotAllowed(
                gettext("订单 #%(pk)s 的优惠待店长审批，审批后才能安排服务。") % {"pk": self.pk},
                code="order_pending_approval")


class Payment(models.Model):
    """One entry of the payment ledger: added, never edited (a mistake is a refund)."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT,
                              related_name="payments")
    # The order's store (an order never changes store): a store's money of a month is read
    # from one index, without joining every order of the store.
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="+", db_index=False, editable=False)
    kind = models.CharField(_("款项"), max_length=16, choices=PaymentKind)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    method = models.CharField(_("支付方式"), max_length=16, choices=PaymentMethod,
                              default=PaymentMethod.WECHAT)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经手人"),
                                    on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(_("收款时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # The one-time key of the form (or the API's Idempotency-Key) that recorded the payment:
    # a form submitted twice, or a request sent again, records the money once.
    request_key = models.CharField(_("请求编号"), max_length=80, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("收款记录")
        verbose_name_plural = _("收款记录")
        ordering = ["paid_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["paid_at"]),  # the chain's payments list
            # A store's month: revenue by day, by kind, by consultant (the dashboards, targets).
            models.Index(fields=["store", "paid_at"], name="payment_store_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¥{self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.store_id is None:
            self.store_id = self.order.store_id
        super().save(*args, **kwargs)

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == PaymentKind.REFUND else self.amount


class OrderAddOn(models.Model):
    """Something sold with the order or after it (an extra album, a frame, more photos): it
    raises what the customer owes (Order.extras_total)."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE,
                              related_name="addons")
    name = models.CharField(_("加购项目"), max_length=100)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("加购项目")
        verbose_name_plural = _("加购项目")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="addon_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.amount}"


class OrderEventAction(models.TextChoices):
    CREATED = "created", _("开单")
    APPROVED = "approved", _("优惠审批通过")
    PACKAGE = "package", _("更换套系")
    ADDON = "addon", _("加购")
    DISCOUNT = "discount", _("调整优惠")
    CONSULTANT = "consultant", _("更换门市顾问")
    SCENE = "scene", _("更换拍摄景点")
    PLANNED = "planned", _("更改预计到店")
    NOTES = "notes", _("修改备注")
    CANCELLED = "cancelled", _("取消订单")


class OrderEvent(models.Model):
    """The order's own history (the sale and every change after it): append-only."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE,
                              related_name="events")
    action = models.CharField(_("动作"), max_length=16, choices=OrderEventAction)
    before = models.CharField(_("修改前"), max_length=200, blank=True)
    after = models.CharField(_("修改后"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("订单记录")
        verbose_name_plural = _("订单记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_action_display()}"


class ReceiptSequence(models.Model):
    """The last receipt number of a store's year: taken under a row lock, so numbers never
    repeat or skip, whatever payments run at once."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="+")
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("最后编号"), default=0)

    class Meta:
        verbose_name = _("收据编号")
        verbose_name_plural = _("收据编号")
        constraints = [
            models.UniqueConstraint(fields=["store", "year"], name="receipt_sequence_per_store_year"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.year}: {self.last}"


class Receipt(models.Model):
    """收据: one per payment or refund, numbered per store and year (STORE-YEAR-000001)."""

    payment = models.OneToOneField(Payment, verbose_name=_("收款记录"), on_delete=models.PROTECT,
                                   related_name="receipt")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="+")
    year = models.PositiveSmallIntegerField(_("年份"))
    serial = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("收据编号"), max_length=40, unique=True)
    issued_at = models.DateTimeField(_("开具时间"))

    class Meta:
        verbose_name = _("收据")
        verbose_name_plural = _("收据")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "year", "serial"],
                                    name="receipt_serial_unique_per_store_year"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderStage(models.Model):
    """One service stage of one order, with the fields the seed lists for it (L18-L20)."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE,
                              related_name="stages")
    # The order's store, kept on the stage so that a store's stage list is read from one index
    # (an order never changes store): scoping a stage needs no join at chain size.
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    # Whether the order was cancelled, kept on the stage (set once by order_cancel) so that a
    # store's stage lists and their counts read one index, without joining every order.
    order_cancelled = models.BooleanField(_("订单已取消"), default=False)
    # The customer's specialist (Customer.assigned_to), kept on the stage so that a specialist's
    # stage lists and their counts read one index instead of joining customers → orders →
    # stages. Set when the stages are laid out; every reassignment moves it (the signal
    # customers.signals.customers_reassigned), and a nightly sweep repairs any drift.
    specialist = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责客服"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False, editable=False)
    kind = models.CharField(_("阶段"), max_length=16, choices=StageKind)
    sequence = models.PositiveSmallIntegerField(_("顺序"))
    status = models.CharField(_("状态"), max_length=16, choices=StageStatus,
                              default=StageStatus.PENDING)
    scheduled_at = models.DateTimeField(_("预约时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("服务人员"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_stages",
        help_text=_("拍摄：摄影师；选片：选片师；其他阶段：接待人员"),
    )
    makeup_artist = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("化妆师"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    location = models.CharField(_("外景点"), max_length=100, blank=True)
    extra_amount = models.DecimalField(_("加选/选片消费"), max_digits=12, decimal_places=2,
                                       default=ZERO, validators=[MinValueValidator(ZERO)])
    extra_note = models.CharField(_("加选内容"), max_length=200, blank=True)
    picked_up_by = models.CharField(_("取件人"), max_length=64, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("服务阶段")
        verbose_name_plural = _("服务阶段")
        ordering = ["order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="stage_once_per_order"),
            models.CheckConstraint(condition=models.Q(extra_amount__gte=0),
                                   name="stage_extra_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(completed_at__isnull=False),
                name="stage_done_has_time"),
        ]
        indexes = [
            models.Index(fields=["kind", "status", "scheduled_at"]),
            models.Index(fields=["assigned_to", "kind", "status"]),
            # A store's stage list: its count (by status), its first page (by time, newest first).
            models.Index(fields=["store", "kind", "status", "scheduled_at"],
                         condition=models.Q(order_cancelled=False), name="stage_list_count"),
            models.Index(fields=["store", "kind", "scheduled_at", "-id"],
                         condition=models.Q(order_cancelled=False), name="stage_list_page"),
            # A specialist's stage list: its first page read in order, its count from the index
            # alone (status and store ride along on PostgreSQL).
            models.Index(fields=["specialist", "kind", "scheduled_at", "-id"],
                         include=["status", "store"], condition=models.Q(order_cancelled=False),
                         name="stage_list_specialist"),
            models.Index(fields=["store", "completed_at"]),  # a month's services, the dashboards
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}({self.get_status_display()})"

    def _move_to(self, status: str) -> None:
        if status not in STAGE_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(
                _("「%(stage)s」已是「%(status)s」，不能再改为「%(target)s」。") % {
                    "stage": self.get_kind_display(), "status": self.get_status_display(),
                    "target": StageStatus(status).label})
        self.status = status

    def schedule(self, *, at: datetime) -> None:
        """Book (or move) the stage's time, in memory; the caller saves and logs it."""
        self._move_to(StageStatus.SCHEDULED)
        self.scheduled_at = at

    def complete(self, *, at: datetime, by) -> None:
        """Mark the stage done at `at` by `by`, in memory; the caller saves and logs it."""
        self._move_to(StageStatus.DONE)
        self.completed_at, self.completed_by = at, by

    def is_late(self, now: datetime) -> bool:
        return (self.status == StageStatus.SCHEDULED and self.scheduled_at is not None
                and self.scheduled_at < now)

    @property
    def is_overdue(self) -> bool:
        """is_late right now (for templates)."""
        return self.is_late(timezone.now())


class StageEventAction(models.TextChoices):
    CREATED = "created", _("创建")
    SCHEDULED = "scheduled", _("预约")
    RESCHEDULED = "rescheduled", _("改期")
    COMPLETED = "completed", _("完成")
    CANCELLED = "cancelled", _("取消订单")


class StageEvent(models.Model):
    """History of an order's stages: who did what, and when (append-only)."""

    stage = models.ForeignKey(OrderStage, verbose_name=_("阶段"), on_delete=models.CASCADE,
                              related_name="events")
    action = models.CharField(_("动作"), max_length=16, choices=StageEventAction)
    before = models.CharField(_("原状态"), max_length=16, blank=True)
    after = models.CharField(_("新状态"), max_length=16)
    scheduled_at = models.DateTimeField(_("预约时间"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("阶段记录")
        verbose_name_plural = _("阶段记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.stage} {self.get_action_display()}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待跟进")
    DONE = "done", _("已跟进")
    OBSOLETE = "obsolete", _("已改期/已完成")


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> "FollowUpQuerySet":
        return self.filter(status=FollowUpStatus.OPEN)


class LateFollowUp(models.Model):
    """A late service to chase (L16 "若没有接受服务,及时沟通"): one per stage and booked time.

    A stage rescheduled after it was found late gets a new row if the new time passes too;
    the unique constraint makes the sweep idempotent even when it runs twice at once.
    """

    stage = models.ForeignKey(OrderStage, verbose_name=_("阶段"), on_delete=models.CASCADE,
                              related_name="followups")
    scheduled_at = models.DateTimeField(_("原预约时间"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责客服"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="late_followups")
    status = models.CharField(_("状态"), max_length=16, choices=FollowUpStatus,
                              default=FollowUpStatus.OPEN)
    created_at = models.DateTimeField(_("发现时间"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    note = models.CharField(_("跟进结果"), max_length=200, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("逾期跟进")
        verbose_name_plural = _("逾期跟进")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "scheduled_at"],
                                    name="followup_once_per_stage_and_time"),
        ]
        indexes = [models.Index(fields=["assigned_to", "status"])]

    def __str__(self) -> str:
        return f"{self.stage} @ {self.scheduled_at:%Y-%m-%d %H:%M}"
