"""Messages to customers: the one way a service queues one (`message_queue`), and the store's
templates that gateways need (`template_save`, `template_preview`)."""
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.models import SmsChannel, SmsMessage, SmsStatus
from studio.sms import get_sender, sms_opted_out, sms_queue, sms_rate_limited_until

from .models import MessageTemplate
from .purposes import PURPOSES, Purpose

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
# WeChat cuts a template field at 20 characters (thing, name, phrase fields): we cut it first.
WECHAT_FIELD_MAX = 20
OPT_OUT_HINT = "回复TD退订"


def placeholders(text: str) -> list[str]:
    """The parameter names a template's text uses, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def render(text: str, params: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), text)


def template_for(*, store_id: int | None, purpose: str, channel: str) -> MessageTemplate | None:
    """The store's own active template for the purpose and channel, else the chain's. One query."""
    return (MessageTemplate.objects.filter(purpose=purpose, channel=channel, active=True)
            .filter(Q(store_id=store_id) | Q(store__isnull=True))
            .order_by(F("store_id").desc(nulls_last=True)).first())


def _sms_text(template: MessageTemplate | None, purpose: Purpose, values: dict[str, str],
              default_body: str) -> tuple[str, list[list[str]]]:
    """The text the customer reads and the parameters the gateway gets, in the template's order."""
    if template is None:
        body, used = default_body, []
    else:
        body = render(template.text, values)
        used = [[name, values[name]] for name in placeholders(template.text) if name in values]
    if purpose.marketing and "退订" not in body:
        body = f"{body}{OPT_OUT_HINT}"
    return body, used


def _wechat_data(template: MessageTemplate, values: dict[str, str]) -> dict:
    return {key: {"value": render(text, values)[:WECHAT_FIELD_MAX]}
            for key, text in template.fields.items()}


def _refusal(field: str, message: str, *, record: bool, **row) -> SmsMessage | None:
    """A message that may not go: refused (ValidationError, nothing queued) when someone is
    asking for it; recorded as failed with the reason when a sweep or a side effect queues it,
    so that the outbox shows what did not go and why."""
    if not record:
        raise ValidationError({field: message})
    return SmsMessage.objects.create(status=SmsStatus.FAILED, error=message[:200], **row)


def message_queue(*, purpose: str, mobile: str, store_id: int | None, values: dict,
                  default_body: str, customer=None, by=None, dedupe_key: str | None = None,
                  record_refusal: bool = False, now=None) -> SmsMessage | None:
    """Queue a message of `purpose` to `mobile` through the outbox (studio.sms): the store's
    template with `values`, by WeChat when the customer linked it and the store has a WeChat
    template, else by SMS. `default_body` is the text kept when no gateway is configured and
    the store has no template. Refused (ValidationError) before anything is queued when the
    gateway needs a template and the store has none, a marketing message goes to a mobile that
    opted out, or a one-time code is asked for too often — unless `record_refusal`, for what a
    sweep or a side effect sends: then a failed row says why. Returns None for a `dedupe_key`
    already queued."""
    spec = PURPOSES[purpose]
    now = now or timezone.now()
    values = {name: str(value) for name, value in values.items()}
    row = {"mobile": mobile, "purpose": purpose, "store_id": store_id, "created_by": by,
           "customer_id": getattr(customer, "pk", None), "dedupe_key": dedupe_key,
           "marketing": spec.marketing, "urgent": spec.urgent}
    if dedupe_key is not None and SmsMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    sender = get_sender()
    template = template_for(store_id=store_id, purpose=purpose, channel=SmsChannel.SMS)
    body, params = _sms_text(template, spec, values, default_body)
    row["body"] = body
    if template is None and sender.needs_template:
        return _refusal("template", _(
            "本店没有配置“%(purpose)s”的短信模板：%(gateway)s只发送审核通过的模板。"
            "请店长在“消息模板”中填写模板编号和内容。") % {
            "purpose": spec.label, "gateway": sender.label}, record=record_refusal, **row)
    if spec.marketing and sms_opted_out(mobile):
        return _refusal("mobile", _("该客户已退订营销短信（回复TD），不再发送。"),
                        record=record_refusal, **row)
    if spec.urgent:
        free_at = sms_rate_limited_until(mobile=mobile, now=now, purpose=purpose)
        if free_at is not None:
            seconds = max(1, int((free_at - now).total_seconds()))
            raise ValidationError({"mobile": _("发送过于频繁，请 %(seconds)s 秒后再试。") % {
                "seconds": seconds}})
    openid = getattr(customer, "wechat_openid", "") or ""
    wechat = (template_for(store_id=store_id, purpose=purpose, channel=SmsChannel.WECHAT)
              if openid and spec.wechat and get_sender(SmsChannel.WECHAT) is not None else None)
    return sms_queue(
        mobile=mobile, body=body, purpose=purpose, store_id=store_id,
        customer_id=row["customer_id"], by=by, dedupe_key=dedupe_key, immediate=spec.urgent,
        marketing=spec.marketing, template_code=template.code if template else "", params=params,
        openid=openid if wechat else "", wechat_template=wechat.code if wechat else "",
        wechat_data=_wechat_data(wechat, values) if wechat else None, now=now)


# --- Templates ----------------------------------------------------------------------------------

def template_preview(*, purpose: str, text: str = "", fields: dict | None = None) -> str:
    """What the customer reads, with the purpose's sample values: the SMS text, or each WeChat
    field on its line (cut at 20 characters, as WeChat does)."""
    spec = PURPOSES[purpose]
    if fields:
        return "\n".join(f"{key}: {render(value, spec.sample)[:WECHAT_FIELD_MAX]}"
                         for key, value in fields.items())
    body, _params = _sms_text(None, spec, spec.sample, render(text, spec.sample))
    return body


@transaction.atomic
def template_save(*, store, purpose: str, channel: str, code: str, text: str = "",
                  fields: dict | None = None, active: bool = True, by) -> MessageTemplate:
    """Create or change the store's (None: the chain's) template for a purpose and channel.
    Refused with field errors: an unknown purpose, no code, a placeholder the purpose does not
    have, an SMS template with no text, a WeChat template with no field."""
    spec = PURPOSES.get(purpose)
    if spec is None:
        raise ValidationError({"purpose": _("未知的消息用途。")})
    code, text, fields = (code or "").strip(), (text or "").strip(), fields or {}
    errors = {}
    if not code:
        errors["code"] = _("请填写网关或微信后台的模板编号。")
    if channel == SmsChannel.SMS and not text:
        errors["text"] = _("请填写模板内容（与网关审核通过的内容一致），参数写作 ${customer}。")
    if channel == SmsChannel.WECHAT and not fields:
        errors["fields"] = _("请填写微信模板的字段，例如 thing1=${customer}。")
    unknown = [n for n in placeholders(text + "".join(fields.values())) if n not in spec.names]
    if unknown:
        errors["fields" if channel == SmsChannel.WECHAT else "text"] = _(
            "“%(purpose)s”没有参数 %(names)s；可用：%(allowed)s。") % {
            "purpose": spec.label, "names": "、".join(f"${{{n}}}" for n in unknown),
            "allowed": "、".join(f"${{{n}}}" for n in spec.names)}
    if errors:
        raise ValidationError(errors)
    template, _created = MessageTemplate.objects.select_for_update().update_or_create(
        store=store, purpose=purpose, channel=channel,
        defaults={"code": code, "text": text if channel == SmsChannel.SMS else "",
                  "fields": fields if channel == SmsChannel.WECHAT else {}, "active": active,
                  "updated_by": by})
    return template


def wechat_fields_parse(text: str) -> dict[str, str]:
    """A WeChat template's fields as typed in the form, one `key=text` a line."""
    fields = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][\w.]*", key.strip()) or not value.strip():
            raise ValidationError({"fields": _(
                "第 %(line)s 行应写作 字段名=内容，例如 thing1=${customer}。") % {"line": number}})
        fields[key.strip()] = value.strip()
    return fields
