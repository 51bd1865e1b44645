"""Callbacks (电话回访, seed L20-L38): a task after every service, a script, a record of each call.

Every deadline is a row's due_at, swept by Celery beat (DESIGN principle 1): never an ETA.
"""
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from frontdesk.models import WalkOut
from orders.models import OrderStage
from staff.models import Store
from studio.errors import TransitionNotAllowed
from studio.models import TimeStampedModel

from .quiet_hours import Period, parse_periods

DEFAULT_QUIET_HOURS = "12:00-14:00,21:00-09:00"


class CallbackPurpose(models.TextChoices):
    POST_SERVICE = "post_service", _("服务回访")
    HOLIDAY = "holiday", _("节日回访")
    ANNIVERSARY = "anniversary", _("店庆回访")
    PROMOTION = "promotion", _("促销活动回访")
    RENEWAL = "renewal", _("续卡提醒")
    UPGRADE = "upgrade", _("升级提醒")
    COMPLAINT = "complaint", _("投诉处理回访")
    REMINDER = "reminder", _("拍摄/选片前一天提醒")
    GREETING = "greeting", _("拍摄前一周问候")
    WALKOUT = "walkout", _("走单跟进")


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    OVERDUE = "overdue", _("已逾期")
    DONE = "done", _("已完成")
    UNREACHABLE = "unreachable", _("无法联系")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATUSES = (CallbackStatus.PENDING, CallbackStatus.OVERDUE)

# The whole callback workflow on one screen. PENDING → PENDING is a retry or a booked time;
# OVERDUE → OVERDUE a retry of a late task (an unanswered call does not erase lateness).
CALLBACK_TRANSITIONS: dict[str, set[str]] = {
    CallbackStatus.PENDING: {CallbackStatus.PENDING, CallbackStatus.OVERDUE, CallbackStatus.DONE,
                             CallbackStatus.UNREACHABLE, CallbackStatus.CANCELLED},
    CallbackStatus.OVERDUE: {CallbackStatus.OVERDUE, CallbackStatus.PENDING, CallbackStatus.DONE,
                             CallbackStatus.UNREACHABLE, CallbackStatus.CANCELLED},
    CallbackStatus.DONE: set(),
    CallbackStatus.UNREACHABLE: set(),
    CallbackStatus.CANCELLED: set(),
}


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    AVERAGE = "average", _("一般")
    DISSATISFIED = "dissatisfied", _("不满意")


class CallbackPolicy(models.Model):
    """A store's callback rules: the deadline, quiet hours, retries (seed L30)."""

    store = models.OneToOneField(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                                 related_name="callback_policy")
    due_days = models.PositiveSmallIntegerField(
        _("回访期限（天）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(14)])
    quiet_hours = models.CharField(_("休息时段"), max_length=100, default=DEFAULT_QUIET_HOURS,
                                   help_text=_("不打扰客户的时段，如 12:00-14:00,21:00-09:00"))
    max_attempts = models.PositiveSmallIntegerField(
        _("最多拨打次数"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)])
    retry_after_hours = models.PositiveSmallIntegerField(
        _("未接通后间隔（小时）"), default=4, validators=[MinValueValidator(1), MaxValueValidator(72)])

    class Meta:
        verbose_name = _("回访规则")
        verbose_name_plural = _("回访规则")

    def __str__(self) -> str:
        return f"{self.store}: {self.due_days}d, {self.quiet_hours}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            parse_periods(self.quiet_hours)
        except ValueError as exc:
            raise ValidationError({"quiet_hours": _("请按 HH:MM-HH:MM 格式填写，多个时段用逗号分隔。")}
                                  ) from exc

    @property
    def quiet_periods(self) -> list[Period]:
        return parse_periods(self.quiet_hours)


class CallbackScript(models.Model):
    """One version of a call script (回访话术, L32-L38). Editing adds a version; the newest
    version of a purpose is used. Placeholders: {customer} {title} {service} {date}
    {specialist} {store}."""

    purpose = models.CharField(_("用途"), max_length=32, choices=CallbackPurpose)
    version = models.PositiveIntegerField(_("版本"))
    opening = models.TextField(_("开场"))
    question = models.TextField(_("交流"))
    satisfied_followup = models.TextField(_("【满意】追问"))
    unsatisfied_followup = models.TextField(_("【一般/不满意】追问"))
    satisfied_closing = models.TextField(_("【满意】结束语"))
    unsatisfied_closing = models.TextField(_("【一般/不满意】结束语"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编写人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回访话术")
        verbose_name_plural = _("回访话术")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="script_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"


class CallbackCampaign(TimeStampedModel):
    """A batch of callbacks for a period or an occasion （L24: 节日、店庆日、促销活动期； L30: 续卡）."""

    name = models.CharField(_("活动名称"), max_length=100)
    purpose = models.CharField(_("用途"), max_length=32, choices=CallbackPurpose)
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="callback_campaigns")
    conditions = models.JSONField(_("客户条件"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    tasks_created = models.PositiveIntegerField(_("生成任务数"), default=0)

    class Meta:
        verbose_name = _("回访活动")
        verbose_name_plural = _("回访活动")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class CallbackTaskQuerySet(models.QuerySet):
    def open(self) -> "CallbackTaskQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime) -> "CallbackTaskQuerySet":
        """Pending tasks past their deadline, not yet marked by the sweep."""
        return self.filter(status=CallbackStatus.PENDING, due_at__lt=now)

    def late(self, now: datetime) -> "CallbackTaskQuerySet":
        """The 逾期未回访 list: marked overdue, or pending past the deadline (before the sweep)."""
        return self.filter(late_q(now))

    def due_today(self, now: datetime) -> "CallbackTaskQuerySet":
        """The 今日待回访 list: open, not late, and due or to be retried before local midnight."""
        return self.filter(due_today_q(now))


def _local_midnight_after(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)


def late_q(now: datetime) -> models.Q:
    """One definition of a late callback, for the lists, their badges and the dashboards."""
    return models.Q(status=CallbackStatus.OVERDUE) | models.Q(status=CallbackStatus.PENDING,
                                                              due_at__lt=now)


def due_today_q(now: datetime) -> models.Q:
    """Due today and not late: a pending task whose deadline or retry time falls before
    local midnight (disjoint from late_q, so the two figures never count a task twice)."""
    midnight = _local_midnight_after(now)
    return (models.Q(status=CallbackStatus.PENDING, due_at__gte=now)
            & (models.Q(due_at__lt=midnight) | models.Q(retry_at__lt=midnight)))


class CallbackTask(models.Model):
    """One customer to call back, by a due time, for a reason (a service, a campaign...)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE,
                                 related_name="callback_tasks")
    # Tasks are many (a million at chain size) and the sweeps rewrite their status: every index
    # costs each write. Foreign keys read through a composite or unique index below (store,
    # assigned_to, stage, campaign, walkout lead one) carry no index of their own.
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="callback_tasks", db_index=False)
    purpose = models.CharField(_("用途"), max_length=32, choices=CallbackPurpose,
                               default=CallbackPurpose.POST_SERVICE)
    stage = models.ForeignKey(OrderStage, verbose_name=_("服务阶段"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="callback_tasks",
                              db_index=False)
    campaign = models.ForeignKey(CallbackCampaign, verbose_name=_("回访活动"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="tasks",
                                 db_index=False)
    walkout = models.ForeignKey(WalkOut, verbose_name=_("走单"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="followups",
                                db_index=False)
    sequence = models.PositiveSmallIntegerField(_("第几次跟进"), default=1)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责客服"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="callback_tasks", db_index=False)
    status = models.CharField(_("状态"), max_length=16, choices=CallbackStatus,
                              default=CallbackStatus.PENDING)
    triggered_at = models.DateTimeField(_("触发时间"))
    due_at = models.DateTimeField(_("回访期限"))
    booked_at = models.DateTimeField(_("约定回访时间"), null=True, blank=True)
    # When to call again after an unanswered call; due_at (the deadline) stays as it was.
    retry_at = models.DateTimeField(_("下次拨打时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("已拨打次数"), default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("上报主管时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Why a task was closed without a call (its order cancelled, …).
    closed_note = models.CharField(_("关闭说明"), max_length=200, blank=True)

    objects = CallbackTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访任务")
        verbose_name_plural = _("回访任务")
        ordering = ["due_at", "pk"]
        permissions = [("view_callback_summary", _("查看回访总结报告")),
                       ("distribute_callbacktask", _("分配回访任务"))]
        constraints = [
            # One post-service callback per stage, one task per customer per campaign: the
            # trigger, the sweep and a redelivered message can all run; only one row lands.
            models.UniqueConstraint(fields=["stage", "purpose"], name="callback_once_per_stage",
                                    condition=models.Q(stage__isnull=False)),
            models.UniqueConstraint(fields=["campaign", "customer"],
                                    name="callback_once_per_campaign_customer",
                                    condition=models.Q(campaign__isnull=False)),
            models.UniqueConstraint(fields=["walkout", "sequence"],
                                    name="callback_once_per_walkout_call",
                                    condition=models.Q(walkout__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["assigned_to", "status", "due_at"]),
            models.Index(fields=["store", "status", "due_at"]),
            # The due lists (today, overdue) and their badges read only open tasks, in due order:
            # a specialist's and a store's, LIMIT 50 straight from the index.
            models.Index(fields=["assigned_to", "due_at", "id"], name="callback_open_by_owner",
                         condition=models.Q(status__in=["pending", "overdue"])),
            models.Index(fields=["store", "due_at", "id"], name="callback_open_by_store",
                         include=["assigned_to", "status"],  # the load per specialist, index only
                         condition=models.Q(status__in=["pending", "overdue"])),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_purpose_display()}"

    def _move_to(self, status: str) -> None:
        if status not in CALLBACK_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(_("回访任务已是「%(status)s」，不能再办理。") % {
                "status": self.get_status_display()})
        self.status = status

    def complete(self, *, at: datetime) -> None:
        self._move_to(CallbackStatus.DONE)
        self.completed_at, self.retry_at = at, None

    def retry(self, *, at: datetime, now: datetime, max_attempts: int) -> None:
        """An unanswered call (at `now`): try again at `at`, or give up after `max_attempts`
        — given up now, at this call, not at the retry it will not get. The deadline (due_at)
        and the status stay: a late task stays late, on the overdue list and in the on-time
        rate; only the time of the next call is set."""
        self.attempts += 1
        if self.attempts >= max_attempts:
            self._move_to(CallbackStatus.UNREACHABLE)
            self.completed_at, self.retry_at = now, None
        else:
            self._move_to(self.status)
            self.retry_at = at

    def book(self, *, at: datetime, now: datetime) -> None:
        """The customer asked to be called at `at` （L32 再约一个方便的时间）. Reached in time,
        the deadline moves there; reached already late, the task stays late (its deadline and
        status stay, as after an unanswered call) and `at` is only the time of the next call."""
        self.booked_at = at
        if self.status == CallbackStatus.OVERDUE or self.due_at < now:
            self._move_to(self.status)
            self.retry_at = at
            return
        self._move_to(CallbackStatus.PENDING)
        self.due_at, self.retry_at = at, None

    @property
    def next_call_at(self) -> datetime:
        """When to call next: the retry time after an unanswered call, else the deadline."""
        return self.retry_at or self.due_at

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def service_label(self) -> str:
        if self.stage_id:
            return str(self.stage.get_kind_display())
        return str(self.get_purpose_display())


class CallbackRecord(models.Model):
    """《回访记录表》： one call, complete （L30 必须保证回访信息的完整记录）."""

    task = models.ForeignKey(CallbackTask, verbose_name=_("回访任务"), on_delete=models.CASCADE,
                             related_name="records")
    # The task's store (a task never changes store), so that a store's answers of a period are
    # read from one index — the supervisor's satisfaction trend — without joining every task.
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    called_at = models.DateTimeField(_("回访时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"),
                           on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("方式"), max_length=16, choices=Channel, default=Channel.PHONE)
    reached = models.BooleanField(_("已接通"))
    satisfaction = models.CharField(_("满意度"), max_length=16, choices=Satisfaction, blank=True)
    score = models.PositiveSmallIntegerField(
        _("评分(1-5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    comments = models.TextField(_("客户评价"), blank=True)
    suggestions = models.TextField(_("意见建议"), blank=True)
    next_appointment_at = models.DateTimeField(_("下次约定时间"), null=True, blank=True)
    wants_complaint = models.BooleanField(_("需转投诉"), default=False)
    script = models.ForeignKey(CallbackScript, verbose_name=_("使用话术"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["-called_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="record_score_1_to_5"),
            models.CheckConstraint(
                condition=models.Q(reached=True) | models.Q(satisfaction=""),
                name="record_satisfaction_only_when_reached"),
        ]
        indexes = [
            models.Index(fields=["called_at"]),
            # A store's answers of a period (the satisfaction trend), from the index alone.
            models.Index(fields=["store", "called_at"], include=["reached", "satisfaction"],
                         name="record_store_called"),
        ]

    def __str__(self) -> str:
        return f"{self.task} @ {self.called_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.store_id is None:
            self.store_id = self.task.store_id
        super().save(*args, **kwargs)
