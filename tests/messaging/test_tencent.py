"""Tencent Cloud SMS through its official SDK against a local fake of sms.tencentcloudapi.com
(issue 19): the request (numbers, template, positional parameters in the template's order, our
SessionContext), the TC3-HMAC-SHA256 signature recomputed as Tencent documents it, each failure
mode, and exactly once under a retried timeout (PullSmsSendStatusByPhoneNumber)."""
import hashlib
import hmac
import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from messaging.models import MessageTemplate
from messaging.services import message_queue
from studio.models import SmsStatus
from studio.sms import BACKOFF, MAX_ATTEMPTS, sms_send

from .conftest import (
    TENCENT_APP,
    TENCENT_ID,
    TENCENT_KEY,
    hang,
    reply,
    tencent_error,
    tencent_ok,
    tencent_pulled,
    tencent_status,
)
from .rows import MOBILE, queued

pytestmark = pytest.mark.django_db

AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/"
                  r"(?P<service>\w+)/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
                  r"Signature=(?P<signature>[0-9a-f]{64})")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_signature_valid(seen, *, secret_id: str = TENCENT_ID, secret_key: str = TENCENT_KEY) -> bool:
    """Tencent Cloud API 3.0's check, from its signature v3 document: canonical request →
    string to sign (algorithm, timestamp, date/service/tc3_request scope, its SHA-256) → the
    signing key derived from "TC3"+SecretKey through the date, the service and "tc3_request"."""
    match = AUTH.fullmatch(seen.headers.get("authorization", ""))
    if match is None or match["id"] != secret_id or match["service"] != "sms":
        return False
    timestamp = seen.headers["x-tc-timestamp"]
    date = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    if date != match["date"]:
        return False
    signed = match["signed"]
    headers = "".join(f"{name}:{seen.headers[name].strip()}\n" for name in signed.split(";"))
    canonical = "\n".join([seen.method, seen.path or "/", "", headers, signed,
                           hashlib.sha256(seen.body).hexdigest()])
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), "sms"), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match["signature"])


def verifying(seen):
    if not tc3_signature_valid(seen):
        return tencent_error("AuthFailure.SignatureFailure", "The provided credentials could "
                             "not be validated.")
    return tencent_ok(seen)


def test_the_request_carries_the_template_and_its_parameters_in_the_templates_order_signed_tc3(
        tencent, store):
    tencent.on("SendSms", verifying)
    MessageTemplate.objects.create(store=store, purpose="reminder", channel="sms", code="2011888",
                                   text="${date} ${time} 请${customer}到${store}拍摄")
    message = message_queue(purpose="reminder", mobile=MOBILE, store_id=store.pk, values={
        "customer": "王女士", "store": "人民路店", "time": "14:00", "date": "3月12日"},
        default_body="", now=timezone.now())
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    (seen,) = tencent.calls("SendSms")
    body = seen.json
    assert body["PhoneNumberSet"] == [f"+86{MOBILE}"]
    assert (body["SmsSdkAppId"], body["SignName"], body["TemplateId"]) == (
        TENCENT_APP, "影楼测试", "2011888")
    assert body["TemplateParamSet"] == ["3月12日", "14:00", "王女士", "人民路店"]
    assert body["SessionContext"] == f"sms-{message.pk}"
    assert seen.headers["x-tc-version"] == "2021-01-11"
    assert tc3_signature_valid(seen)
    assert not tc3_signature_valid(seen, secret_key="another-key")
    assert (message.status, message.gateway) == (SmsStatus.SENT, "tencent")
    assert message.provider_id.startswith("2433:")


def test_a_wrong_secret_key_fails_the_signature_check_and_the_message_fails(tencent, settings):
    tencent.on("SendSms", verifying)
    settings.TENCENT_SMS = {**settings.TENCENT_SMS, "secret_key": "not-the-key"}
    message = queued()
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert not tc3_signature_valid(tencent.calls("SendSms")[0])
    assert message.status == SmsStatus.FAILED, message.error
    assert message.error.startswith("AuthFailure.SignatureFailure")


def test_an_unapproved_template_fails_at_once_with_the_reason(tencent):
    tencent.on("SendSms", tencent_error("FailedOperation.TemplateIncorrectOrUnapproved",
                                        "template is not approved or request content does not "
                                        "match the approved template content"))
    message = queued()
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.FAILED, 1)
    assert message.error == "FailedOperation.TemplateIncorrectOrUnapproved：模板编号不存在或未审核通过"


@pytest.mark.parametrize("answer, reason", [
    (tencent_status("LimitExceeded.PhoneNumberDailyLimit", "the number of SMS messages sent "
                    "from a single mobile number every day exceeds the upper limit"),
     "LimitExceeded.PhoneNumberDailyLimit：同一手机号当日发送超过网关限制"),
    (tencent_error("RequestLimitExceeded", "request limit exceeded"),
     "RequestLimitExceeded：网关限流"),
    (reply(raw=b"<html>502 Bad Gateway</html>", status=502), "ServerNetworkError"),
], ids=["per-number-limit", "throttled", "5xx"])
def test_limits_throttling_and_5xx_keep_the_message_queued_for_its_backoff(tencent, answer,
                                                                           reason):
    tencent.on("SendSms", answer)
    message = queued()
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.send_after) == (
        SmsStatus.QUEUED, 1, now + BACKOFF[0])
    assert message.error.startswith(reason)


def test_after_the_last_attempt_a_limited_message_fails(tencent):
    tencent.on("SendSms", tencent_status("LimitExceeded.PhoneNumberOneHourLimit"))
    message = queued()
    now = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        sms_send(message_id=message.pk, now=now)
        message.refresh_from_db()
        now = message.send_after or now
    assert (message.status, message.attempts) == (SmsStatus.FAILED, MAX_ATTEMPTS)
    assert message.error.startswith("LimitExceeded.PhoneNumberOneHourLimit")


def test_a_timeout_is_looked_up_by_session_context_and_not_sent_twice(tencent):
    message = queued()
    tencent.on("SendSms", hang())
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert (message.status, message.in_doubt) == (SmsStatus.QUEUED, True)
    assert "腾讯云短信未在 1 秒内应答" in message.error
    tencent.on("PullSmsSendStatusByPhoneNumber", tencent_pulled(
        {"SerialNo": "2433:other", "PhoneNumber": f"+86{MOBILE}", "SessionContext": "sms-999999",
         "ReportStatus": "SUCCESS", "CountryCode": "86", "SubscriberNumber": MOBILE},
        {"SerialNo": "2433:found", "PhoneNumber": f"+86{MOBILE}",
         "SessionContext": f"sms-{message.pk}", "ReportStatus": "SUCCESS", "CountryCode": "86",
         "SubscriberNumber": MOBILE}))
    sms_send(message_id=message.pk, now=now + BACKOFF[0])
    message.refresh_from_db()
    assert [r.action for r in tencent.requests] == ["SendSms", "PullSmsSendStatusByPhoneNumber"]
    pull = tencent.calls("PullSmsSendStatusByPhoneNumber")[0].json
    assert (pull["PhoneNumber"], pull["SmsSdkAppId"]) == (f"+86{MOBILE}", TENCENT_APP)
    assert (message.status, message.provider_id, message.in_doubt) == (SmsStatus.SENT,
                                                                       "2433:found", False)


def test_a_timed_out_message_tencent_never_got_is_sent_again(tencent):
    message = queued()
    tencent.on("SendSms", hang(), tencent_ok)
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    sms_send(message_id=message.pk, now=now + BACKOFF[0])
    message.refresh_from_db()
    assert [r.action for r in tencent.requests] == [
        "SendSms", "PullSmsSendStatusByPhoneNumber", "SendSms"]
    assert (message.status, message.attempts) == (SmsStatus.SENT, 2)
