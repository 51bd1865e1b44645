"""Aliyun SMS through its official SDK against a local fake of dysmsapi (issue 19): the request
the SDK makes (template, parameters, our OutId, the ACS3-HMAC-SHA256 signature), each failure
mode and what the outbox row becomes, and exactly once under a retried timeout."""
import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from studio.models import SmsMessage, SmsStatus
from studio.sms import BACKOFF, MAX_ATTEMPTS, sms_send

from .conftest import (
    ALIYUN_KEY_ID,
    ALIYUN_SECRET,
    aliyun_details,
    aliyun_error,
    aliyun_ok,
    hang,
    reply,
)
from .rows import MOBILE, queued

pytestmark = pytest.mark.django_db


def acs3_signature_valid(seen, *, key_id: str = ALIYUN_KEY_ID, secret: str = ALIYUN_SECRET) -> bool:
    """Aliyun's check, written from its V3 signature document: the canonical request (method,
    path, sorted query, the signed headers, the body's SHA-256) hashed, then HMAC-SHA256 with
    the secret; the body hash must be the one the x-acs-content-sha256 header claims."""
    algorithm, _sep, rest = seen.headers.get("authorization", "").partition(" ")
    parts = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
    if algorithm != "ACS3-HMAC-SHA256" or parts.get("Credential") != key_id:
        return False
    payload = hashlib.sha256(seen.body).hexdigest()
    if seen.headers.get("x-acs-content-sha256") != payload:
        return False
    signed = parts["SignedHeaders"].split(";")
    if not {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce"} <= set(signed):
        return False
    headers = "".join(f"{name}:{seen.headers[name].strip()}\n" for name in signed)
    query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in sorted(seen.query.items()))
    canonical = "\n".join([seen.method, seen.path or "/", query, headers, parts["SignedHeaders"],
                           payload])
    to_sign = f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("Signature", ""))


def verifying(seen):
    """Aliyun's answer to a request: refused as Aliyun refuses a bad signature, else taken."""
    if not acs3_signature_valid(seen):
        return aliyun_error("SignatureDoesNotMatch", "Specified signature does not match our "
                            "calculation.", status=400)
    return aliyun_ok(seen)


def test_the_request_carries_the_template_its_parameters_and_our_out_id_signed_acs3(aliyun):
    aliyun.on("SendSms", verifying)
    message = queued()
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    (seen,) = aliyun.calls("SendSms")
    assert seen.query["PhoneNumbers"] == MOBILE
    assert seen.query["SignName"] == "影楼测试"
    assert seen.query["TemplateCode"] == "SMS_465001"
    assert json.loads(seen.query["TemplateParam"]) == {
        "customer": "王女士", "date": "3月12日", "time": "14:00"}
    assert seen.query["OutId"] == f"sms-{message.pk}"
    assert acs3_signature_valid(seen)
    assert not acs3_signature_valid(seen, secret="another-secret")  # the check checks
    assert message.status == SmsStatus.SENT and message.provider_id.startswith("biz-")
    assert (message.gateway, message.attempts, message.error) == ("aliyun", 1, "")


def test_a_wrong_secret_fails_the_gateways_signature_check_and_the_message_fails(
        aliyun, settings):
    aliyun.on("SendSms", verifying)
    settings.ALIYUN_SMS = {**settings.ALIYUN_SMS, "access_key_secret": "not-the-secret"}
    message = queued()
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert not acs3_signature_valid(aliyun.calls("SendSms")[0])
    assert message.status == SmsStatus.FAILED
    assert message.error.startswith("SignatureDoesNotMatch")


def test_a_template_the_gateway_does_not_know_fails_at_once_with_the_reason(aliyun):
    aliyun.on("SendSms", aliyun_error("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)"))
    message = queued()
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.attempts, message.send_after) == (SmsStatus.FAILED, 1, None)
    assert message.error == "isv.SMS_TEMPLATE_ILLEGAL：模板编号不存在或未审核通过"
    assert len(aliyun.calls("SendSms")) == 1


@pytest.mark.parametrize("answer, reason", [
    (aliyun_error("Throttling.User", "Request was denied due to user flow control.", status=400),
     "Throttling.User：网关限流"),
    (aliyun_error("ServiceUnavailable", "The request has failed due to a temporary failure.",
                  status=503), "ServiceUnavailable"),
    (aliyun_error("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控"),
     "isv.BUSINESS_LIMIT_CONTROL：同一手机号发送频率超过网关限制"),
], ids=["throttled", "5xx", "business-limit"])
def test_throttling_and_5xx_keep_the_message_queued_for_its_backoff(aliyun, answer, reason):
    aliyun.on("SendSms", answer)
    message = queued()
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.send_after, message.in_doubt) == (
        SmsStatus.QUEUED, 1, now + BACKOFF[0], False)
    assert message.error.startswith(reason)
    sms_send(message_id=message.pk, now=now + BACKOFF[0] / 2)  # before its time: nothing
    assert len(aliyun.calls("SendSms")) == 1


def test_after_the_last_attempt_the_message_fails_with_the_reason(aliyun):
    aliyun.on("SendSms", aliyun_error("Throttling.User", "flow control", status=400))
    message = queued()
    now = timezone.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        sms_send(message_id=message.pk, now=now)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert message.status == SmsStatus.QUEUED
            assert message.send_after == now + BACKOFF[attempt - 1]
            now = message.send_after
    assert message.status == SmsStatus.FAILED and message.error.startswith("Throttling.User")
    assert len(aliyun.calls("SendSms")) == MAX_ATTEMPTS
    sms_send(message_id=message.pk, now=now + BACKOFF[-1])  # failed is final
    assert len(aliyun.calls("SendSms")) == MAX_ATTEMPTS


def test_a_timeout_leaves_the_message_in_doubt_and_the_retry_finds_it_sent_exactly_once(aliyun):
    message = queued()
    aliyun.on("SendSms", hang(), reply({"Code": "OK", "Message": "OK", "BizId": "second"}))
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert (message.status, message.in_doubt, message.attempts, message.send_after) == (
        SmsStatus.QUEUED, True, 1, now + BACKOFF[0])
    assert "阿里云短信未在 1 秒内应答" in message.error
    aliyun.on("QuerySendDetails", aliyun_details({
        "PhoneNum": MOBILE, "OutId": f"sms-{message.pk}", "SendStatus": 1,
        "TemplateCode": "SMS_465001", "Content": message.body, "ErrCode": "",
        "SendDate": "2026-12-08 10:00:00"}))
    sms_send(message_id=message.pk, now=now + BACKOFF[0])
    message.refresh_from_db()
    assert [r.action for r in aliyun.requests] == ["SendSms", "QuerySendDetails"]
    assert len(aliyun.calls("SendSms")) == 1  # exactly once
    (query,) = aliyun.calls("QuerySendDetails")
    assert query.query["PhoneNumber"] == MOBILE
    assert query.query["SendDate"] == timezone.localtime(now).strftime("%Y%m%d")
    assert (message.status, message.in_doubt, message.attempts) == (SmsStatus.SENT, False, 2)
    assert message.provider_id == f"sms-{message.pk}"
    assert message.error == "上次发送超时，网关已收到，未重发"


def test_after_a_timeout_a_message_the_gateway_never_got_is_sent_again(aliyun):
    message = queued()
    aliyun.on("SendSms", hang(), reply({"Code": "OK", "Message": "OK", "BizId": "B-2"}))
    aliyun.on("QuerySendDetails", aliyun_details({  # someone else's message to the same number
        "PhoneNum": MOBILE, "OutId": "sms-999999", "SendStatus": 3}))
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    sms_send(message_id=message.pk, now=now + BACKOFF[0])
    message.refresh_from_db()
    assert [r.action for r in aliyun.requests] == ["SendSms", "QuerySendDetails", "SendSms"]
    assert (message.status, message.provider_id, message.in_doubt) == (SmsStatus.SENT, "B-2",
                                                                       False)


def test_when_the_lookup_itself_fails_nothing_is_sent_and_the_message_stays_in_doubt(aliyun):
    message = queued()
    aliyun.on("SendSms", hang())
    aliyun.on("QuerySendDetails", aliyun_error("ServiceUnavailable", "busy", status=503))
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    sms_send(message_id=message.pk, now=now + BACKOFF[0])
    message.refresh_from_db()
    assert len(aliyun.calls("SendSms")) == 1
    assert (message.status, message.in_doubt, message.attempts) == (SmsStatus.QUEUED, True, 2)
    assert message.send_after == now + BACKOFF[0] + BACKOFF[1]


def test_a_timeout_before_midnight_is_found_by_the_retry_after_midnight(aliyun):
    """QuerySendDetails answers for one day: the lookup asks today, then the days back to the
    one the message was queued, so a send that timed out at 23:59 is not sent again at 00:01."""
    message = queued()
    aliyun.on("SendSms", hang())
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    yesterday = timezone.localdate() - timedelta(days=1)
    SmsMessage.objects.filter(pk=message.pk).update(created_at=now - timedelta(days=1))

    def by_day(seen):
        if seen.query["SendDate"] != yesterday.strftime("%Y%m%d"):
            return aliyun_details()
        return aliyun_details({"PhoneNum": MOBILE, "OutId": f"sms-{message.pk}",
                               "SendStatus": 1})

    aliyun.on("QuerySendDetails", by_day)
    sms_send(message_id=message.pk, now=now + BACKOFF[0])
    message.refresh_from_db()
    assert [seen.query["SendDate"] for seen in aliyun.calls("QuerySendDetails")] == [
        timezone.localdate().strftime("%Y%m%d"), yesterday.strftime("%Y%m%d")]
    assert len(aliyun.calls("SendSms")) == 1
    assert (message.status, message.provider_id) == (SmsStatus.SENT, f"sms-{message.pk}")
