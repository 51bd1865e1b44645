"""Messages to customers seen through a browser (issue 19): the store manager registers the
store's reminder template — a placeholder the purpose does not have is refused on the form — and
sees the text a customer will get; the front desk records a customer's opt-out by phone."""
import pytest

from messaging.models import MessageTemplate
from studio.models import SmsOptOut

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"


def test_manager_registers_a_template_and_the_desk_records_an_opt_out(login, live_server,
                                                                      screenshot):
    page = login("manager")
    page.goto(f"{live_server.url}/outbox/")
    page.get_by_role("link", name="消息模板").click()
    row = page.locator("[data-testid=templates] tr[data-purpose=reminder][data-channel=sms]")
    row.get_by_role("link", name="设置").click()
    page.get_by_label("模板编号").fill("SMS_468500001")
    page.get_by_label("模板内容").fill("${customer}您好，请于${date} ${time}到${address}，${gift}")
    page.get_by_role("button", name="保存").click()
    assert "没有参数 ${gift}" in page.locator("main").inner_text()
    page.get_by_label("模板内容").fill(
        "${customer}您好，提醒您${date} ${time}到店${service}，地址：${address}。")
    page.get_by_role("button", name="保存").click()
    assert "已保存" in page.locator(MESSAGES).inner_text()
    row = page.locator("[data-testid=templates] tr[data-purpose=reminder][data-channel=sms]")
    assert "SMS_468500001" in row.inner_text()
    assert "王女士您好，提醒您3月12日 14:00到店婚纱拍摄，地址：人民路 88 号。" in row.inner_text()
    screenshot("messaging-templates")
    template = MessageTemplate.objects.get(purpose="reminder", channel="sms")
    assert template.store.code == "S01" and template.code == "SMS_468500001"

    page.context.clear_cookies()
    page = login("frontdesk")
    page.goto(f"{live_server.url}/messaging/opt-outs/")
    page.get_by_label("手机号").first.fill("13800138000")
    page.get_by_label("说明").fill("电话中要求不再发送营销短信")
    page.get_by_role("button", name="登记退订").click()
    assert "已登记退订" in page.locator(MESSAGES).inner_text()
    assert "138****8000" in page.get_by_test_id("opt-outs").inner_text()
    assert SmsOptOut.objects.filter(mobile="13800138000").exists()
