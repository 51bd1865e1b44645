"""Webhooks for integrators: a store's HTTPS endpoints and the outbox of their deliveries.

A delivery is a row first (webhooks.services.webhook_emit, inside the caller's transaction),
sent on commit and swept by beat while it is due: at least once, never lost to a broker outage.
"""
import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from staff.models import Store


class WebhookEvent(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", _("新客户登记")
    ORDER_CREATED = "order.created", _("开单")
    ORDER_CANCELLED = "order.cancelled", _("订单取消")
    PAYMENT_RECORDED = "payment.recorded", _("收款/退款入账")
    STAGE_COMPLETED = "stage.completed", _("服务阶段完成")
    CALLBACK_COMPLETED = "callback.completed", _("回访完成")
    COMPLAINT_REGISTERED = "complaint.registered", _("投诉登记")
    COMPLAINT_CLOSED = "complaint.closed", _("投诉结案")
    POINTS_CHANGED = "points.changed", _("积分变动")


# The test button's event: sent to one endpoint whatever it subscribes to.
PING = "ping"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("失败")


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def url_problem(url: str) -> str | None:
    """Why `url` may not receive webhooks, or None: HTTPS only (the payload names customers),
    plain http:// for this machine alone (a receiver under test)."""
    parts = urlsplit(url or "")
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return None
    return str(_("接收地址必须以 https:// 开头（只有本机测试地址 127.0.0.1、localhost 可以用 http://）。"))


def secret_generate() -> str:
    """A new signing secret: 32 random bytes, hex, with a prefix that says what it is."""
    return f"whsec_{secrets.token_hex(32)}"


class WebhookEndpoint(models.Model):
    """An HTTPS address of an integrator's system that receives the store's events."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="webhook_endpoints")
    url = models.URLField(_("接收地址"), max_length=500,
                          help_text=_("必须是 https:// 地址，收到推送后 5 秒内回复 2xx"))
    description = models.CharField(_("说明"), max_length=100, blank=True)
    # Stored as is: signing needs it. Shown once (after creating or regenerating), never listed.
    secret = models.CharField(_("签名密钥"), max_length=80, default=secret_generate,
                              editable=False)
    events = models.JSONField(_("订阅的事件"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("Webhook 接收地址")
        verbose_name_plural = _("Webhook 接收地址")
        ordering = ["store_id", "pk"]
        # webhook_emit's one query: the store's active endpoints.
        indexes = [models.Index(fields=["store", "is_active"])]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        """The rules of an endpoint, for the admin's form too (the services call it)."""
        errors = {}
        if (problem := url_problem(self.url)) is not None:
            errors["url"] = problem
        events = self.events if isinstance(self.events, list) else []
        unknown = [str(event) for event in events if event not in WebhookEvent.values]
        if unknown:
            errors["events"] = _("未知的事件：%(events)s") % {"events": "、".join(unknown)}
        elif not events:
            errors["events"] = _("请至少选择一个事件。")
        if errors:
            raise ValidationError(errors)
        self.events = [event for event in WebhookEvent.values if event in events]

    def subscribes(self, event: str) -> bool:
        return event in (self.events or [])

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(event, event)) for event in self.events or []]


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row. `event_id` is the receiver's de-duplication
    key (the same for every endpoint and every attempt of one event)."""

    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("接收地址"),
                                 on_delete=models.CASCADE, related_name="deliveries")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="+")
    event_id = models.UUIDField(_("事件编号"), default=uuid.uuid4, editable=False)
    event = models.CharField(_("事件"), max_length=40)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus,
                              default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook 推送记录")
        verbose_name_plural = _("Webhook 推送记录")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The beat sweep: queued rows whose attempt is due.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            # The delivery log: one endpoint's newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"

    @property
    def event_label(self) -> str:
        return str(dict(WebhookEvent.choices).get(self.event, _("测试") if self.event == PING
                                                  else self.event))
