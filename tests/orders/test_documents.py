"""The documents a customer takes home (issue 16): the order confirmation (定单确认书) and the
numbered receipts (收据) of payments and refunds, as pages, as a PDF and through the API; the
amount in Chinese capitals; who may see them.

The order, worked out by hand (人民路店, S01, 2026-03-01):
    package price 6,000.00 − discount 500.00 + add-on 加大相册 800.00 = due 6,300.00
    S01-2026-000001  deposit 2,000.00 cash      paid 2,000.00  owed 4,300.00
    S01-2026-000002  balance 1,000.00 wechat    paid 3,000.00  owed 3,300.00
    S01-2026-000003  refund    500.00 wechat    paid 2,500.00  owed 3,800.00
"""
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.documents import receipt_pdf
from orders.models import Receipt
from orders.services import order_create, payment_record
from studio.models import AuditAction, AuditEntry
from studio.money import money_in_words
from tests.factories import CustomerFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("amount, words", [
    ("0.50", "伍角"),
    ("10005", "壹万零伍元整"),
    ("12000.00", "壹万贰仟元整"),
    ("100.07", "壹佰元零柒分"),
    ("0", "零元整"),
    ("0.07", "柒分"),
    ("10", "壹拾元整"),
    ("5999", "伍仟玖佰玖拾玖元整"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("1001000", "壹佰万零壹仟元整"),
    ("100001000", "壹亿零壹仟元整"),
    ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    (Decimal("-300"), "负叁佰元整"),
    (6300, "陆仟叁佰元整"),
])
def test_money_in_words(amount, words):
    assert money_in_words(amount) == words


# --- the order and its receipts ---------------------------------------------------------------

def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def sale(db, store, specialist, package, front_desk):
    store.address, store.phone = "人民路 88 号", "0571-88886666"
    store.document_terms = "定金不退。\n拍摄前三天可改期一次。"
    store.save()
    customer = CustomerFactory(store=store, assigned_to=specialist, name="张三",
                               mobile="13812345678")
    order = order_create(customer=customer, package=package, by=front_desk,
                         amount=Decimal("6000"), discount=Decimal("500"),
                         addons=[("加大相册", "800")], scene="西湖", notes="客户要求海景",
                         planned_on=date(2026, 4, 18), deposit="2000", deposit_method="cash",
                         at=at(1))
    payment_record(order=order, kind="balance", amount="1000", received_by=front_desk,
                   paid_at=at(5))
    payment_record(order=order, kind="refund", amount="500", received_by=front_desk,
                   paid_at=at(6), note="少拍一套服装")
    receipts = {r.payment.kind: r for r in Receipt.objects.filter(payment__order=order)
                .select_related("payment")}
    return {"order": order, "customer": customer, "receipts": receipts}


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.content.decode())


def test_each_payment_and_refund_has_its_numbered_receipt(sale):
    numbers = {kind: r.number for kind, r in sale["receipts"].items()}
    assert numbers == {"deposit": "S01-2026-000001", "balance": "S01-2026-000002",
                       "refund": "S01-2026-000003"}


def test_the_confirmation_shows_the_store_the_customer_the_package_and_the_money(
        client, sale, front_desk, package):
    order = sale["order"]
    client.force_login(front_desk)
    text = _text(client.get(reverse("orders:order_document", args=[order.pk])))
    for expected in ["人民路店", "人民路 88 号", "0571-88886666", "定单确认书", f"#{order.pk}",
                     f"{timezone.localtime(order.created_at):%Y-%m-%d}", "张三女士", "13812345678",
                     front_desk.display_name, package.name, "西湖", "2026-04-18", "客户要求海景",
                     "定金不退。", "拍摄前三天可改期一次。", "客户签字",
                     # the package's stages, in order
                     "定单 → 礼服挑选 → 拍摄 → 选片 → 取件",
                     # the money, worked out by hand
                     'data-testid="amount">¥6,000.00', 'data-testid="discount">-¥500.00',
                     "加大相册", 'data-testid="addon">¥800.00',
                     'data-testid="total-due">¥6,300.00', 'data-testid="owed">¥3,800.00',
                     "¥2,500.00", "S01-2026-000001", "S01-2026-000003"]:
        assert expected in text, expected
    assert "@page" not in text  # the page size comes from a stylesheet, not inline CSS
    assert "page-a4.css" in text and 'data-print' in text and "js/documents.js" in text
    assert "<script>" not in text  # no inline script under the CSP
    assert 'class="navbar' not in text  # no menu on a document
    a5 = _text(client.get(reverse("orders:order_document", args=[order.pk]), {"size": "a5"}))
    assert "page-a5.css" in a5


def test_the_confirmation_masks_the_mobile_unless_the_viewer_may_see_it_and_is_audited(
        client, sale, specialist):
    order, customer = sale["order"], sale["customer"]
    client.force_login(specialist)  # the customer's specialist: no view_full_mobile
    text = _text(client.get(reverse("orders:order_document", args=[order.pk])))
    assert "138****5678" in text and "13812345678" not in text
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_CUSTOMER, actor=specialist)
    assert entry.object_id == str(customer.pk)
    assert entry.detail == {"document": "order_confirmation", "order": order.pk}


def test_a_receipt_shows_its_number_the_amount_in_words_and_the_order_after_it(
        client, sale, front_desk):
    deposit = sale["receipts"]["deposit"]
    client.force_login(front_desk)
    text = _text(client.get(reverse("orders:receipt", args=[deposit.pk])))
    for expected in ["人民路店", "人民路 88 号", 'data-testid="receipt-number">S01-2026-000001',
                     'data-testid="receipt-title">收据', "张三女士", f"#{sale['order'].pk}",
                     'data-testid="receipt-kind">定金', 'data-testid="receipt-amount">¥2,000.00',
                     "人民币贰仟元整", "现金", "2026-03-01 10:00", front_desk.display_name,
                     # after this payment: later ones are not counted
                     'data-testid="figure-due">¥6,300.00', 'data-testid="figure-paid">¥2,000.00',
                     'data-testid="figure-owed">¥4,300.00', "page-a5.css"]:
        assert expected in text, expected
    balance = _text(client.get(reverse("orders:receipt", args=[sale["receipts"]["balance"].pk])))
    assert 'data-testid="figure-paid">¥3,000.00' in balance
    assert 'data-testid="figure-owed">¥3,300.00' in balance
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_CUSTOMER,
                                     detail__receipt="S01-2026-000001").exists()


def test_a_refund_receipt_says_refund_and_the_amount_refunded(client, sale, front_desk):
    refund = sale["receipts"]["refund"]
    client.force_login(front_desk)
    text = _text(client.get(reverse("orders:receipt", args=[refund.pk])))
    for expected in ['data-testid="receipt-title">退款收据', "退款金额",
                     'data-testid="receipt-kind">退款', "¥500.00（已退还客户）",
                     "人民币（退款）伍佰元整", "少拍一套服装", "退款时间",
                     'data-testid="figure-paid">¥2,500.00', 'data-testid="figure-owed">¥3,800.00']:
        assert expected in text, expected
    assert "收款金额" not in text


def test_the_receipt_pdf_is_a_one_page_pdf_with_the_number(client, sale, front_desk):
    refund = sale["receipts"]["refund"]
    pdf = receipt_pdf(refund)
    assert pdf.startswith(b"%PDF-")
    assert b"S01-2026-000003" in pdf  # the document's subject
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1
    assert b"STSong-Light" in pdf  # the built-in Chinese font, not a shipped file
    client.force_login(front_desk)
    response = client.get(reverse("orders:receipt_pdf", args=[refund.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"S01-2026-000003" in response.content
    assert "receipt-S01-2026-000003.pdf" in response["Content-Disposition"]


@pytest.mark.parametrize("url_name", ["orders:order_document", "orders:receipt",
                                      "orders:receipt_pdf", "api:receipt-detail",
                                      "api:receipt-pdf"])
def test_documents_outside_ones_scope_are_404_and_without_permission_403(
        client, sale, url_name, other_manager, other_specialist):
    pk = sale["order"].pk if url_name == "orders:order_document" else sale["receipts"][
        "deposit"].pk
    url = reverse(url_name, args=[pk])
    for outsider in (other_manager, other_specialist):  # another store; another's customer
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(UserFactory())  # no staff profile, no permission
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == (401 if url_name.startswith("api:") else 302)


def test_the_api_gives_a_receipt_as_json_and_as_pdf(client, sale, supervisor):
    deposit = sale["receipts"]["deposit"]
    client.force_login(supervisor)
    response = client.get(reverse("api:receipt-detail", args=[deposit.pk]))
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ["number", "store", "store_name", "payment_kind", "amount",
                                       "method", "order", "customer_name",
                                       "amount_in_words"]} == {
        "number": "S01-2026-000001", "store": deposit.store_id, "store_name": "人民路店",
        "payment_kind": "deposit", "amount": "2000.00", "method": "cash",
        "order": sale["order"].pk, "customer_name": "张三", "amount_in_words": "贰仟元整"}
    assert body["paid_at"].startswith("2026-03-01T10:00") and body["issued_at"]
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_CUSTOMER, actor=supervisor,
                                     detail__document="receipt").count() == 1
    response = client.get(reverse("api:receipt-pdf", args=[deposit.pk]),
                          HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"S01-2026-000001" in response.content


# --- where the documents are linked from -----------------------------------------------------

def test_the_customer_page_links_each_payment_to_its_receipt_and_each_order_to_its_confirmation(
        client, sale, front_desk):
    client.force_login(front_desk)
    text = _text(client.get(reverse("orders:customer", args=[sale["customer"].pk])))
    order = sale["order"]
    assert f'href="{reverse("orders:order_document", args=[order.pk])}"' in text
    assert "打印定单" in text
    for receipt in sale["receipts"].values():
        assert f'href="{reverse("orders:receipt", args=[receipt.pk])}"' in text
        assert receipt.number in text


def test_the_payment_ledger_shows_each_receipt_in_a_fixed_number_of_queries(
        client, sale, manager, store, package, front_desk):
    client.force_login(manager)
    url = reverse("orders:payments")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        text = _text(client.get(url))
    for receipt in sale["receipts"].values():
        assert f'href="{reverse("orders:receipt", args=[receipt.pk])}"' in text
    for _ in range(5):
        order = order_create(customer=CustomerFactory(store=store), package=package,
                             by=front_desk, deposit="100", at=at(7))
        payment_record(order=order, kind="balance", amount="100", received_by=front_desk,
                       paid_at=at(8))
    with CaptureQueriesContext(connection) as many:
        text = _text(client.get(url))
    assert len(many) == len(few)
    assert "S01-2026-000013" in text


def test_the_receipt_admin_lists_the_stores_receipts_read_only(client, sale, manager,
                                                              other_manager):
    client.force_login(manager)
    response = client.get(reverse("admin:orders_receipt_changelist"))
    assert response.status_code == 200
    assert {r.number for r in response.context["cl"].result_list} == {
        "S01-2026-000001", "S01-2026-000002", "S01-2026-000003"}
    receipt = sale["receipts"]["deposit"]
    page = client.get(reverse("admin:orders_receipt_change", args=[receipt.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.get(reverse("admin:orders_receipt_add")).status_code == 403
    assert client.get(reverse("admin:orders_receipt_delete", args=[receipt.pk])).status_code == 403
    client.force_login(other_manager)
    assert not client.get(reverse("admin:orders_receipt_changelist")).context["cl"].result_list
