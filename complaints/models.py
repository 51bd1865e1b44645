"""Complaints (投诉与客怨处理, seed L44-L82): a closed loop from registration to statistics.

registered → (judge) investigating | rejected → (investigate) investigated → (propose)
proposed → (approve, supervisor only) approved → (implement: penalties, customer signs,
follow-up callback) closed. Every step has a deadline; a late step escalates.
"""
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from callbacks.models import CallbackRecord, CallbackTask
from customers.models import Customer
from orders.models import Order
from staff.models import Department, Store
from studio.errors import TransitionNotAllowed
from studio.models import TimeStampedModel


class ComplaintStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    INVESTIGATING = "investigating", _("调查中")
    INVESTIGATED = "investigated", _("待提方案")
    PROPOSED = "proposed", _("待主管审批")
    APPROVED = "approved", _("待实施")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不成立已结案")


# The whole complaint workflow on one screen. PROPOSED → PROPOSED adds another solution;
# APPROVED → PROPOSED: the customer did not accept the approved one, the supervisor approves
# another (L66-L68: the customer accepts and signs, or the solution is settled again).
COMPLAINT_TRANSITIONS: dict[str, set[str]] = {
    ComplaintStatus.REGISTERED: {ComplaintStatus.INVESTIGATING, ComplaintStatus.REJECTED},
    ComplaintStatus.INVESTIGATING: {ComplaintStatus.INVESTIGATED},
    ComplaintStatus.INVESTIGATED: {ComplaintStatus.PROPOSED},
    ComplaintStatus.PROPOSED: {ComplaintStatus.PROPOSED, ComplaintStatus.APPROVED},
    ComplaintStatus.APPROVED: {ComplaintStatus.CLOSED, ComplaintStatus.PROPOSED},
    ComplaintStatus.CLOSED: set(),
    ComplaintStatus.REJECTED: set(),
}
OPEN_STATUSES = [s for s, targets in COMPLAINT_TRANSITIONS.items() if targets]


class ComplaintAction(models.TextChoices):
    REGISTER = "register", _("登记")
    JUDGE = "judge", _("判定")
    INVESTIGATE = "investigate", _("调查")
    PROPOSE = "propose", _("提出方案")
    APPROVE = "approve", _("审批")
    IMPLEMENT = "implement", _("实施并结案")
    REFUSE = "refuse", _("客户不接受方案")
    ESCALATE = "escalate", _("超时上报")


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    IN_STORE = "in_store", _("到店")
    PUBLIC_FORM = "public_form", _("网上投诉表")
    CALLBACK = "callback", _("回访中反映")
    ONLINE_REVIEW = "online_review", _("网络评价")


class ComplaintCategory(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("产品质量")
    SERVICE_ATTITUDE = "service_attitude", _("服务态度")
    SCHEDULE = "schedule", _("档期/时间")
    PRICE = "price", _("价格/收费")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    NORMAL = "normal", _("较重")
    HIGH = "high", _("严重")


class SolutionKind(models.TextChoices):
    REFUND = "refund", _("退款")
    REMAKE = "remake", _("重做相册/产品")
    RESHOOT = "reshoot", _("重拍")
    POINTS = "points", _("赠送积分")
    GIFT = "gift", _("赠送礼品")
    APOLOGY = "apology", _("道歉")
    OTHER = "other", _("其他")


class ComplaintPolicy(models.Model):
    """How long each step may take in a store (hours), before it escalates."""

    store = models.OneToOneField(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                                 related_name="complaint_policy")
    judge_hours = models.PositiveSmallIntegerField(_("判定时限（小时）"), default=24)
    investigate_hours = models.PositiveSmallIntegerField(_("调查时限（小时）"), default=48)
    propose_hours = models.PositiveSmallIntegerField(_("提出方案时限（小时）"), default=24)
    approve_hours = models.PositiveSmallIntegerField(_("审批时限（小时）"), default=72)
    implement_hours = models.PositiveSmallIntegerField(_("实施时限（小时）"), default=72)

    class Meta:
        verbose_name = _("投诉处理时限")
        verbose_name_plural = _("投诉处理时限")

    def __str__(self) -> str:
        return str(self.store)

    def hours_for(self, status: str) -> int | None:
        return {
            ComplaintStatus.REGISTERED: self.judge_hours,
            ComplaintStatus.INVESTIGATING: self.investigate_hours,
            ComplaintStatus.INVESTIGATED: self.propose_hours,
            ComplaintStatus.PROPOSED: self.approve_hours,
            ComplaintStatus.APPROVED: self.implement_hours,
        }.get(status)


class ComplaintQuerySet(models.QuerySet):
    def open(self) -> "ComplaintQuerySet":
        return self.filter(status__in=OPEN_STATUSES)


class Complaint(TimeStampedModel):
    """《顾客投诉登记表》 and everything that follows it."""

    reference = models.CharField(_("投诉编号"), max_length=20, unique=True)
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="complaints")
    customer = models.ForeignKey(Customer, verbose_name=_("投诉人"), on_delete=models.PROTECT,
                                 related_name="complaints")
    order = models.ForeignKey(Order, verbose_name=_("相关订单"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="complaints")
    # The call that turned into this complaint (转投诉): the record leaves the supervisor's
    # 待转投诉 list once its complaint is registered.
    callback_record = models.OneToOneField(CallbackRecord, verbose_name=_("来源回访记录"),
                                           null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="complaint")
    received_at = models.DateTimeField(_("投诉时间"))
    channel = models.CharField(_("投诉渠道"), max_length=16, choices=ComplaintChannel)
    category = models.CharField(_("投诉类别"), max_length=24, choices=ComplaintCategory)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity,
                                default=Severity.LOW)
    content = models.TextField(_("投诉内容"), max_length=2000)
    status = models.CharField(_("状态"), max_length=16, choices=ComplaintStatus,
                              default=ComplaintStatus.REGISTERED, db_index=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    source_ip = models.GenericIPAddressField(_("提交地址"), null=True, blank=True)
    # 2. Judge
    is_valid = models.BooleanField(_("投诉成立"), null=True, blank=True)
    judgement_reason = models.TextField(_("判定理由"), blank=True)
    explanation = models.TextField(_("对客户的解释"), blank=True)
    customer_understood = models.BooleanField(_("客户已谅解"), null=True, blank=True)
    responsible_department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaints")
    investigation_promised_at = models.DateTimeField(_("承诺调查完成时间"), null=True, blank=True)
    judged_at = models.DateTimeField(_("判定时间"), null=True, blank=True)
    # 3. Investigate
    cause = models.TextField(_("投诉原因"), blank=True)
    responsible_staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("责任人"),
                                          null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="complaints_responsible")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+",
                                   help_text=_("产品质量问题交责任部门，服务问题由客服专员/主管处理"))
    investigated_at = models.DateTimeField(_("调查完成时间"), null=True, blank=True)
    # 4. Propose and approve
    proposed_at = models.DateTimeField(_("提出方案时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    approval_comment = models.TextField(_("审批意见"), blank=True)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    # 5. Implement
    customer_notified_at = models.DateTimeField(_("通知客户时间"), null=True, blank=True)
    customer_accepted = models.BooleanField(_("客户接受方案"), null=True, blank=True)
    signature = models.FileField(_("客户签字"), upload_to="signatures/%Y/%m/", blank=True)
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    customer_feedback = models.TextField(_("客户反馈"), blank=True)
    followup_task = models.OneToOneField(CallbackTask, verbose_name=_("处理后回访"), null=True,
                                         blank=True, on_delete=models.SET_NULL,
                                         related_name="complaint")
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    # Deadlines and escalation (set by the services, swept by beat)
    step_due_at = models.DateTimeField(_("本步骤期限"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("上报级别"), default=0, help_text=_("0 未上报，1 已上报客服主管，2 已上报店长"))
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("顾客投诉")
        verbose_name_plural = _("顾客投诉")
        ordering = ["-received_at", "-pk"]
        permissions = [
            ("judge_complaint", _("判定投诉")),
            ("investigate_complaint", _("调查投诉")),
            ("propose_solution", _("提出处理方案")),
            ("approve_solution", _("审批处理方案")),
            ("implement_complaint", _("实施处理方案")),
            ("view_complaint_statistics", _("查看投诉分类统计")),
        ]
        indexes = [
            models.Index(fields=["store", "status", "received_at"]),
            models.Index(fields=["status", "step_due_at"]),
            # The archive list: a store's complaints, newest first, whatever their step.
            models.Index(fields=["store", "-received_at", "-id"], name="complaint_store_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.customer}"

    def _move_to(self, status: str) -> None:
        if status not in COMPLAINT_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(_("投诉已是「%(status)s」，不能进行这一步。") % {
                "status": self.get_status_display()})
        self.status = status

    def judge(self, *, valid: bool, at: datetime) -> None:
        """Record the judgement in memory; the caller saves and logs it."""
        self._move_to(ComplaintStatus.INVESTIGATING if valid else ComplaintStatus.REJECTED)
        self.is_valid, self.judged_at = valid, at
        if not valid:
            self.closed_at = at

    def investigate(self, *, at: datetime) -> None:
        self._move_to(ComplaintStatus.INVESTIGATED)
        self.investigated_at = at

    def propose(self, *, at: datetime) -> None:
        self._move_to(ComplaintStatus.PROPOSED)
        self.proposed_at = self.proposed_at or at

    def approve(self, *, by, at: datetime) -> None:
        self._move_to(ComplaintStatus.APPROVED)
        self.approved_by, self.approved_at = by, at

    def refuse_solution(self) -> None:
        """The customer did not accept the approved solution: back to the supervisor. Only an
        approved solution can be refused (PROPOSED → PROPOSED is adding a solution)."""
        if self.status != ComplaintStatus.APPROVED:
            raise TransitionNotAllowed(_("投诉已是「%(status)s」，不能进行这一步。") % {
                "status": self.get_status_display()})
        self._move_to(ComplaintStatus.PROPOSED)

    def implement(self, *, at: datetime) -> None:
        self._move_to(ComplaintStatus.CLOSED)
        self.closed_at = at

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def approved_solution(self) -> "ComplaintSolution | None":
        return next((s for s in self.solutions.all() if s.is_approved), None)


class ComplaintSolution(models.Model):
    """One proposed way to settle the complaint, with its cost (L64-L66)."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE,
                                  related_name="solutions")
    kind = models.CharField(_("方案类型"), max_length=16, choices=SolutionKind)
    description = models.TextField(_("方案内容"))
    cost = models.DecimalField(_("成本（元）"), max_digits=10, decimal_places=2,
                               default=Decimal("0.00"), validators=[MinValueValidator(Decimal(0))])
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"),
                                    on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    is_approved = models.BooleanField(_("已批准"), default=False)

    class Meta:
        verbose_name = _("处理方案")
        verbose_name_plural = _("处理方案")
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["complaint"], condition=models.Q(is_approved=True),
                                    name="one_approved_solution_per_complaint"),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="solution_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¥{self.cost}"


class ComplaintPenalty(models.Model):
    """A penalty recorded against a responsible person or department head (L66)."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE,
                                  related_name="penalties")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受罚人"),
                              on_delete=models.PROTECT, related_name="complaint_penalties")
    is_department_head = models.BooleanField(_("部门主管"), default=False)
    amount = models.DecimalField(_("罚款（元）"), max_digits=10, decimal_places=2,
                                 default=Decimal("0.00"), validators=[MinValueValidator(Decimal(0))])
    description = models.CharField(_("处罚说明"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("处罚记录")
        verbose_name_plural = _("处罚记录")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.staff} ¥{self.amount}"


class ComplaintEvent(models.Model):
    """The complaint's history: who did which step, when, and what they wrote (append-only)."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE,
                                  related_name="events")
    action = models.CharField(_("步骤"), max_length=24, choices=ComplaintAction)
    before = models.CharField(_("原状态"), max_length=16, blank=True)
    after = models.CharField(_("新状态"), max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action}"


class ImprovementMeasure(models.Model):
    """The supervisor's improvement measures for a month （L68 提出改进对策）."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="improvement_measures")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    text = models.TextField(_("改进对策"))
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填写人"),
                                   on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("填写时间"), auto_now=True)

    class Meta:
        verbose_name = _("改进对策")
        verbose_name_plural = _("改进对策")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["store", "month"],
                                               name="one_measure_per_store_month")]

    def __str__(self) -> str:
        return f"{self.store} {self.month:%Y-%m}"
