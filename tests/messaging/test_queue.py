"""Queuing a message (messaging.services.message_queue) and the outbox's per-mobile limits at send
time (issue 19): the store's template or the chain's, refused before anything is queued when a
template gateway has none, marketing text that says how to opt out, one-time codes limited when
asked for, and other messages over SMS_RATE_LIMITS held until the window frees."""
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from messaging.models import MessageTemplate
from messaging.services import message_queue, template_preview, template_save
from studio.models import SmsChannel, SmsMessage, SmsStatus
from studio.sms import sms_send
from tests.clock import local_at

from .rows import MOBILE, queued

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 7)
ALIYUN = "messaging.gateways.aliyun.AliyunSmsSender"
VALUES = {"customer": "王女士", "store": "人民路店", "service": "婚纱拍摄", "date": "3月12日",
          "time": "14:00", "address": "人民路 88 号"}


@pytest.fixture
def aliyun_configured(settings):
    """A template gateway, configured but never reached: these tests stop before sending."""
    settings.SMS_SENDER = ALIYUN
    settings.ALIYUN_SMS = {"access_key_id": "k", "access_key_secret": "s", "sign_name": "影楼",
                           "endpoint": "127.0.0.1:9", "protocol": "HTTP"}


def queue(purpose="reminder", store_id=None, **kwargs):
    kwargs.setdefault("values", VALUES)
    kwargs.setdefault("default_body", "明天见")
    return message_queue(purpose=purpose, mobile=kwargs.pop("mobile", MOBILE),
                         store_id=store_id, **kwargs)


def test_a_template_gateway_refuses_a_purpose_the_store_has_no_template_for(
        aliyun_configured, store):
    with pytest.raises(ValidationError) as refused:
        queue(store_id=store.pk)
    reason = refused.value.message_dict["template"][0]
    assert "到店前一天提醒" in reason and "阿里云短信" in reason
    assert not SmsMessage.objects.exists()


def test_a_sweep_records_the_refusal_as_one_failed_row_with_the_reason(aliyun_configured, store):
    message = queue(store_id=store.pk, record_refusal=True, dedupe_key="reminder:1")
    assert SmsMessage.objects.get() == message
    assert (message.status, message.purpose, message.store_id, message.dedupe_key) == (
        SmsStatus.FAILED, "reminder", store.pk, "reminder:1")
    assert "到店前一天提醒" in message.error and "模板" in message.error
    assert queue(store_id=store.pk, record_refusal=True, dedupe_key="reminder:1") is None


def test_without_a_gateway_the_callers_own_text_is_kept_in_the_outbox(store):
    message = queue(store_id=store.pk)
    assert (message.status, message.body, message.template_code) == (SmsStatus.QUEUED, "明天见",
                                                                     "")


def test_the_chains_template_serves_a_store_without_one_and_a_stores_own_comes_first(
        aliyun_configured, store, other_store):
    MessageTemplate.objects.create(store=None, purpose="reminder", code="SMS_CHAIN",
                                   text="${customer}，${date} ${time}见")
    MessageTemplate.objects.create(store=other_store, purpose="reminder", code="SMS_OWN",
                                   text="${store}提醒${customer}：${date}")
    chain = queue(store_id=store.pk)
    own = queue(store_id=other_store.pk, mobile="13987654321")
    assert (chain.template_code, chain.body) == ("SMS_CHAIN", "王女士，3月12日 14:00见")
    assert chain.params == [["customer", "王女士"], ["date", "3月12日"], ["time", "14:00"]]
    assert (own.template_code, own.body) == ("SMS_OWN", "人民路店提醒王女士：3月12日")
    assert own.params == [["store", "人民路店"], ["customer", "王女士"], ["date", "3月12日"]]


def test_a_stores_inactive_template_gives_way_to_the_chains(aliyun_configured, store):
    MessageTemplate.objects.create(store=None, purpose="reminder", code="SMS_CHAIN", text="链")
    MessageTemplate.objects.create(store=store, purpose="reminder", code="SMS_OFF", text="停",
                                   active=False)
    assert queue(store_id=store.pk).template_code == "SMS_CHAIN"


def test_marketing_text_ends_with_the_opt_out_hint_once(store):
    MessageTemplate.objects.create(store=store, purpose="callback:thanks", code="SMS_T",
                                   text="${customer}，感谢光临${store}")
    MessageTemplate.objects.create(store=store, purpose="walkout", code="SMS_W",
                                   text="${customer}，${store}新品上市，退订回T")
    thanks = queue("callback:thanks", store.pk)
    assert thanks.body == "王女士，感谢光临人民路店回复TD退订" and thanks.marketing
    walkout = queue("walkout", store.pk, mobile="13987654321")
    assert walkout.body.count("退订") == 1
    notice = queue("reminder", store.pk, mobile="13700000000")
    assert "退订" not in notice.body and not notice.marketing


@pytest.mark.clock
def test_a_second_one_time_code_within_a_minute_is_refused_with_the_seconds(time_machine):
    time_machine.move_to(local_at("10:00", day=DAY), tick=False)
    first = queue("otp", values={"code": "382615", "minutes": "5"}, now=timezone.now())
    assert first.urgent and first.send_after is None
    time_machine.move_to(local_at("10:00", day=DAY) + timedelta(seconds=20), tick=False)
    with pytest.raises(ValidationError) as refused:
        queue("otp", values={"code": "111111", "minutes": "5"}, now=timezone.now())
    assert refused.value.message_dict["mobile"] == ["发送过于频繁，请 40 秒后再试。"]
    assert SmsMessage.objects.count() == 1
    other = queue("otp", values={"code": "222222", "minutes": "5"}, mobile="13987654321",
                  now=timezone.now())
    assert other.status == SmsStatus.QUEUED  # the limit is per mobile
    time_machine.move_to(local_at("10:01", day=DAY), tick=False)
    assert queue("otp", values={"code": "333333", "minutes": "5"}, now=timezone.now())


@pytest.mark.clock
def test_the_hourly_limit_counts_one_time_codes_too(time_machine):
    for minute in range(5):
        time_machine.move_to(local_at(f"10:0{minute}", day=DAY), tick=False)
        queue("otp", values={"code": "1", "minutes": "5"}, now=timezone.now())
    time_machine.move_to(local_at("10:05", day=DAY), tick=False)
    with pytest.raises(ValidationError) as refused:
        queue("otp", values={"code": "1", "minutes": "5"}, now=timezone.now())
    assert refused.value.message_dict["mobile"] == ["发送过于频繁，请 3300 秒后再试。"]


@pytest.mark.clock
def test_a_failed_code_does_not_count_against_the_limit(time_machine):
    time_machine.move_to(local_at("10:00", day=DAY), tick=False)
    first = queue("otp", values={"code": "1", "minutes": "5"}, now=timezone.now())
    SmsMessage.objects.filter(pk=first.pk).update(status=SmsStatus.FAILED)
    assert queue("otp", values={"code": "2", "minutes": "5"}, now=timezone.now())


# --- per-mobile limits at send time -------------------------------------------------------------

def _at(hm: str, seconds: int = 0) -> datetime:
    return local_at(hm, day=DAY) + timedelta(seconds=seconds)


def test_a_message_over_the_per_minute_limit_is_deferred_not_sent(settings):
    settings.SMS_SENDER = "tests.messaging.test_queue.CountingSender"
    CountingSender.sent = []
    queued(status=SmsStatus.SENT, sent_at=_at("10:00"), provider_id="p0")
    message = queued()
    sms_send(message_id=message.pk, now=_at("10:00", 30))
    message.refresh_from_db()
    assert (message.status, message.attempts, message.send_after) == (SmsStatus.QUEUED, 0,
                                                                      _at("10:01"))
    assert message.error == "同一手机号发送过于频繁，顺延至 12-07 10:01"
    assert CountingSender.sent == []
    sms_send(message_id=message.pk, now=_at("10:01"))
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.SENT, 1)
    assert CountingSender.sent == [message.pk]


def test_the_hourly_limit_holds_a_message_until_the_oldest_send_leaves_the_window(settings):
    settings.SMS_SENDER = "tests.messaging.test_queue.CountingSender"
    settings.SMS_RATE_LIMITS = [(60, 1), (3600, 5)]
    CountingSender.sent = []
    for minute in range(5):
        queued(status=SmsStatus.SENT, sent_at=_at(f"10:{minute * 10:02d}"))
    message = queued()
    sms_send(message_id=message.pk, now=_at("10:45"))
    message.refresh_from_db()
    assert (message.status, message.send_after) == (SmsStatus.QUEUED, _at("11:00"))
    assert "顺延" in message.error and CountingSender.sent == []


def test_other_mobiles_and_urgent_messages_are_not_held(settings):
    settings.SMS_SENDER = "tests.messaging.test_queue.CountingSender"
    CountingSender.sent = []
    queued(status=SmsStatus.SENT, sent_at=_at("10:00"))
    other = queued(mobile="13987654321")
    code = queued(urgent=True, purpose="otp")
    sms_send(message_id=other.pk, now=_at("10:00", 10))
    sms_send(message_id=code.pk, now=_at("10:00", 10))
    assert CountingSender.sent == [other.pk, code.pk]


class CountingSender:
    name, label, needs_template = "counting", "counting", False
    sent: list = []

    def send(self, message):
        CountingSender.sent.append(message.pk)
        return f"c-{message.pk}"


# --- templates ----------------------------------------------------------------------------------

def test_template_save_refuses_a_placeholder_the_purpose_does_not_have(manager, store):
    with pytest.raises(ValidationError) as refused:
        template_save(store=store, purpose="production:pickup", channel=SmsChannel.SMS,
                      code="SMS_1", text="${customer}的${order}号订单可取件，金额${amount}",
                      by=manager)
    assert "${amount}" in refused.value.message_dict["text"][0]
    assert not MessageTemplate.objects.exists()


@pytest.mark.parametrize("kwargs, field", [
    ({"purpose": "nope", "channel": SmsChannel.SMS, "code": "x", "text": "y"}, "purpose"),
    ({"purpose": "reminder", "channel": SmsChannel.SMS, "code": " ", "text": "y"}, "code"),
    ({"purpose": "reminder", "channel": SmsChannel.SMS, "code": "x", "text": ""}, "text"),
    ({"purpose": "reminder", "channel": SmsChannel.WECHAT, "code": "x", "fields": {}}, "fields"),
    ({"purpose": "reminder", "channel": SmsChannel.WECHAT, "code": "x",
      "fields": {"thing1": "${price}"}}, "fields"),
])
def test_template_save_refuses_what_a_gateway_would_not_send(manager, store, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        template_save(store=store, by=manager, **kwargs)
    assert field in refused.value.message_dict


def test_template_save_changes_the_one_template_of_a_store_purpose_and_channel(manager, store):
    template_save(store=store, purpose="reminder", channel=SmsChannel.SMS, code="SMS_1",
                  text="${customer}", by=manager)
    template_save(store=store, purpose="reminder", channel=SmsChannel.SMS, code="SMS_2",
                  text="${customer}明天见", by=manager)
    template = MessageTemplate.objects.get()
    assert (template.code, template.text, template.updated_by) == ("SMS_2", "${customer}明天见",
                                                                   manager)


def test_the_preview_shows_the_sample_values_and_wechat_fields_cut_at_20():
    assert template_preview(purpose="reminder", text="${customer}，${date} ${time}到${store}") \
        == "王女士，3月12日 14:00到人民路店"
    assert template_preview(purpose="callback:thanks", text="${customer}您好") == \
        "王女士您好回复TD退订"
    assert template_preview(purpose="reminder", fields={
        "thing1": "${customer}", "thing2": "${address}${address}${address}"}) == \
        "thing1: 王女士\nthing2: " + ("人民路 88 号" * 3)[:20]
