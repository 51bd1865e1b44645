"""The messaging pages (issue 19): the store's templates with a preview (the manager's, the
chain's for the general manager), the opt-out list, and the outbox's gateway, template, status
and reason for each message."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import MessageTemplate
from studio.models import SmsChannel, SmsMessage, SmsOptOut, SmsStatus

from .rows import MOBILE

pytestmark = pytest.mark.django_db
ALIYUN = "messaging.gateways.aliyun.AliyunSmsSender"


@pytest.fixture(autouse=True)
def _aliyun_configured(settings):
    settings.SMS_SENDER = ALIYUN  # a template gateway; these pages never reach it
    settings.ALIYUN_SMS = {"access_key_id": "k", "access_key_secret": "s", "sign_name": "影楼",
                           "endpoint": "127.0.0.1:9", "protocol": "HTTP"}


def edit_url(purpose="reminder", channel="sms", store=None) -> str:
    url = reverse("messaging:template_edit", kwargs={"purpose": purpose, "channel": channel})
    return f"{url}?store={store.pk}" if store else url


def row_html(html: str, purpose: str, channel: str = "sms") -> str:
    match = re.search(rf'<tr data-purpose="{re.escape(purpose)}" data-channel="{channel}">'
                      r"(.*?)</tr>", html, re.S)
    assert match, f"no row for {purpose}/{channel}"
    return match.group(1)


# --- templates ----------------------------------------------------------------------------------

def test_a_manager_sees_their_stores_templates_with_the_text_the_customer_gets(
        client, manager, store, other_store):
    MessageTemplate.objects.create(store=store, purpose="reminder", code="SMS_465001",
                                   text="${customer}您好，${date} ${time}请到${store}")
    MessageTemplate.objects.create(store=other_store, purpose="booking", code="SMS_OTHER",
                                   text="别家")
    MessageTemplate.objects.create(store=None, purpose="production:pickup", code="SMS_CHAIN",
                                   text="${customer}，订单${order}可取件")
    client.force_login(manager)
    response = client.get(reverse("messaging:templates"))
    assert response.status_code == 200
    html = response.content.decode()
    reminder = row_html(html, "reminder")
    assert "SMS_465001" in reminder and "王女士您好，3月12日 14:00请到人民路店" in reminder
    pickup = row_html(html, "production:pickup")
    assert "SMS_CHAIN" in pickup and "沿用全部门店通用模板" in pickup
    assert "王女士，订单1024可取件" in pickup
    assert "未配置：不能发送" in row_html(html, "booking")  # the other store's is not theirs
    assert "SMS_OTHER" not in html


def test_a_manager_sets_their_stores_template_and_the_edit_page_previews_it(
        client, manager, store):
    client.force_login(manager)
    response = client.post(edit_url(), {"code": " SMS_465001 ",
                                        "text": "${customer}您好，明天${time}见", "active": "on"})
    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    assert (template.store, template.purpose, template.channel, template.code, template.active,
            template.updated_by) == (store, "reminder", "sms", "SMS_465001", True, manager)
    page = client.get(edit_url()).content.decode()
    assert re.search(r'data-testid="preview".*王女士您好，明天14:00见', page, re.S)


def test_a_placeholder_the_purpose_does_not_have_is_a_form_error(client, manager):
    client.force_login(manager)
    response = client.post(edit_url("production:pickup"), {
        "code": "SMS_1", "text": "${customer}的订单${order}，尾款${amount}", "active": "on"})
    assert response.status_code == 200
    assert "没有参数 ${amount}" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_a_wechat_template_is_edited_as_fields(client, manager, store):
    client.force_login(manager)
    response = client.post(edit_url(channel="wechat"), {
        "code": "TPL-1", "fields_text": "thing1=${customer}\ntime2=${date} ${time}",
        "active": "on"})
    assert response.status_code == 302
    assert MessageTemplate.objects.get(channel=SmsChannel.WECHAT).fields == {
        "thing1": "${customer}", "time2": "${date} ${time}"}
    response = client.post(edit_url(channel="wechat"), {"code": "TPL-1",
                                                        "fields_text": "没有等号"})
    assert response.status_code == 200 and "第 1 行" in response.content.decode()


def test_an_unknown_purpose_or_channel_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get(edit_url("nope")).status_code == 404
    assert client.get(edit_url(channel="fax")).status_code == 404


def test_the_general_manager_edits_the_chains_templates_and_a_stores(
        client, general_manager, other_store):
    client.force_login(general_manager)
    assert client.post(edit_url(), {"code": "SMS_CHAIN", "text": "${customer}",
                                    "active": "on"}).status_code == 302
    assert client.post(edit_url(store=other_store), {
        "code": "SMS_S02", "text": "${store}", "active": "on", "store": other_store.pk,
    }).status_code == 302
    assert {(t.store_id, t.code) for t in MessageTemplate.objects.all()} == {
        (None, "SMS_CHAIN"), (other_store.pk, "SMS_S02")}
    html = client.get(reverse("messaging:templates")).content.decode()
    assert "全部门店通用" in html and "SMS_CHAIN" in row_html(html, "reminder")


def test_a_manager_cannot_edit_another_stores_templates(client, manager, other_store):
    client.force_login(manager)
    response = client.post(edit_url(store=other_store), {"code": "SMS_X", "text": "${store}",
                                                         "store": other_store.pk})
    assert response.status_code == 400
    assert not MessageTemplate.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "front_desk", "specialist"])
def test_other_roles_may_not_see_or_edit_templates(client, request, role, store):
    template = MessageTemplate.objects.create(store=store, purpose="reminder", code="SMS_1",
                                              text="x")
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("messaging:templates")).status_code == 403
    assert client.get(edit_url()).status_code == 403
    assert client.post(edit_url(), {"code": "SMS_2", "text": "y"}).status_code == 403
    assert client.post(reverse("messaging:template_delete",
                               kwargs={"pk": template.pk})).status_code == 403
    template.refresh_from_db()
    assert template.code == "SMS_1"


def test_a_manager_deletes_their_stores_template_but_not_another_stores_or_the_chains(
        client, manager, store, other_store):
    own = MessageTemplate.objects.create(store=store, purpose="reminder", code="A", text="x")
    theirs = MessageTemplate.objects.create(store=other_store, purpose="reminder", code="B",
                                            text="x")
    chain = MessageTemplate.objects.create(store=None, purpose="reminder", code="C", text="x")
    client.force_login(manager)
    for template in (theirs, chain):
        url = reverse("messaging:template_delete", kwargs={"pk": template.pk})
        assert client.post(url).status_code == 404
    assert client.get(reverse("messaging:template_delete", kwargs={"pk": own.pk})
                      ).status_code == 405
    response = client.post(reverse("messaging:template_delete", kwargs={"pk": own.pk}))
    assert response.status_code == 302
    assert set(MessageTemplate.objects.values_list("code", flat=True)) == {"B", "C"}


# --- opt-outs -----------------------------------------------------------------------------------

def test_the_front_desk_records_an_opt_out_listed_with_the_mobile_masked(client, front_desk):
    client.force_login(front_desk)
    response = client.post(reverse("messaging:opt_outs"), {"mobile": MOBILE,
                                                           "text": "电话中要求不再发送"})
    assert response.status_code == 302
    opt_out = SmsOptOut.objects.get()
    assert (opt_out.mobile, opt_out.source, opt_out.created_by) == (
        MOBILE, SmsOptOut.Source.STAFF, front_desk)
    html = client.get(reverse("messaging:opt_outs")).content.decode()
    assert "138****5678" in html and MOBILE not in html.replace('value=""', "")
    assert "员工登记" in html and "电话中要求不再发送" in html


def test_an_opt_out_needs_a_mobile(client, front_desk):
    client.force_login(front_desk)
    response = client.post(reverse("messaging:opt_outs"), {"mobile": "1234"})
    assert response.status_code == 200 and "请输入 11 位手机号" in response.content.decode()
    assert not SmsOptOut.objects.exists()


def test_the_front_desk_lifts_an_opt_out(client, front_desk):
    opt_out = SmsOptOut.objects.create(mobile=MOBILE)
    client.force_login(front_desk)
    response = client.post(reverse("messaging:opt_out_delete", kwargs={"pk": opt_out.pk}))
    assert response.status_code == 302 and not SmsOptOut.objects.exists()


def test_a_specialist_may_not_see_or_record_opt_outs(client, specialist):
    opt_out = SmsOptOut.objects.create(mobile=MOBILE)
    client.force_login(specialist)
    assert client.get(reverse("messaging:opt_outs")).status_code == 403
    assert client.post(reverse("messaging:opt_outs"), {"mobile": "13700000000"}).status_code == 403
    assert client.post(reverse("messaging:opt_out_delete",
                               kwargs={"pk": opt_out.pk})).status_code == 403
    assert list(SmsOptOut.objects.values_list("mobile", flat=True)) == [MOBILE]


# --- the outbox ---------------------------------------------------------------------------------

def test_the_outbox_shows_channel_gateway_template_status_and_reason(client, supervisor, store,
                                                                     other_store):
    now = timezone.now()
    SmsMessage.objects.create(
        mobile=MOBILE, body="王女士您好", purpose="reminder", store_id=store.pk,
        channel=SmsChannel.SMS, gateway="aliyun", template_code="SMS_465001",
        status=SmsStatus.DELIVERED, sent_at=now, delivered_at=now, provider_id="biz-1")
    SmsMessage.objects.create(
        mobile="13987654321", body="感谢", purpose="callback:thanks", store_id=store.pk,
        channel=SmsChannel.SMS, gateway="tencent", template_code="2011888",
        status=SmsStatus.FAILED, attempts=1,
        error="FailedOperation.TemplateIncorrectOrUnapproved：模板编号不存在或未审核通过")
    SmsMessage.objects.create(
        mobile="13700000000", body="取件", purpose="production:pickup", store_id=store.pk,
        channel=SmsChannel.WECHAT, gateway="wechat", wechat_template="TPL-1",
        status=SmsStatus.SENT, sent_at=now)
    SmsMessage.objects.create(mobile="13600000000", body="别店的", store_id=other_store.pk,
                              template_code="SMS_OTHER_STORE")
    client.force_login(supervisor)
    html = client.get(reverse("sms_outbox")).content.decode()
    rows = re.findall(r"<tr><td>.*?</tr>", html, re.S)
    assert len(rows) == 3 and "SMS_OTHER_STORE" not in html
    delivered = next(r for r in rows if "SMS_465001" in r)
    assert "短信" in delivered and "阿里云短信" in delivered and "已送达" in delivered
    failed = next(r for r in rows if "2011888" in r)
    assert "腾讯云短信" in failed and "发送失败" in failed
    assert re.search(r'data-testid="reason">FailedOperation.TemplateIncorrectOrUnapproved：'
                     r"模板编号不存在或未审核通过<", failed)
    wechat = next(r for r in rows if "TPL-1" in r)
    assert "微信" in wechat and "已发送" in wechat
    assert "阿里云短信" in html  # the gateway configured, above the table


def test_the_outbox_shows_when_a_held_message_goes(client, supervisor, store):
    later = timezone.now() + timedelta(minutes=5)
    SmsMessage.objects.create(mobile=MOBILE, body="x", store_id=store.pk, attempts=1,
                              send_after=later, error="Throttling.User：网关限流")
    client.force_login(supervisor)
    html = client.get(reverse("sms_outbox")).content.decode()
    assert re.search(r'data-testid="send-after">[^<]*重试', html)
    assert "Throttling.User：网关限流" in html
