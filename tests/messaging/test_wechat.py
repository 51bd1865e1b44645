"""WeChat template messages to customers who linked their WeChat (issue 19, "WeChat"): the
payload WeChat's API gets (fields cut at 20 characters), SMS as the fallback in the same attempt,
one access token shared by all sends and fetched again once when WeChat says it is invalid, and
the signed event URL (the console's check, TEMPLATESENDJOBFINISH as the delivery report)."""
import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import MessageTemplate, WechatAccessToken
from messaging.services import message_queue
from studio.models import SmsChannel, SmsMessage, SmsStatus
from studio.sms import sms_send
from tests.customers.factories import CustomerFactory

from .conftest import WECHAT_APP, WECHAT_SECRET, WECHAT_TOKEN, reply
from .rows import MOBILE

pytestmark = pytest.mark.django_db
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
SEND = "/cgi-bin/message/template/send"
TOKEN = "/cgi-bin/stable_token"
LONG_SERVICE = "婚纱拍摄外景加内景全天套系含化妆造型与精修三十张"  # 25 characters


@pytest.fixture
def templates(store):
    MessageTemplate.objects.create(store=store, purpose="reminder", channel="sms",
                                   code="SMS_465001", text="${customer}您好，${date}请到${store}")
    return MessageTemplate.objects.create(
        store=store, purpose="reminder", channel="wechat", code="TPL-reminder-01",
        fields={"thing1": "${customer}", "thing2": "${service}", "time3": "${date} ${time}"})


@pytest.fixture
def linked(store):
    return CustomerFactory(store=store, mobile=MOBILE, wechat_openid=OPENID)


def remind(customer, store) -> SmsMessage:
    return message_queue(purpose="reminder", mobile=customer.mobile, store_id=store.pk,
                         customer=customer, values={"customer": "王女士", "store": "人民路店",
                                                    "service": LONG_SERVICE, "date": "3月12日",
                                                    "time": "14:00"},
                         default_body="", now=timezone.now())


def test_a_linked_customer_gets_a_template_message_with_fields_cut_at_20(
        wechat, aliyun, templates, linked, store):
    message = remind(linked, store)
    assert (message.channel, message.openid, message.wechat_template) == (
        SmsChannel.WECHAT, OPENID, "TPL-reminder-01")
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    (token,) = wechat.calls(TOKEN)
    assert token.json == {"grant_type": "client_credential", "appid": WECHAT_APP,
                          "secret": WECHAT_SECRET}
    (sent,) = wechat.calls(SEND)
    assert sent.query["access_token"] == WechatAccessToken.objects.get(app_id=WECHAT_APP).token
    assert sent.json == {"touser": OPENID, "template_id": "TPL-reminder-01", "data": {
        "thing1": {"value": "王女士"}, "thing2": {"value": LONG_SERVICE[:20]},
        "time3": {"value": "3月12日 14:00"}}}
    assert len(sent.json["data"]["thing2"]["value"]) == 20
    assert (message.status, message.channel, message.gateway, message.provider_id) == (
        SmsStatus.SENT, SmsChannel.WECHAT, "wechat", "200228332")
    assert aliyun.requests == []


def test_a_customer_who_does_not_follow_the_account_gets_the_sms_in_the_same_attempt(
        wechat, aliyun, templates, linked, store):
    wechat.on(SEND, reply({"errcode": 43004, "errmsg": "require subscribe"}))
    message = remind(linked, store)
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.channel, message.gateway, message.attempts) == (
        SmsStatus.SENT, SmsChannel.SMS, "aliyun", 1)
    assert "43004" in message.error and "已改发短信" in message.error
    (sms,) = aliyun.calls("SendSms")
    assert sms.query["TemplateCode"] == "SMS_465001"


def test_a_wechat_5xx_also_falls_back_to_sms(wechat, aliyun, templates, linked, store):
    wechat.on(SEND, reply({"errcode": -1}, status=502))
    message = remind(linked, store)
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.gateway) == (SmsStatus.SENT, "aliyun")
    assert "HTTP 502" in message.error


def test_the_access_token_is_fetched_once_and_shared_by_two_sends(
        wechat, aliyun, templates, linked, store):
    other = CustomerFactory(store=store, mobile="13987654321", wechat_openid=OPENID + "2")
    first, second = remind(linked, store), remind(other, store)  # two mobiles: no rate limit
    sms_send(message_id=first.pk, now=timezone.now())
    sms_send(message_id=second.pk, now=timezone.now())
    assert len(wechat.calls(TOKEN)) == 1
    tokens = {seen.query["access_token"] for seen in wechat.calls(SEND)}
    assert len(wechat.calls(SEND)) == 2 and len(tokens) == 1


def test_an_invalid_token_is_fetched_again_once_and_the_send_retried(
        wechat, aliyun, templates, linked, store):
    wechat.on(SEND, reply({"errcode": 40001, "errmsg": "invalid credential"}),
              reply({"errcode": 0, "errmsg": "ok", "msgid": 7001}))
    message = remind(linked, store)
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert len(wechat.calls(TOKEN)) == 2
    stale, fresh = (seen.query["access_token"] for seen in wechat.calls(SEND))
    assert stale != fresh == WechatAccessToken.objects.get().token
    assert (message.status, message.gateway, message.provider_id) == (SmsStatus.SENT, "wechat",
                                                                      "7001")
    assert aliyun.requests == []


def test_a_customer_without_wechat_gets_an_sms(wechat, aliyun, templates, store):
    customer = CustomerFactory(store=store, mobile=MOBILE, wechat_openid="")
    message = remind(customer, store)
    assert (message.channel, message.openid) == (SmsChannel.SMS, "")
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.gateway) == (SmsStatus.SENT, "aliyun")
    assert wechat.requests == []


def test_without_a_wechat_template_for_the_store_the_message_goes_by_sms(
        wechat, aliyun, templates, linked, store):
    templates.delete()
    message = remind(linked, store)
    assert message.channel == SmsChannel.SMS


def test_a_wechat_row_whose_sender_is_no_longer_configured_goes_by_sms_with_the_note(
        wechat, aliyun, templates, linked, store, settings):
    message = remind(linked, store)
    settings.WECHAT_SENDER = ""
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.channel, message.gateway) == (SmsStatus.SENT,
                                                                  SmsChannel.SMS, "aliyun")
    assert message.error == "微信消息未配置，已改发短信"
    assert wechat.requests == []


def test_a_mini_program_sends_subscribe_messages(wechat, aliyun, templates, linked, store,
                                                 settings):
    settings.WECHAT = {**settings.WECHAT, "kind": "subscribe"}
    message = remind(linked, store)
    sms_send(message_id=message.pk, now=timezone.now())
    (sent,) = wechat.calls("/cgi-bin/message/subscribe/send")
    assert (sent.json["touser"], sent.json["template_id"]) == (OPENID, "TPL-reminder-01")
    assert wechat.calls(SEND) == []


# --- the event URL ------------------------------------------------------------------------------

def signed(timestamp: str = "1796695200", nonce: str = "98127", token: str = WECHAT_TOKEN) -> dict:
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def event_url(params: dict) -> str:
    from urllib.parse import urlencode

    return f"{reverse('messaging:wechat_events')}?{urlencode(params)}"


def test_the_consoles_check_gets_echostr_back_when_signed(client, wechat):
    response = client.get(event_url({**signed(), "echostr": "5837397520918827"}))
    assert (response.status_code, response.content) == (200, b"5837397520918827")


@pytest.mark.parametrize("params", [
    signed(token="not-the-token"),
    {**signed(), "nonce": "other"},
    {"timestamp": "1796695200", "nonce": "98127"},
], ids=["wrong-token", "tampered", "unsigned"])
def test_a_forged_event_is_refused(client, wechat, params):
    assert client.get(event_url({**params, "echostr": "x"})).status_code == 403
    message = SmsMessage.objects.create(mobile=MOBILE, body="x", status=SmsStatus.SENT,
                                        gateway="wechat", provider_id="200163840")
    response = client.post(event_url(params), finish_event("success"), content_type="text/xml")
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


def finish_event(status: str, msg_id: str = "200163840") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
            f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>1796695200"
            f"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA["
            f"TEMPLATESENDJOBFINISH]]></Event><MsgID>{msg_id}</MsgID><Status><![CDATA[{status}"
            f"]]></Status></xml>").encode()


def test_templatesendjobfinish_marks_the_message_delivered_or_failed(client, wechat):
    delivered = SmsMessage.objects.create(mobile=MOBILE, body="x", status=SmsStatus.SENT,
                                          gateway="wechat", provider_id="200163840")
    blocked = SmsMessage.objects.create(mobile=MOBILE, body="y", status=SmsStatus.SENT,
                                        gateway="wechat", provider_id="200163841")
    response = client.post(event_url(signed()), finish_event("success"), content_type="text/xml")
    assert (response.status_code, response.content) == (200, b"success")
    client.post(event_url(signed()), finish_event("failed:user block", "200163841"),
                content_type="text/xml")
    delivered.refresh_from_db()
    blocked.refresh_from_db()
    assert delivered.status == SmsStatus.DELIVERED
    assert (blocked.status, blocked.error) == (SmsStatus.FAILED, "微信：failed:user block")


def test_a_signed_event_that_is_not_xml_is_a_400(client, wechat):
    response = client.post(event_url(signed()), b"<xml><unclosed>", content_type="text/xml")
    assert response.status_code == 400


def test_a_token_about_to_expire_is_renewed_before_the_send(wechat, aliyun, templates, linked,
                                                           store):
    WechatAccessToken.objects.create(app_id=WECHAT_APP, token="OLD",
                                     expires_at=timezone.now() + timedelta(minutes=4))
    message = remind(linked, store)
    sms_send(message_id=message.pk, now=timezone.now())
    assert len(wechat.calls(TOKEN)) == 1
    (sent,) = wechat.calls(SEND)
    assert sent.query["access_token"] != "OLD"


def test_a_token_still_fresh_is_used_without_asking_wechat(wechat, aliyun, templates, linked,
                                                          store):
    WechatAccessToken.objects.create(app_id=WECHAT_APP, token="FRESH",
                                     expires_at=timezone.now() + timedelta(hours=1))
    sms_send(message_id=remind(linked, store).pk, now=timezone.now())
    assert wechat.calls(TOKEN) == []
    assert wechat.calls(SEND)[0].query["access_token"] == "FRESH"


def test_a_token_wechat_will_not_give_sends_the_message_by_sms(wechat, aliyun, templates, linked,
                                                              store):
    wechat.on(TOKEN, reply({"errcode": 40125, "errmsg": "invalid appsecret"}))
    message = remind(linked, store)
    sms_send(message_id=message.pk, now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.channel) == (SmsStatus.SENT, SmsChannel.SMS)
    assert "40125" in message.error and wechat.calls(SEND) == []
