"""Aliyun SMS (dysmsapi 2017-05-25) through the official SDK, behind studio.sms's sender interface.

Settings: ALIYUN_SMS (access key, sign name, endpoint, protocol), SMS_GATEWAY_TIMEOUT. Our id for a
message is its OutId (`sms-<pk>`): the receipt echoes it, and QuerySendDetails shows it, so a send
that timed out is looked up before it is sent again (exactly once).
"""
import json
import logging
from datetime import date, datetime, timedelta

from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_util.models import RuntimeOptions
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.models import SmsMessage
from studio.sms import Receipt, SmsInDoubt, SmsRejected, SmsSendError

from .common import gateway_reason, is_timeout

logger = logging.getLogger(__name__)

# How many days back a lookup after a timeout asks QuerySendDetails (one request a day).
LOOKUP_DAYS = 3
# Codes worth trying again later: flow control, the account's day limit, the gateway's own fault.
RETRY_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH",
               "isv.OUT_OF_SERVICE", "isp.SYSTEM_ERROR", "SignatureNonceUsed"}
REASONS = {
    "isv.SMS_TEMPLATE_ILLEGAL": _("模板编号不存在或未审核通过"),
    "isv.SMS_SIGNATURE_ILLEGAL": _("短信签名不存在或未审核通过"),
    "isv.MOBILE_NUMBER_ILLEGAL": _("手机号码格式错误"),
    "isv.TEMPLATE_MISSING_PARAMETERS": _("模板缺少参数"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": _("模板参数不符合要求"),
    "isv.BUSINESS_LIMIT_CONTROL": _("同一手机号发送频率超过网关限制"),
    "isv.DAY_LIMIT_CONTROL": _("已达网关当日发送上限"),
    "isv.AMOUNT_NOT_ENOUGH": _("短信账户余额不足"),
    "isv.BLACK_KEY_CONTROL_LIMIT": _("内容含网关禁止的关键词"),
    "isv.OUT_OF_SERVICE": _("短信账户已停机"),
    "Throttling.User": _("网关限流"),
    "DELIVERED": _("已送达"),
}


def out_id(message: SmsMessage) -> str:
    return f"sms-{message.pk}"


def message_id_of(out: str) -> int | None:
    """The outbox row an OutId names (`sms-<pk>`), or None for someone else's."""
    prefix, _sep, number = (out or "").partition("-")
    return int(number) if prefix == "sms" and number.isdigit() else None


class AliyunSmsSender:
    name = "aliyun"
    label = _("阿里云短信")
    needs_template = True

    def __init__(self) -> None:
        conf = settings.ALIYUN_SMS
        self.sign_name = conf["sign_name"]
        timeout_ms = settings.SMS_GATEWAY_TIMEOUT * 1000
        self.runtime = RuntimeOptions(read_timeout=timeout_ms, connect_timeout=timeout_ms,
                                      autoretry=False, max_attempts=0)
        self.client = Client(openapi.Config(
            access_key_id=conf["access_key_id"], access_key_secret=conf["access_key_secret"],
            endpoint=conf["endpoint"], protocol=conf["protocol"], read_timeout=timeout_ms,
            connect_timeout=timeout_ms))

    def _call(self, method, request):
        try:
            return method(request, self.runtime).body
        except AlibabaCloudException as exc:
            code = exc.code or ""
            reason = gateway_reason(REASONS, code, exc.message)
            if code.startswith("Throttling") or code in RETRY_CODES or (exc.status_code or 0) >= 500:
                raise SmsSendError(reason) from exc
            raise SmsRejected(reason) from exc
        except Exception as exc:  # the SDK wraps the HTTP client's errors in its own
            if is_timeout(exc):
                raise SmsInDoubt(_("阿里云短信未在 %(s)s 秒内应答") % {
                    "s": settings.SMS_GATEWAY_TIMEOUT}) from exc
            raise SmsSendError(_("连接阿里云短信失败：%(error)s") % {"error": str(exc)[:80]}) from exc

    def send(self, message: SmsMessage) -> str:
        body = self._call(self.client.send_sms_with_options, dysms.SendSmsRequest(
            phone_numbers=message.mobile, sign_name=self.sign_name,
            template_code=message.template_code, out_id=out_id(message),
            template_param=json.dumps(dict(message.params), ensure_ascii=False)))
        if body.code == "OK":
            return body.biz_id
        reason = gateway_reason(REASONS, body.code, body.message)
        if body.code in RETRY_CODES:
            raise SmsSendError(reason)
        raise SmsRejected(reason)

    def _details(self, message: SmsMessage, biz_id: str = "", day: date | None = None) -> list:
        day = day or timezone.localtime(message.sent_at or timezone.now()).date()
        body = self._call(self.client.query_send_details_with_options, dysms.QuerySendDetailsRequest(
            phone_number=message.mobile, send_date=day.strftime("%Y%m%d"), page_size=50,
            current_page=1,
            biz_id=biz_id or None))
        if body.code != "OK":
            raise SmsSendError(gateway_reason(REASONS, body.code, body.message))
        found = body.sms_send_detail_dtos
        return list(found.sms_send_detail_dto or []) if found else []

    def lookup(self, message: SmsMessage) -> str | None:
        """After a timeout: did Aliyun take the message? Its OutId in the day's sends says so.
        QuerySendDetails answers for one day, and the attempt that timed out may be from an
        earlier one (a retry after midnight): today is asked, then each day back to the day it
        was queued (at most LOOKUP_DAYS). The details carry no BizId, so the message keeps its
        OutId as its id here."""
        today = timezone.localdate()
        first = max(timezone.localdate(message.created_at or timezone.now()),
                    today - timedelta(days=LOOKUP_DAYS - 1))
        day = today
        while day >= first:
            for detail in self._details(message, day=day):
                if detail.out_id == out_id(message):
                    return out_id(message)
            day -= timedelta(days=1)
        return None

    def poll(self, messages: list[SmsMessage]) -> list[Receipt]:
        receipts = []
        for message in messages:
            biz_id = "" if message.provider_id.startswith("sms-") else message.provider_id
            for detail in self._details(message, biz_id):
                if biz_id or detail.out_id == out_id(message):
                    receipt = _detail_receipt(message.provider_id, detail)
                    if receipt is not None:
                        receipts.append(receipt)
                    break
        return receipts


def _detail_receipt(provider_id: str, detail) -> Receipt | None:
    """SendStatus 1 waits for the carrier, 2 failed, 3 delivered."""
    if detail.send_status == 3:
        return Receipt(provider_id, True, at=_parse_time(detail.receive_date))
    if detail.send_status == 2:
        return Receipt(provider_id, False, gateway_reason(REASONS, detail.err_code, ""))
    return None


def _parse_time(text: str | None) -> datetime | None:
    try:
        return timezone.make_aware(datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        return None


def receipts_from_report(items: list[dict]) -> list[Receipt]:
    """Aliyun's SmsReport push (a JSON array) as receipts: by BizId, or by our OutId."""
    receipts = []
    for item in items:
        reason = "" if item.get("success") else gateway_reason(
            REASONS, str(item.get("err_code", "")), str(item.get("err_msg", "")))
        at = _parse_time(item.get("report_time"))
        receipts.append(Receipt(str(item.get("biz_id") or ""), bool(item.get("success")),
                                reason, at))
        if item.get("out_id"):
            receipts.append(Receipt(str(item["out_id"]), bool(item.get("success")), reason, at))
    return receipts
