"""A store's message templates, and WeChat's access token shared by every worker."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Store
from studio.models import SmsChannel, TimeStampedModel

from .purposes import PURPOSE_CHOICES


class MessageTemplate(TimeStampedModel):
    """A purpose's template as approved by the gateway: its code there and its text with
    ${parameter} placeholders (the preview and the outbox show the text the customer gets).
    A WeChat template maps its fields (thing1, time2, …) to text with placeholders instead.
    A template with no store serves every store that has none of its own."""

    store = models.ForeignKey(Store, verbose_name=_("门店"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(_("用途"), max_length=32, choices=PURPOSE_CHOICES)
    channel = models.CharField(_("渠道"), max_length=8, choices=SmsChannel, default=SmsChannel.SMS)
    code = models.CharField(_("模板编号"), max_length=64)
    text = models.TextField(_("模板内容"), blank=True)
    fields = models.JSONField(_("微信模板字段"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        ordering = ["store_id", "purpose", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["store", "purpose", "channel"],
                                    name="one_template_per_store_purpose_channel"),
            models.UniqueConstraint(fields=["purpose", "channel"], condition=Q(store__isnull=True),
                                    name="one_chain_template_per_purpose_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.get_channel_display()} · {self.code}"


class WechatAccessToken(models.Model):
    """WeChat's access token for an app id, kept in the database so that every worker uses the
    one token and only one of them fetches a new one (the row is locked while it does)."""

    app_id = models.CharField(_("AppID"), max_length=32, primary_key=True)
    token = models.CharField(_("access_token"), max_length=512, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("微信 access_token")
        verbose_name_plural = _("微信 access_token")

    def __str__(self) -> str:
        return self.app_id
