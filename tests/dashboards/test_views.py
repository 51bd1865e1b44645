"""The start page (工作台): each figure equals the rows of the list it links to."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from orders.models import LateFollowUp
from orders.services import (
    followup_resolve,
    late_stages_find,
    order_cancel,
    order_create,
    payment_record,
    stage_complete,
    stage_schedule,
)

pytestmark = pytest.mark.django_db


def _figure(html: str, testid: str) -> tuple[str, int]:
    """(href, value) of the stat card's figure marked data-testid=testid."""
    match = re.search(rf'href="([^"]+)" data-testid="{testid}">(\d+)</a>', html)
    assert match, testid
    return match.group(1).replace("&amp;", "&"), int(match.group(2))


def _rows(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.fixture
def orders(order, customer, package, front_desk):
    """Running orders owing (the fixture's and one paid in part), one picked up still owing (a
    completed order) and a cancelled one."""
    paid = order_create(customer=customer, package=package, by=front_desk)
    payment_record(order=paid, kind="deposit", amount=Decimal("1000"), method="cash",
                   received_by=front_desk)
    cancelled = order_create(customer=customer, package=package, by=front_desk)
    order_cancel(order=cancelled, by=front_desk, reason="客户改期取消")
    picked_up = order_create(customer=customer, package=package, by=front_desk)
    for kind in ("gown", "shoot", "selection", "pickup"):
        stage_complete(order=picked_up, kind=kind, by=front_desk,
                       picked_up_by="张三" if kind == "pickup" else "")
    picked_up.refresh_from_db()
    assert picked_up.status == "completed" and picked_up.balance_owed > 0
    return order, paid, cancelled, picked_up


def test_the_orders_figures_equal_the_lists_they_link_to(client, front_desk, orders):
    client.force_login(front_desk)
    html = client.get(reverse("home")).content.decode()
    for testid, expected in (("orders-active", 2), ("owing-orders", 3)):
        href, value = _figure(html, testid)
        assert value == expected == _rows(client, href), testid


def test_a_specialists_late_services_link_to_the_late_list_and_their_follow_ups_beside(
        client, specialist, front_desk, order):
    booked_at = timezone.now() + timedelta(hours=1)
    stage_schedule(order=order, kind="gown", at=booked_at, by=front_desk)
    late_stages_find(now=booked_at + timedelta(minutes=5))
    # A follow-up made: the service is still late, the follow-up no longer open.
    followup_resolve(followup=LateFollowUp.objects.get(), by=specialist, note="已改约下周六")
    client.force_login(specialist)
    with time_machine.travel(booked_at + timedelta(minutes=10)):
        html = client.get(reverse("home")).content.decode()
        href, value = _figure(html, "late-stages")
        assert href == reverse("orders:late") and value == 1 == _rows(client, href)
        followups = re.search(r'href="([^"]+)" data-testid="open-followups">(\d+)</a>', html)
        assert followups and int(followups.group(2)) == 0 == _rows(client, followups.group(1))


def test_the_targets_page_separates_the_upsell_lists_it_links_to(client, march, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:targets"), {"month": "2025-03"}).content.decode()
    # Two links, 礼服挑选 and 选片, read as two words: not "礼服挑选选片".
    assert re.search(r">礼服挑选</a><span[^>]*> · </span><a[^>]*>选片</a>", html)
