"""Membership seen through a browser (the issue's acceptance: "issue a card, earn points from a
payment, redeem some, see the ledger"): the front desk issues a card from the customer page,
takes a payment that earns points, redeems some on the member page and is refused a redemption
beyond the balance; the points correction is the supervisor's alone."""
from decimal import Decimal

import pytest
from django.db.models import Sum

from membership.models import CardStatus, MemberAccount, MemberCard, PointsEntry, PointsKind
from orders.models import Order, OrderStatus, Payment, PaymentKind
from staff.models import User

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"  # the flash messages
CARD_NUMBER = "E2E0001"


# --- state -------------------------------------------------------------------------------------

def _order_of_a_non_member() -> Order:
    """An active order of an S01 customer who is not a member (not VIP, no account), preferring
    one that still owes at least ¥1,000 so the payment is a real 尾款."""
    orders = (Order.objects.filter(customer__store__code="S01", customer__is_vip=False,
                                   customer__member_account__isnull=True,
                                   status=OrderStatus.ACTIVE)
              .select_related("customer").order_by("pk"))
    order = orders.filter(balance_owed__gte=1000).first() or orders.first()
    assert order is not None, "the demo has no active order of a non-member in S01"
    return order


def _ledger(page) -> list[tuple[str, str, str, str]]:
    """The ledger's lines, newest first: (类型, 积分, 变动后余额, 说明)."""
    rows = page.locator("[data-testid=ledger] tbody tr")
    return [tuple(cell.strip() for cell in row.locator("td").all_inner_texts()[1:5])
            for row in rows.all()]


def _balance(page) -> str:
    return page.get_by_test_id("points-balance").inner_text().strip()


# --- the journey -------------------------------------------------------------------------------

def test_desk_issues_a_card_earns_and_redeems_points_supervisor_adjusts(login, live_server,
                                                                       screenshot):
    order = _order_of_a_non_member()
    customer = order.customer
    front = User.objects.get(username="frontdesk")
    supervisor = User.objects.get(username="supervisor")
    page = login("frontdesk")

    # 1. Issue a card from the customer page's 会员 card.
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    summary = page.get_by_test_id("membership-summary")
    assert "尚未入会" in summary.inner_text()
    screenshot("membership-customer-before")
    with page.expect_navigation():
        summary.get_by_test_id("issue-card").click()
    assert page.url == f"{live_server.url}/members/issue/?customer={customer.pk}"
    form = page.get_by_test_id("issue-form")
    form.get_by_label("卡号").fill(CARD_NUMBER)
    screenshot("membership-issue-form")
    with page.expect_navigation():
        form.get_by_role("button", name="发卡").click()

    account = MemberAccount.objects.get(customer=customer)
    assert page.url == f"{live_server.url}/members/{account.pk}/"
    assert f"已为 {customer} 发放会员卡 {CARD_NUMBER}。" in page.locator(MESSAGES).inner_text()
    assert page.get_by_test_id("member-name").inner_text().strip() == str(customer)
    assert _balance(page) == "0"
    assert CARD_NUMBER in page.get_by_test_id("cards").inner_text()
    assert "暂无积分记录" in page.get_by_test_id("ledger").inner_text()
    screenshot("membership-issued")
    card = MemberCard.objects.get(number=CARD_NUMBER)
    assert (card.account, card.status, card.issued_by) == (account, CardStatus.ACTIVE, front)
    customer.refresh_from_db()
    assert customer.is_vip

    # 2. Take ¥1,000 with the customer page's 收款/退款 form; the payment earns the points.
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert page.get_by_test_id("member-points").inner_text().strip() == "0"
    payment_form = page.locator(f"#order-{order.pk} [data-testid=payment-form]")
    payment_form.locator("select[name=kind]").select_option(label="尾款")
    payment_form.locator("input[name=amount]").fill("1000")
    payment_form.locator("select[name=method]").select_option(label="微信支付")
    payment_form.locator("input[name=note]").fill("E2E 尾款")
    with page.expect_response(lambda r: r.url.endswith(f"/orders/{order.pk}/payments/")):
        payment_form.get_by_role("button", name="登记收款").click()  # htmx: in place
    done = page.locator(f"#order-{order.pk}").get_by_test_id("order-done")
    done.wait_for()
    assert done.inner_text() == "已登记收款。"
    payment = Payment.objects.get(order=order, note="E2E 尾款")
    assert (payment.kind, payment.amount) == (PaymentKind.BALANCE, Decimal("1000"))
    # the membership card came with the answer (out of band): the points the payment earned
    assert page.get_by_test_id("member-points").inner_text().strip() == "1000"
    screenshot("membership-customer-paid")

    with page.expect_navigation():
        page.get_by_test_id("membership-summary").get_by_role("link", name="会员页").click()
    assert page.url == f"{live_server.url}/members/{account.pk}/"
    assert _balance(page) == "1000"
    assert _ledger(page) == [("消费积分", "+1000", "1000", f"尾款 ¥1,000.00 #{order.pk}")]
    screenshot("membership-earned")

    # 3. Redeem 300 points with a note.
    redeem = page.get_by_test_id("redeem-form")
    redeem.get_by_label("兑换积分").fill("300")
    redeem.get_by_label("兑换内容").fill("相框一个")
    with page.expect_navigation():
        redeem.get_by_role("button", name="兑换").click()
    assert page.url == f"{live_server.url}/members/{account.pk}/"
    assert "积分已兑换。" in page.locator(MESSAGES).inner_text()
    assert _balance(page) == "700"
    ledger = _ledger(page)
    assert ledger[0] == ("积分兑换", "-300", "700", "相框一个")
    assert ledger[1][:3] == ("消费积分", "+1000", "1000")
    screenshot("membership-redeemed")
    account.refresh_from_db()
    entries = PointsEntry.objects.filter(account=account)
    assert account.points_balance == 700
    assert entries.aggregate(total=Sum("points"))["total"] == 700
    redemption = entries.get(kind=PointsKind.REDEEM)
    assert (redemption.points, redemption.by, redemption.note) == (-300, front, "相框一个")
    assert entries.get(kind=PointsKind.EARN).remaining == 700  # spent from the oldest earning

    # 4. Redeeming more than the balance is refused and writes nothing.
    entries_before = entries.count()
    redeem = page.get_by_test_id("redeem-form")
    redeem.get_by_label("兑换积分").fill("5000")
    redeem.get_by_label("兑换内容").fill("升级套系")
    with page.expect_navigation() as refused:
        redeem.get_by_role("button", name="兑换").click()
    assert refused.value.status == 400
    error = page.get_by_test_id("redeem-form").locator(".invalid-feedback").inner_text()
    assert "积分余额不足" in error
    assert page.locator(f"{MESSAGES}.alert-success").count() == 0
    assert _balance(page) == "700"
    screenshot("membership-redeem-refused")
    account.refresh_from_db()
    assert account.points_balance == 700
    assert PointsEntry.objects.filter(account=account).count() == entries_before

    # 5. The correction is the supervisor's: no 积分调整 form for the front desk.
    page.goto(f"{live_server.url}/members/{account.pk}/")
    assert page.get_by_test_id("redeem-form").count() == 1
    assert page.get_by_test_id("adjust-form").count() == 0
    assert "积分调整" not in page.locator("main").inner_text()

    page.context.clear_cookies()
    login("supervisor")
    page.goto(f"{live_server.url}/members/{account.pk}/")
    adjust = page.get_by_test_id("adjust-form")
    adjust.get_by_label("调整积分（可为负数）").fill("50")
    adjust.get_by_label("调整原因").fill("补录活动赠送积分")
    with page.expect_navigation():
        adjust.get_by_role("button", name="调整").click()
    assert "积分已调整。" in page.locator(MESSAGES).inner_text()
    assert _balance(page) == "750"
    assert _ledger(page)[0] == ("积分调整", "+50", "750", "补录活动赠送积分")
    screenshot("membership-adjusted")
    account.refresh_from_db()
    assert account.points_balance == 750
    assert PointsEntry.objects.filter(account=account).aggregate(
        total=Sum("points"))["total"] == 750
    adjustment = PointsEntry.objects.get(account=account, kind=PointsKind.ADJUST)
    assert (adjustment.points, adjustment.by) == (50, supervisor)
