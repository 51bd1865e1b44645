"""The front desk's day (seed L180-L188): the schedule and its resources (gowns, outdoor
locations), flow cards and performance credits, rework, production chasing and walk-outs.

These models began in the orders app; their tables keep the names they had there
(`Meta.db_table`), so an existing database migrated without copying a row.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from orders.models import ZERO, Order, OrderStage, Package
from staff.models import Store
from studio.errors import TransitionNotAllowed
from studio.models import TimeStampedModel


class GownCondition(models.TextChoices):
    GOOD = "good", _("完好")
    REPAIR = "repair", _("维修中")
    RETIRED = "retired", _("已停用")


class Gown(models.Model):
    """A gown of the store's catalogue （礼服）: included in some packages, or an add-on."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="gowns")
    code = models.CharField(_("编号"), max_length=20)
    style = models.CharField(_("款式"), max_length=64)
    size = models.CharField(_("尺码"), max_length=16, blank=True)
    colour = models.CharField(_("颜色"), max_length=16, blank=True)
    photo = models.FileField(_("照片"), upload_to="gowns/", blank=True)
    packages = models.ManyToManyField(Package, verbose_name=_("包含在套系"), blank=True,
                                      related_name="gowns")
    addon_price = models.DecimalField(_("加选价格（元）"), max_digits=10, decimal_places=2,
                                      default=ZERO, validators=[MinValueValidator(ZERO)])
    condition = models.CharField(_("状况"), max_length=16, choices=GownCondition,
                                 default=GownCondition.GOOD)

    class Meta:
        db_table = "orders_gown"  # the table kept its name when the app moved
        verbose_name = _("礼服")
        verbose_name_plural = _("礼服")
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"],
                                               name="gown_code_unique_per_store")]

    def __str__(self) -> str:
        return f"{self.code} {self.style}"


class OutdoorLocation(models.Model):
    """An outdoor location （外景点） with how many shoots it takes a day."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="outdoor_locations")
    name = models.CharField(_("外景点"), max_length=64)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    daily_capacity = models.PositiveSmallIntegerField(_("每日可拍组数"), default=4)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        db_table = "orders_outdoorlocation"  # the table kept its name when the app moved
        verbose_name = _("外景点")
        verbose_name_plural = _("外景点")
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"],
                                               name="location_name_unique_per_store")]

    def __str__(self) -> str:
        return self.name


class ScheduleSettings(models.Model):
    """A store's schedule rules: shoots a day, and how flow-card performance is split."""

    store = models.OneToOneField(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                                 related_name="schedule_settings")
    daily_shoot_capacity = models.PositiveSmallIntegerField(_("每日拍摄档期数"), default=8)
    photographer_share = models.DecimalField(
        _("摄影师业绩比例(%)"), max_digits=5, decimal_places=2, default=Decimal("60.00"),
        validators=[MinValueValidator(ZERO)])
    makeup_share = models.DecimalField(
        _("化妆师业绩比例(%)"), max_digits=5, decimal_places=2, default=Decimal("40.00"),
        validators=[MinValueValidator(ZERO)])

    class Meta:
        db_table = "orders_schedulesettings"  # the table kept its name when the app moved
        verbose_name = _("档期与业绩规则")
        verbose_name_plural = _("档期与业绩规则")
        constraints = [models.CheckConstraint(
            condition=models.Q(photographer_share__lte=100, makeup_share__lte=100),
            name="shares_at_most_100")]

    def __str__(self) -> str:
        return str(self.store)


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Booking(TimeStampedModel):
    """A schedule slot (档期) for one stage of an order, with the people, gowns and location it
    takes. One conflict check covers them all (orders.schedule)."""

    stage = models.OneToOneField(OrderStage, verbose_name=_("服务阶段"), on_delete=models.CASCADE,
                                 related_name="booking")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="bookings")
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    photographer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("摄影师"),
                                     null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="photographer_bookings")
    makeup_artist = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("化妆师"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="makeup_bookings")
    requested_by_customer = models.BooleanField(_("客户指定人员"), default=False)
    location = models.ForeignKey(OutdoorLocation, verbose_name=_("外景点"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="bookings")
    gowns = models.ManyToManyField(Gown, verbose_name=_("礼服"), blank=True,
                                   related_name="bookings")
    status = models.CharField(_("状态"), max_length=16, choices=BookingStatus,
                              default=BookingStatus.BOOKED)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("预约人"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "orders_booking"  # the table kept its name when the app moved
        verbose_name = _("档期")
        verbose_name_plural = _("档期")
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="booking_ends_after_start")]
        indexes = [models.Index(fields=["store", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.stage} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingChange(models.Model):
    """Moving a booking keeps its history."""

    booking = models.ForeignKey(Booking, verbose_name=_("档期"), on_delete=models.CASCADE,
                                related_name="changes")
    before_starts_at = models.DateTimeField(_("原时间"), null=True, blank=True)
    after_starts_at = models.DateTimeField(_("新时间"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        db_table = "orders_bookingchange"  # the table kept its name when the app moved
        verbose_name = _("档期变更")
        verbose_name_plural = _("档期变更")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.before_starts_at} → {self.after_starts_at}"


class FlowCard(models.Model):
    """流程卡: at the end of a shoot, who photographed and who did makeup; credits their
    performance (业绩) for the order."""

    stage = models.OneToOneField(OrderStage, verbose_name=_("拍摄"), on_delete=models.PROTECT,
                                 related_name="flow_card")
    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT,
                              related_name="flow_cards")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="flow_cards")
    on = models.DateField(_("日期"), db_index=True)
    photographer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("摄影师"),
                                     on_delete=models.PROTECT, related_name="+")
    makeup_artist = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("化妆师"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    amount = models.DecimalField(_("计业绩金额"), max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        db_table = "orders_flowcard"  # the table kept its name when the app moved
        verbose_name = _("流程卡")
        verbose_name_plural = _("流程卡")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.on} #{self.order_id}"


class PerformanceCredit(models.Model):
    """One person's share of a flow card's performance （业绩）."""

    flow_card = models.ForeignKey(FlowCard, verbose_name=_("流程卡"), on_delete=models.CASCADE,
                                  related_name="credits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("员工"),
                             on_delete=models.PROTECT, related_name="performance_credits")
    role = models.CharField(_("角色"), max_length=32)
    amount = models.DecimalField(_("业绩（元）"), max_digits=12, decimal_places=2)
    on = models.DateField(_("日期"), db_index=True)

    class Meta:
        db_table = "orders_performancecredit"  # the table kept its name when the app moved
        verbose_name = _("业绩记录")
        verbose_name_plural = _("业绩记录")
        ordering = ["-on", "pk"]
        indexes = [models.Index(fields=["user", "on"])]

    def __str__(self) -> str:
        return f"{self.user} ¥{self.amount}"


class ReworkStatus(models.TextChoices):
    REQUESTED = "requested", _("待店长审批")
    APPROVED = "approved", _("返工中")
    REJECTED = "rejected", _("未批准")
    DONE = "done", _("已完成")


REWORK_TRANSITIONS: dict[str, set[str]] = {
    ReworkStatus.REQUESTED: {ReworkStatus.APPROVED, ReworkStatus.REJECTED},
    ReworkStatus.APPROVED: {ReworkStatus.DONE},
    ReworkStatus.REJECTED: set(),
    ReworkStatus.DONE: set(),
}


class Rework(TimeStampedModel):
    """返工记录： why, what is redone, the store manager's approval, until done."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT,
                              related_name="reworks")
    reason = models.TextField(_("返工原因"))
    items = models.CharField(_("返工内容"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=ReworkStatus,
                              default=ReworkStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"),
                                     on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批店长"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        db_table = "orders_rework"  # the table kept its name when the app moved
        verbose_name = _("返工记录")
        verbose_name_plural = _("返工记录")
        ordering = ["-created_at"]
        permissions = [("approve_rework", _("审批返工"))]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.items}"

    def move_to(self, status: str) -> None:
        if status not in REWORK_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(_("返工已是「%(status)s」，不能再办理。") % {
                "status": self.get_status_display()})
        self.status = status


class ProductKind(models.TextChoices):
    ALBUM = "album", _("相册")
    FRAME = "frame", _("相框/摆台")
    FILES = "files", _("电子档")
    OTHER = "other", _("其他")


class ProductionStatus(models.TextChoices):
    PENDING = "pending", _("待送厂")
    SENT = "sent", _("制作中")
    ARRIVED = "arrived", _("已到店")
    QC_PASSED = "qc_passed", _("质检合格")
    QC_FAILED = "qc_failed", _("质检不合格")
    PICKED_UP = "picked_up", _("已取件")


PRODUCTION_TRANSITIONS: dict[str, set[str]] = {
    ProductionStatus.PENDING: {ProductionStatus.SENT},
    ProductionStatus.SENT: {ProductionStatus.ARRIVED},
    ProductionStatus.ARRIVED: {ProductionStatus.QC_PASSED, ProductionStatus.QC_FAILED},
    ProductionStatus.QC_FAILED: {ProductionStatus.SENT},
    ProductionStatus.QC_PASSED: {ProductionStatus.PICKED_UP},
    ProductionStatus.PICKED_UP: set(),
}


class ProductionItem(TimeStampedModel):
    """催件： a product after selection, chased through production and quality check."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT,
                              related_name="production_items")
    kind = models.CharField(_("产品"), max_length=16, choices=ProductKind)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=ProductionStatus,
                              default=ProductionStatus.PENDING, db_index=True)
    sent_at = models.DateTimeField(_("送厂时间"), null=True, blank=True)
    due_on = models.DateField(_("预计到店"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到店时间"), null=True, blank=True)
    qc_count = models.PositiveSmallIntegerField(_("质检数量"), null=True, blank=True)
    qc_note = models.CharField(_("质检说明"), max_length=200, blank=True)
    qc_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("质检人"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    qc_at = models.DateTimeField(_("质检时间"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("取件时间"), null=True, blank=True)
    picked_up_by = models.CharField(_("取件人"), max_length=64, blank=True)

    class Meta:
        db_table = "orders_productionitem"  # the table kept its name when the app moved
        verbose_name = _("制作产品")
        verbose_name_plural = _("制作产品")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.get_kind_display()}"

    def move_to(self, status: str) -> None:
        if status not in PRODUCTION_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(_("产品已是「%(status)s」，不能改为「%(target)s」。") % {
                "status": self.get_status_display(),
                "target": ProductionStatus(status).label})
        self.status = status


class WalkOutReason(models.TextChoices):
    PRICE = "price", _("价格")
    STYLE = "style", _("风格/样片")
    SCHEDULE = "schedule", _("档期")
    COMPARING = "comparing", _("还在比较")
    SERVICE = "service", _("接待服务")
    OTHER = "other", _("其他")


class WalkOutStatus(models.TextChoices):
    FOLLOWING = "following", _("跟进中")
    CONVERTED = "converted", _("已成交")
    LOST = "lost", _("已流失")


class WalkOut(TimeStampedModel):
    """走单： a prospect who came in and left without ordering (L180-L182)."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="walkouts")
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="walkouts")
    visited_at = models.DateTimeField(_("到店时间"), db_index=True)
    reason = models.CharField(_("流失原因"), max_length=16, choices=WalkOutReason)
    reason_note = models.CharField(_("说明"), max_length=200, blank=True)
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接待门市"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=16, choices=WalkOutStatus,
                              default=WalkOutStatus.FOLLOWING)
    converted_order = models.ForeignKey(Order, verbose_name=_("成交订单"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        db_table = "orders_walkout"  # the table kept its name when the app moved
        verbose_name = _("走单")
        verbose_name_plural = _("走单")
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["store", "visited_at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.visited_at:%Y-%m-%d}"
