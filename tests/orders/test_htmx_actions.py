"""The customer page's and the follow-up list's small actions through htmx (HX-Request: the
view answers with the part of the page that changed, a refusal with its form and 400/409) and
without JavaScript (a plain POST: the message and a redirect, as before)."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import LateFollowUp, OrderStage, StageStatus
from orders.services import late_stages_find, stage_complete, stage_schedule

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _partial(response) -> str:
    """The answer's HTML, checked to be a part of a page, not a whole page."""
    html = response.content.decode()
    assert "<html" not in html and "<body" not in html and "<nav" not in html, html[:200]
    return html


# --- record a stage (and book one) ---------------------------------------------------------------

def test_recording_a_stage_with_htmx_answers_with_the_order_card(client, specialist, order):
    client.force_login(specialist)
    response = client.post(reverse("orders:stage_complete", args=[order.pk]),
                           {"kind": "gown", "extra_amount": "600"}, **HTMX)
    assert response.status_code == 200
    html = _partial(response)
    assert html.lstrip().startswith(f'<div class="card mb-4" id="order-{order.pk}"')
    assert 'data-testid="order-done">已登记完成。' in html
    assert re.search(r'data-stage="gown">.*?data-testid="stage-status">已完成<', html, re.S)
    assert OrderStage.objects.get(order=order, kind="gown").status == StageStatus.DONE
    assert not list(response.wsgi_request._messages)  # no flash message left for the next page


def test_recording_a_stage_without_javascript_still_redirects_to_the_order(client, specialist,
                                                                           order):
    client.force_login(specialist)
    response = client.post(reverse("orders:stage_complete", args=[order.pk]), {"kind": "gown"})
    assert response.status_code == 302
    assert response.url == reverse("orders:customer", args=[order.customer_id]) + f"#order-{order.pk}"
    assert OrderStage.objects.get(order=order, kind="gown").status == StageStatus.DONE


def test_a_refused_stage_comes_back_as_the_card_with_the_reason_and_409(client, specialist, order):
    client.force_login(specialist)
    response = client.post(reverse("orders:stage_complete", args=[order.pk]),
                           {"kind": "pickup", "picked_up_by": "王女士"}, **HTMX)
    assert response.status_code == 409
    html = _partial(response)
    form = re.search(r'data-testid="complete-form">(.*?)</form>', html, re.S)[1]
    assert 'data-testid="form-errors"' in form and "请先完成" in form
    assert 'value="王女士"' in form  # what was typed stays
    assert "order-done" not in html
    assert OrderStage.objects.get(order=order, kind="pickup").status == StageStatus.PENDING


def test_a_form_error_comes_back_under_its_field_with_400(client, specialist, order):
    client.force_login(specialist)
    response = client.post(reverse("orders:stage_schedule", args=[order.pk]),
                           {"kind": "gown", "scheduled_at": "不是时间"}, **HTMX)
    assert response.status_code == 400
    assert 'data-testid="error-scheduled_at"' in _partial(response)


@pytest.mark.clock
def test_booking_a_stage_with_htmx_answers_with_the_card(client, specialist, order):
    client.force_login(specialist)
    at = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("orders:stage_schedule", args=[order.pk]),
                           {"kind": "gown", "scheduled_at": at}, **HTMX)
    assert response.status_code == 200
    assert 'data-testid="order-done">已保存预约。' in _partial(response)
    assert OrderStage.objects.get(order=order, kind="gown").scheduled_at is not None


# --- take a payment ------------------------------------------------------------------------------

def test_a_payment_with_htmx_answers_with_the_card_and_the_membership_card(client, front_desk,
                                                                           order):
    client.force_login(front_desk)
    data = {"kind": "deposit", "amount": "100", "method": "cash", "request_key": "k1-1"}
    response = client.post(reverse("orders:payment", args=[order.pk]), data, **HTMX)
    assert response.status_code == 200
    html = _partial(response)
    assert 'data-testid="order-done">已登记收款。' in html
    assert "¥100.00" in html
    # the membership card, out of band (its points follow the payment)
    assert re.search(r'id="membership-summary"[^>]*hx-swap-oob="true"', html)
    # the new card's form has a one-time key of its own: the next payment is not the same one
    key = re.search(r'name="request_key" value="([^"]+)"', html)[1]
    assert key != "k1-1" and key.endswith(f"-{order.pk}")
    order.refresh_from_db()
    assert order.paid_total == 100


def test_a_payment_without_javascript_still_redirects(client, front_desk, order):
    client.force_login(front_desk)
    response = client.post(reverse("orders:payment", args=[order.pk]),
                           {"kind": "deposit", "amount": "100", "method": "cash"})
    assert response.status_code == 302


def test_a_refund_above_what_was_paid_comes_back_with_the_reason(client, front_desk, order):
    client.force_login(front_desk)
    response = client.post(reverse("orders:payment", args=[order.pk]),
                           {"kind": "refund", "amount": "100", "method": "cash"}, **HTMX)
    assert response.status_code == 409
    html = _partial(response)
    assert re.search(r'data-testid="error-amount">退款 ¥100(\.00)? 超过已收款', html)  # under it
    assert "hx-swap-oob" not in html
    assert not order.payments.exists()


# --- add a note ----------------------------------------------------------------------------------

def test_a_note_with_htmx_answers_with_the_notes_card(client, specialist, customer):
    client.force_login(specialist)
    response = client.post(reverse("orders:customer_note", args=[customer.pk]),
                           {"text": "喜欢森系风格"}, **HTMX)
    assert response.status_code == 200
    html = _partial(response)
    assert html.lstrip().startswith('<div class="card mb-3" id="customer-notes"')
    assert 'data-testid="note-done">备注已保存。' in html and "喜欢森系风格" in html
    assert re.search(r'<textarea name="text"[^>]*>\s*</textarea>', html)  # a fresh form
    assert customer.notes_log.get().text == "喜欢森系风格"


def test_an_empty_note_comes_back_with_the_reason_and_400(client, specialist, customer):
    client.force_login(specialist)
    response = client.post(reverse("orders:customer_note", args=[customer.pk]), {"text": " "},
                           **HTMX)
    assert response.status_code == 400
    assert "备注内容不能为空。" in _partial(response)
    assert not customer.notes_log.exists()


def test_a_note_without_javascript_still_redirects(client, specialist, customer):
    client.force_login(specialist)
    response = client.post(reverse("orders:customer_note", args=[customer.pk]), {"text": "备注"})
    assert response.status_code == 302 and response.url == reverse("orders:customer",
                                                                   args=[customer.pk])


# --- mark a follow-up done -----------------------------------------------------------------------

@pytest.fixture
def followup(order, specialist, front_desk) -> LateFollowUp:
    """The order's gown selection, booked for yesterday and not done: a late follow-up."""
    stage_complete(order=order, kind="order", by=front_desk) if order.current_stage == "order" \
        else None
    yesterday = timezone.now() - timedelta(days=1)
    stage_schedule(order=order, kind="gown", at=yesterday, by=front_desk,
                   now=yesterday - timedelta(hours=1))
    late_stages_find(now=timezone.now())
    return LateFollowUp.objects.get(stage__order=order)


@pytest.mark.clock
def test_a_follow_up_done_with_htmx_answers_with_its_row(client, specialist, followup):
    client.force_login(specialist)
    response = client.post(reverse("orders:followup_done", args=[followup.pk]),
                           {"note": "已改约下周六"}, **HTMX)
    assert response.status_code == 200
    html = _partial(response)
    assert html.lstrip().startswith(f'<tr id="followup-{followup.pk}"')
    assert 'data-testid="followup-result">已改约下周六<' in html and "<form" not in html
    followup.refresh_from_db()
    assert followup.status == "done"


@pytest.mark.clock
def test_a_follow_up_without_a_note_or_done_twice_is_refused_in_its_row(client, specialist,
                                                                        followup):
    client.force_login(specialist)
    url = reverse("orders:followup_done", args=[followup.pk])
    response = client.post(url, {"note": ""}, **HTMX)
    assert response.status_code == 400 and "请填写跟进结果。" in _partial(response)
    client.post(url, {"note": "已改约"}, **HTMX)
    response = client.post(url, {"note": "又一次"}, **HTMX)
    assert response.status_code == 409 and "该跟进已处理。" in _partial(response)


@pytest.mark.clock
def test_a_follow_up_without_javascript_still_redirects(client, specialist, followup):
    client.force_login(specialist)
    response = client.post(reverse("orders:followup_done", args=[followup.pk]), {"note": "已改约"})
    assert response.status_code == 302 and response.url == reverse("orders:followups")
