"""Tencent Cloud SMS (2021-01-11) through the official SDK, behind studio.sms's sender interface.

Settings: TENCENT_SMS (secret id and key, SMS application id, sign name, region, endpoint),
SMS_GATEWAY_TIMEOUT. Tencent's templates take their parameters by position ({1}, {2}, …): the
outbox row keeps them in the template's order. Our id for a message is its SessionContext
(`sms-<pk>`), echoed by the status pull, so a send that timed out is looked up before it is
sent again (exactly once).
"""
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from studio.models import SmsMessage
from studio.sms import Receipt, SmsInDoubt, SmsRejected, SmsSendError

from .aliyun import out_id
from .common import gateway_reason, is_timeout

# Refusals no retry can cure; any other code (limits, internal errors, the network) is retried.
FINAL_PREFIXES = ("FailedOperation.", "InvalidParameter", "MissingParameter", "AuthFailure",
                  "UnauthorizedOperation", "UnsupportedOperation", "ResourceNotFound")
RETRY_CODES = {"FailedOperation.InsufficientBalanceInSmsPackage"}
REASONS = {
    "FailedOperation.TemplateIncorrectOrUnapproved": _("模板编号不存在或未审核通过"),
    "FailedOperation.SignatureIncorrectOrUnapproved": _("短信签名不存在或未审核通过"),
    "InvalidParameterValue.IncorrectPhoneNumber": _("手机号码格式错误"),
    "InvalidParameterValue.TemplateParameterFormatError": _("模板参数格式错误"),
    "InvalidParameterValue.TemplateParameterLengthLimit": _("模板参数超过长度限制"),
    "FailedOperation.PhoneNumberInBlacklist": _("手机号在网关黑名单中（用户已退订）"),
    "FailedOperation.InsufficientBalanceInSmsPackage": _("短信套餐包余量不足"),
    "LimitExceeded.PhoneNumberThirtySecondLimit": _("同一手机号 30 秒内发送超过网关限制"),
    "LimitExceeded.PhoneNumberOneHourLimit": _("同一手机号 1 小时内发送超过网关限制"),
    "LimitExceeded.PhoneNumberDailyLimit": _("同一手机号当日发送超过网关限制"),
    "RequestLimitExceeded": _("网关限流"),
    "DELIVRD": _("已送达"),
}


def _retryable(code: str) -> bool:
    return code in RETRY_CODES or not code.startswith(FINAL_PREFIXES)


class TencentSmsSender:
    name = "tencent"
    label = _("腾讯云短信")
    needs_template = True

    def __init__(self) -> None:
        conf = settings.TENCENT_SMS
        self.app_id, self.sign_name = conf["app_id"], conf["sign_name"]
        http = HttpProfile(protocol=conf["protocol"], endpoint=conf["endpoint"],
                           reqTimeout=settings.SMS_GATEWAY_TIMEOUT)
        self.client = sms_client.SmsClient(
            credential.Credential(conf["secret_id"], conf["secret_key"]), conf["region"],
            ClientProfile(httpProfile=http))

    def _call(self, method, request):
        try:
            return method(request)
        except TencentCloudSDKException as exc:
            code, text = exc.get_code() or "", exc.get_message() or ""
            if isinstance(text, bytes):  # a 5xx page's body
                text = text.decode("utf-8", "replace")
            if is_timeout(exc) or "timed out" in text.lower():
                raise SmsInDoubt(_("腾讯云短信未在 %(s)s 秒内应答") % {
                    "s": settings.SMS_GATEWAY_TIMEOUT}) from exc
            reason = gateway_reason(REASONS, code, text[:80])
            if _retryable(code):
                raise SmsSendError(reason) from exc
            raise SmsRejected(reason) from exc
        except Exception as exc:  # the SDK lets some answers through unwrapped (a 5xx page)
            raise SmsSendError(_("腾讯云短信应答异常：%(error)s") % {"error": str(exc)[:80]}) from exc

    def send(self, message: SmsMessage) -> str:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{message.mobile}"]
        request.SmsSdkAppId, request.SignName = self.app_id, self.sign_name
        request.TemplateId = message.template_code
        request.TemplateParamSet = [str(value) for _name, value in message.params]
        request.SessionContext = out_id(message)
        response = self._call(self.client.SendSms, request)
        status = (response.SendStatusSet or [None])[0]
        if status is not None and status.Code == "Ok":
            return status.SerialNo
        code = status.Code if status is not None else "Empty"
        reason = gateway_reason(REASONS, code, status.Message if status is not None else "")
        if _retryable(code):
            raise SmsSendError(reason)
        raise SmsRejected(reason)

    def _statuses(self, message: SmsMessage) -> list:
        request = models.PullSmsSendStatusByPhoneNumberRequest()
        begin = (message.sent_at or message.created_at or timezone.now()) - timedelta(minutes=5)
        request.BeginTime = int(begin.timestamp())
        request.EndTime = int(timezone.now().timestamp())
        request.Offset, request.Limit = 0, 100
        request.PhoneNumber, request.SmsSdkAppId = f"+86{message.mobile}", self.app_id
        return list(self._call(self.client.PullSmsSendStatusByPhoneNumber,
                               request).PullSmsSendStatusSet or [])

    def lookup(self, message: SmsMessage) -> str | None:
        """After a timeout: did Tencent take the message? Its SessionContext in the number's
        statuses says so."""
        for status in self._statuses(message):
            if status.SessionContext == out_id(message):
                return status.SerialNo
        return None

    def poll(self, messages: list[SmsMessage]) -> list[Receipt]:
        receipts = []
        for message in messages:
            for status in self._statuses(message):
                if status.SerialNo == message.provider_id and status.ReportStatus:
                    receipts.append(_receipt(status.SerialNo, status.ReportStatus,
                                             status.Description, status.UserReceiveTime))
        return receipts


def _receipt(serial: str, report_status: str, description: str | None, at) -> Receipt:
    delivered = report_status == "SUCCESS"
    when = None
    if isinstance(at, int):
        when = datetime.fromtimestamp(at, tz=timezone.get_current_timezone())
    elif isinstance(at, str):
        try:
            when = timezone.make_aware(datetime.strptime(at, "%Y-%m-%d %H:%M:%S"))
        except ValueError:
            when = None
    return Receipt(serial, delivered, "" if delivered else (description or report_status), when)


def receipts_from_report(items: list[dict]) -> list[Receipt]:
    """Tencent's status callback (a JSON array) as receipts, by SerialNo (`sid`)."""
    return [_receipt(str(item.get("sid") or ""), str(item.get("report_status") or ""),
                     gateway_reason(REASONS, str(item.get("errmsg") or ""),
                                    str(item.get("description") or "")),
                     item.get("user_receive_time"))
            for item in items]
