"""WeChat: an Official Account's template messages, or a mini program's subscribe messages, to a
customer who linked their WeChat (Customer.wechat_openid), over WeChat's HTTPS API directly
(wechatpy's last release is from 2021). studio.sms falls back to SMS when a send fails.

The access token lives in WechatAccessToken: every worker uses the one token, and when it must be
fetched (none yet, about to expire, or WeChat says it is no longer valid) the row is locked, so
one worker fetches it and the others wait and use it.

Settings: WECHAT (app id and secret, kind "template" or "subscribe", API base, the server token
that signs WeChat's event pushes), SMS_GATEWAY_TIMEOUT.
"""
import hashlib
import hmac
import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.models import SmsMessage
from studio.sms import SmsInDoubt, SmsRejected, SmsSendError

from ..models import WechatAccessToken

logger = logging.getLogger(__name__)

TOKEN_INVALID = {40001, 40014, 42001}  # invalid, malformed or expired access token
RETRY_CODES = {-1, 45009, 45011}  # system busy, API quota, API frequency
REASONS = {
    40003: _("openid 无效"),
    43004: _("客户未关注公众号"),
    43101: _("客户未订阅该消息"),
    40037: _("模板编号无效"),
    47003: _("模板字段不符合要求"),
    45009: _("已达微信接口调用上限"),
    -1: _("微信系统繁忙"),
}
EARLY = timedelta(minutes=5)  # a token this close to expiry is renewed first


def _conf() -> dict:
    return settings.WECHAT


def _request(method: str, path: str, **kwargs) -> dict:
    url = _conf()["api_base"].rstrip("/") + path
    try:
        response = requests.request(method, url, timeout=settings.SMS_GATEWAY_TIMEOUT, **kwargs)
    except requests.Timeout as exc:
        raise SmsInDoubt(_("微信未在 %(s)s 秒内应答") % {"s": settings.SMS_GATEWAY_TIMEOUT}) from exc
    except requests.RequestException as exc:
        raise SmsSendError(_("连接微信失败：%(error)s") % {"error": str(exc)[:80]}) from exc
    if response.status_code >= 500:
        raise SmsSendError(_("微信应答 HTTP %(code)s") % {"code": response.status_code})
    try:
        return response.json()
    except ValueError as exc:
        raise SmsSendError(_("微信应答不是 JSON")) from exc


def _reason(answer: dict) -> str:
    code = answer.get("errcode")
    return f"{code}：{REASONS.get(code) or answer.get('errmsg', '')}"[:200]


def access_token(*, stale: str = "") -> str:
    """The app's access token. `stale` is one WeChat just refused: a new one is fetched unless
    another worker has already replaced it."""
    app_id = _conf()["app_id"]
    WechatAccessToken.objects.get_or_create(app_id=app_id)
    with transaction.atomic():
        row = WechatAccessToken.objects.select_for_update().get(app_id=app_id)
        now = timezone.now()
        fresh = row.token and row.expires_at and row.expires_at - EARLY > now
        if fresh and row.token != stale:
            return row.token
        answer = _request("POST", "/cgi-bin/stable_token", json={
            "grant_type": "client_credential", "appid": app_id,
            "secret": _conf()["app_secret"]})
        if not answer.get("access_token"):
            raise SmsSendError(_("取微信 access_token 失败：%(reason)s") % {"reason": _reason(answer)})
        row.token = answer["access_token"]
        row.expires_at = now + timedelta(seconds=int(answer.get("expires_in") or 7200))
        row.save(update_fields=["token", "expires_at"])
        logger.info("wechat access token renewed for %s", app_id)
        return row.token


class WechatSender:
    name = "wechat"
    label = _("微信")
    needs_template = True

    def _payload(self, message: SmsMessage) -> tuple[str, dict]:
        if _conf()["kind"] == "subscribe":
            return "/cgi-bin/message/subscribe/send", {
                "touser": message.openid, "template_id": message.wechat_template,
                "data": message.wechat_data}
        return "/cgi-bin/message/template/send", {
            "touser": message.openid, "template_id": message.wechat_template,
            "data": message.wechat_data}

    def send(self, message: SmsMessage) -> str:
        path, payload = self._payload(message)
        token = access_token()
        answer = _request("POST", path, params={"access_token": token}, json=payload)
        if answer.get("errcode", 0) in TOKEN_INVALID:  # renewed once (by whoever gets there first)
            token = access_token(stale=token)
            answer = _request("POST", path, params={"access_token": token}, json=payload)
        code = answer.get("errcode", 0)
        if code == 0:
            return str(answer.get("msgid") or f"wechat-{message.pk}")
        if code in RETRY_CODES or code in TOKEN_INVALID:
            raise SmsSendError(_reason(answer))
        raise SmsRejected(_reason(answer))


def event_signature_valid(*, signature: str, timestamp: str, nonce: str) -> bool:
    """WeChat signs its pushes with sha1 of the sorted (token, timestamp, nonce)."""
    token = _conf()["token"]
    if not token or not signature:
        return False
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return hmac.compare_digest(expected, signature)
