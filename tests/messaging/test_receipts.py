"""What the gateways push back (issue 19, "Delivery receipts" and opt-out): Aliyun's SmsReport
and SmsUp, Tencent's status callback and replies, behind the SMS_RECEIPT_TOKEN URL; a forged
push changes nothing. Replies of TD become opt-outs that marketing honours and service notices
ignore. Where no callback comes, polling the status API is the fallback."""
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from messaging.services import message_queue
from studio.models import SmsMessage, SmsOptOut, SmsStatus
from studio.sms import POLL_AFTER, sms_poll_receipts, sms_send
from tests.clock import local_zone

from .conftest import aliyun_details, tencent_pulled
from .rows import MOBILE, queued

pytestmark = pytest.mark.django_db
TOKEN = "rcpt-3f9a0c7e21"
OTHER = "13987654321"


@pytest.fixture(autouse=True)
def _receipt_token(settings):
    settings.SMS_RECEIPT_TOKEN = TOKEN


def push(client, gateway: str, kind: str, payload, token: str = TOKEN):
    url = reverse("messaging:gateway_push", kwargs={"gateway": gateway, "kind": kind,
                                                     "token": token})
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload,
                                                                        ensure_ascii=False)
    return client.post(url, data, content_type="application/json")


def sent(gateway: str, provider_id: str, **fields) -> SmsMessage:
    return queued(gateway=gateway, provider_id=provider_id, status=SmsStatus.SENT,
                  sent_at=timezone.now(), **fields)


def aliyun_report(biz_id: str, success: bool, err_code: str = "DELIVERED", **extra) -> dict:
    return {"phone_number": MOBILE, "send_time": "2026-12-08 10:00:00",
            "report_time": "2026-12-08 10:00:05", "success": success, "err_code": err_code,
            "err_msg": "用户接收成功" if success else "失败", "sms_size": "1", "biz_id": biz_id,
            "out_id": "", **extra}


def test_an_aliyun_report_marks_messages_delivered_or_failed_with_the_reason(client):
    delivered, failed = sent("aliyun", "biz-1"), sent("aliyun", "biz-2", mobile=OTHER)
    response = push(client, "aliyun", "report", [
        aliyun_report("biz-1", True),
        aliyun_report("biz-2", False, "MK:0001", phone_number=OTHER, err_msg="空号")])
    assert (response.status_code, response.json()) == (200, {"code": 0, "msg": "接收成功"})
    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert delivered.status == SmsStatus.DELIVERED
    assert timezone.localtime(delivered.delivered_at).strftime("%Y-%m-%d %H:%M:%S") == \
        "2026-12-08 10:00:05"
    assert (failed.status, failed.error) == (SmsStatus.FAILED, "MK:0001：空号")


def test_an_aliyun_report_finds_a_message_sent_after_a_timeout_by_its_out_id(client):
    message = sent("aliyun", "sms-77")  # looked up after a timeout: its OutId is its id
    push(client, "aliyun", "report", [aliyun_report("biz-unknown", True, out_id="sms-77")])
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED


def test_a_report_changes_only_messages_of_that_gateway_that_are_sent(client):
    other_gateway = sent("tencent", "biz-1")
    already_failed = queued(gateway="aliyun", provider_id="biz-2", status=SmsStatus.FAILED,
                            error="isv.X")
    push(client, "aliyun", "report", [aliyun_report("biz-1", True), aliyun_report("biz-2", True)])
    other_gateway.refresh_from_db()
    already_failed.refresh_from_db()
    assert other_gateway.status == SmsStatus.SENT
    assert (already_failed.status, already_failed.error) == (SmsStatus.FAILED, "isv.X")


@pytest.mark.parametrize("token", ["wrong-token", TOKEN + "x", TOKEN[:-1]])
def test_a_push_with_a_wrong_token_is_refused_and_changes_nothing(client, token):
    message = sent("aliyun", "biz-1")
    assert push(client, "aliyun", "report", [aliyun_report("biz-1", True)],
                token=token).status_code == 403
    assert push(client, "aliyun", "reply", [{"phone_number": MOBILE, "content": "TD"}],
                token=token).status_code == 403
    assert push(client, "tencent", "report", [{"sid": "biz-1", "report_status": "SUCCESS"}],
                token=token).status_code == 403
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert not SmsOptOut.objects.exists()


def test_no_token_configured_refuses_every_push(client, settings):
    settings.SMS_RECEIPT_TOKEN = ""
    message = sent("aliyun", "biz-1")
    assert push(client, "aliyun", "report", [aliyun_report("biz-1", True)],
                token="anything").status_code == 403
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


@pytest.mark.parametrize("body", [b"{not json", b'"a string"', b"[1, 2]"])
def test_a_malformed_push_is_a_400_in_the_gateways_own_words(client, body):
    message = sent("aliyun", "biz-1")
    response = push(client, "aliyun", "report", body)
    assert (response.status_code, response.json()) == (400, {"code": 1, "msg": "格式错误"})
    response = push(client, "tencent", "report", body)
    assert (response.status_code, response.json()["result"]) == (400, 1)
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


def test_a_get_or_an_unknown_gateway_is_not_a_receipt(client):
    url = reverse("messaging:gateway_push", kwargs={"gateway": "aliyun", "kind": "report",
                                                     "token": TOKEN})
    assert client.get(url).status_code == 405
    assert push(client, "yunpian", "report", []).status_code == 404
    assert push(client, "aliyun", "status", []).status_code == 404


def test_a_tencent_report_marks_messages_delivered_or_failed(client):
    delivered, failed = sent("tencent", "2433:a"), sent("tencent", "2433:b", mobile=OTHER)
    response = push(client, "tencent", "report", [
        {"user_receive_time": "2026-12-08 10:00:05", "nationcode": "86", "mobile": MOBILE,
         "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功",
         "sid": "2433:a"},
        {"user_receive_time": "2026-12-08 10:00:06", "nationcode": "86", "mobile": OTHER,
         "report_status": "FAIL", "errmsg": "MI:0013", "description": "用户号码停机",
         "sid": "2433:b"}])
    assert (response.status_code, response.json()) == (200, {"result": 0, "errmsg": "OK"})
    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert delivered.status == SmsStatus.DELIVERED
    assert failed.status == SmsStatus.FAILED
    assert "MI:0013" in failed.error and "用户号码停机" in failed.error


@pytest.mark.parametrize("gateway, reply", [
    ("aliyun", {"phone_number": MOBILE, "send_time": "2026-12-08 10:00:00", "content": "TD",
                "sign_name": "影楼测试", "dest_code": "1234", "sequence_id": 1}),
    ("tencent", {"extend": "", "mobile": MOBILE, "nationcode": "86", "sign": "影楼测试",
                 "text": "TD", "time": 1796695200}),
    ("tencent", {"mobile": f"+86{MOBILE}", "text": " td "}),
], ids=["aliyun-smsup", "tencent-reply", "tencent-e164-lowercase"])
def test_a_td_reply_records_an_opt_out(client, gateway, reply):
    assert push(client, gateway, "reply", [reply]).status_code == 200
    opt_out = SmsOptOut.objects.get()
    assert (opt_out.mobile, opt_out.source) == (MOBILE, SmsOptOut.Source.REPLY)


def test_a_reply_that_is_not_td_is_no_opt_out(client):
    push(client, "aliyun", "reply", [{"phone_number": MOBILE, "content": "好的，谢谢"}])
    push(client, "tencent", "reply", [{"mobile": MOBILE, "text": "明天几点？"}])
    assert not SmsOptOut.objects.exists()


def test_after_td_marketing_is_refused_or_fails_while_service_notices_still_go(
        client, aliyun, store):
    from messaging.models import MessageTemplate

    for purpose in ("callback:thanks", "reminder"):
        MessageTemplate.objects.create(store=store, purpose=purpose, channel="sms",
                                       code=f"SMS_{purpose[:4]}", text="${customer}您好")
    now = timezone.now()
    waiting = message_queue(purpose="callback:thanks", mobile=MOBILE, store_id=store.pk,
                            values={"customer": "王女士"}, default_body="", now=now)
    assert push(client, "aliyun", "reply", [{"phone_number": MOBILE, "content": "TD"}]
                ).status_code == 200
    with pytest.raises(ValidationError) as refused:
        message_queue(purpose="callback:thanks", mobile=MOBILE, store_id=store.pk,
                      values={"customer": "王女士"}, default_body="", now=now)
    assert "退订" in str(refused.value.message_dict["mobile"])
    assert SmsMessage.objects.count() == 1
    sms_send(message_id=waiting.pk, now=now)
    waiting.refresh_from_db()
    assert waiting.status == SmsStatus.FAILED and "客户已退订" in waiting.error
    assert aliyun.calls("SendSms") == []
    notice = message_queue(purpose="reminder", mobile=MOBILE, store_id=store.pk,
                           values={"customer": "王女士"}, default_body="", now=now)
    sms_send(message_id=notice.pk, now=now)
    notice.refresh_from_db()
    assert notice.status == SmsStatus.SENT
    assert [seen.query["TemplateCode"] for seen in aliyun.calls("SendSms")] == ["SMS_remi"]


def test_a_marketing_sweep_records_the_refusal_as_a_failed_row(store):
    SmsOptOut.objects.create(mobile=MOBILE)
    message = message_queue(purpose="callback:survey", mobile=MOBILE, store_id=store.pk,
                            values={}, default_body="满意度调查", record_refusal=True)
    assert (message.status, message.marketing) == (SmsStatus.FAILED, True)
    assert "退订" in message.error


# --- polling, where no callback is configured --------------------------------------------------

def test_polling_aliyun_marks_a_message_delivered_from_query_send_details(aliyun):
    now = timezone.now()
    message = queued(gateway="aliyun", provider_id="biz-42", status=SmsStatus.SENT,
                     sent_at=now - POLL_AFTER - timedelta(minutes=1))
    recent = queued(gateway="aliyun", provider_id="biz-43", status=SmsStatus.SENT,
                    sent_at=now - timedelta(minutes=2), mobile=OTHER)
    aliyun.on("QuerySendDetails", aliyun_details({
        "PhoneNum": MOBILE, "OutId": f"sms-{message.pk}", "SendStatus": 3,
        "ErrCode": "DELIVERED", "ReceiveDate": "2026-12-08 10:00:05",
        "SendDate": "2026-12-08 10:00:00", "TemplateCode": "SMS_465001"}))
    assert sms_poll_receipts(now=now) == 1
    message.refresh_from_db()
    recent.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED
    assert message.delivered_at.astimezone(local_zone()).strftime("%H:%M:%S") == "10:00:05"
    assert recent.status == SmsStatus.SENT  # its receipt may still come: not asked yet
    (query,) = aliyun.calls("QuerySendDetails")
    assert (query.query["BizId"], query.query["PhoneNumber"]) == ("biz-42", MOBILE)


def test_polling_aliyun_records_a_failure_and_leaves_a_pending_one(aliyun):
    now = timezone.now()
    failed = queued(gateway="aliyun", provider_id="biz-1", status=SmsStatus.SENT,
                    sent_at=now - timedelta(hours=1))
    aliyun.on("QuerySendDetails", aliyun_details({"PhoneNum": MOBILE, "SendStatus": 2,
                                                  "ErrCode": "isv.MOBILE_NUMBER_ILLEGAL"}),
              aliyun_details({"PhoneNum": MOBILE, "SendStatus": 1}))
    pending = queued(gateway="aliyun", provider_id="biz-2", status=SmsStatus.SENT,
                     sent_at=now - timedelta(minutes=50), mobile=OTHER)
    assert sms_poll_receipts(now=now) == 1
    failed.refresh_from_db()
    pending.refresh_from_db()
    assert (failed.status, failed.error) == (SmsStatus.FAILED,
                                             "isv.MOBILE_NUMBER_ILLEGAL：手机号码格式错误")
    assert pending.status == SmsStatus.SENT


def test_polling_tencent_marks_a_message_delivered(tencent):
    now = timezone.now()
    message = queued(gateway="tencent", provider_id="2433:x", status=SmsStatus.SENT,
                     sent_at=now - timedelta(minutes=30))
    tencent.on("PullSmsSendStatusByPhoneNumber", tencent_pulled({
        "SerialNo": "2433:x", "PhoneNumber": f"+86{MOBILE}", "ReportStatus": "SUCCESS",
        "Description": "用户短信送达成功", "UserReceiveTime": "2026-12-08 10:00:05",
        "SessionContext": f"sms-{message.pk}", "CountryCode": "86",
        "SubscriberNumber": MOBILE}))
    assert sms_poll_receipts(now=now) == 1
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED


def test_a_gateway_that_fails_to_answer_a_poll_changes_nothing(aliyun):
    from .conftest import aliyun_error

    now = timezone.now()
    message = queued(gateway="aliyun", provider_id="biz-1", status=SmsStatus.SENT,
                     sent_at=now - timedelta(hours=1))
    aliyun.on("QuerySendDetails", aliyun_error("ServiceUnavailable", "busy", status=503))
    assert sms_poll_receipts(now=now) == 0
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
