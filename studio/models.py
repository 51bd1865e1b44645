"""Kernel models: the abstract time-stamped base and the one audit log."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    VIEW_CUSTOMER = "view_customer", _("查看客户资料")
    REVEAL_MOBILE = "reveal_mobile", _("查看完整手机号")
    EXPORT = "export", _("导出数据")
    IMPORT = "import", _("导入数据")
    LOGIN = "login", _("登录")
    CREATE_CUSTOMER = "create_customer", _("登记客户")
    CHANGE_CUSTOMER = "change_customer", _("修改客户资料")
    MERGE_CUSTOMER = "merge_customer", _("合并客户")
    CHANGE_PACKAGE = "change_package", _("修改套系")
    CHANGE_TARGET = "change_target", _("设定月度目标")


class AuditEntry(models.Model):
    """Who looked at or took personal data, what, when and from where (seed L92)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("动作"), max_length=32, choices=AuditAction)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")


class SmsChannel(models.TextChoices):
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")


class SmsMessage(models.Model):
    """The outbox: every message to a customer, kept with its delivery status （L20 与短信功能配合
    使用）. Chinese gateways send approved templates, not free text: the row keeps the template
    code and its parameters beside the text the customer reads (`body`)."""

    mobile = models.CharField(_("手机号"), max_length=11)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=32, blank=True)
    # A reminder or notice queued by a sweep carries a key, so that it is queued only once.
    dedupe_key = models.CharField(_("去重键"), max_length=64, null=True, blank=True, unique=True)
    store_id = models.BigIntegerField(_("门店"), null=True, blank=True, db_index=True)
    customer_id = models.BigIntegerField(_("客户"), null=True, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=SmsStatus, default=SmsStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    # How it goes: WeChat for a customer who linked it (the store has a WeChat template), else SMS;
    # a WeChat send that fails turns the row into an SMS (`error` says why).
    channel = models.CharField(_("渠道"), max_length=8, choices=SmsChannel, default=SmsChannel.SMS)
    gateway = models.CharField(_("网关"), max_length=16, blank=True)
    template_code = models.CharField(_("短信模板"), max_length=64, blank=True)
    # [[name, value], …] in the template's order (Tencent's templates take them by position).
    params = models.JSONField(_("模板参数"), default=list, blank=True)
    openid = models.CharField(_("微信 openid"), max_length=64, blank=True)
    wechat_template = models.CharField(_("微信模板"), max_length=64, blank=True)
    wechat_data = models.JSONField(_("微信模板字段"), default=dict, blank=True)
    provider_id = models.CharField(_("网关编号"), max_length=64, blank=True)
    # The last attempt timed out: the gateway may have taken it. The next attempt asks the
    # gateway first (SmsSender.lookup) and sends only if it did not (exactly once).
    in_doubt = models.BooleanField(_("结果未知"), default=False)
    # A one-time code or a message the customer just asked for: never held for quiet hours or
    # a per-mobile limit (codes are limited when asked for). Marketing (a survey, a thank-you)
    # is not sent to a mobile that opted out, and says how to (回复TD退订).
    urgent = models.BooleanField(_("即时"), default=False)
    marketing = models.BooleanField(_("营销类"), default=False)
    error = models.CharField(_("原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Not sent before this time: quiet hours, a retry's backoff, a per-mobile rate limit (the
    # beat sweep sends it then).
    send_after = models.DateTimeField(_("计划发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"]),
                   models.Index(fields=["mobile", "sent_at"]),
                   models.Index(fields=["gateway", "provider_id"])]

    def __str__(self) -> str:
        return f"{self.mobile[:3]}****{self.mobile[-4:]} {self.body[:20]}"


class SmsOptOut(models.Model):
    """A mobile that asked for no more marketing messages (回复TD退订, or told the staff)."""

    class Source(models.TextChoices):
        REPLY = "reply", _("短信回复退订")
        STAFF = "staff", _("员工登记")

    mobile = models.CharField(_("手机号"), max_length=11, unique=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source, default=Source.REPLY)
    text = models.CharField(_("回复内容"), max_length=70, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("退订时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信退订")
        verbose_name_plural = _("短信退订")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.mobile[:3]}****{self.mobile[-4:]}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导出中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExportJob(models.Model):
    """A large list export written by a worker (studio.exports): the page shows its progress,
    its owner downloads the file. The job is the truth: a lost broker message is re-sent by the
    sweep, a redelivered one finds the job taken and does nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导出人"),
                             on_delete=models.CASCADE, related_name="+")
    exporter = models.CharField(_("导出内容"), max_length=64)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    title = models.CharField(_("名称"), max_length=100)
    filename = models.CharField(_("文件名"), max_length=150)
    status = models.CharField(_("状态"), max_length=16, choices=ExportStatus,
                              default=ExportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(_("预计行数"), default=0)
    done_rows = models.PositiveIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    language = models.CharField(_("语言"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"]),
                   models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, self.done_rows * 100 // self.total_rows) if self.total_rows else 0


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    PARSING = "parsing", _("解析中")
    READY = "ready", _("待确认")
    CONFIRMED = "confirmed", _("待导入")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """An uploaded customer sheet on its way in (imports.services): the worker parses it in a
    child process under memory and time limits and previews each row, its uploader confirms,
    the worker imports the valid rows in one transaction. The job is the truth: a lost message
    is re-sent by the sweep, a redelivered one finds the job taken and does nothing. Only its
    uploader sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"),
                             on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey("staff.Store", verbose_name=_("导入到门店"),
                              on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("文件名"), max_length=150)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus,
                              default=ImportStatus.QUEUED)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    # Counts, the preview's digest, the columns read; and once imported, what went in. The rows
    # themselves (personal data) wait in files that are deleted a day later.
    summary = models.JSONField(_("预览与结果"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    language = models.CharField(_("语言"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"]),
                   models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        """Waiting for, or in the hands of, the worker: the page refreshes itself."""
        return self.status in (ImportStatus.QUEUED, ImportStatus.PARSING, ImportStatus.CONFIRMED,
                               ImportStatus.IMPORTING)


class Heartbeat(models.Model):
    """When beat last ticked and a worker last ran its tick (issue 18): one row per name, so a
    stopped beat or worker shows on /healthz and fails /healthz/jobs (studio.health)."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
