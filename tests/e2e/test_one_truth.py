"""Issue 17 seen through a browser: a callback follows its customer when the supervisor hands the
customer to another specialist (item 1), and a shoot recorded done earlier than booked asks for
confirmation, then shows on the calendar when it happened (item 11). Screenshots at 1366 and
390 px wide."""
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from callbacks.models import CallbackStatus, CallbackTask
from customers.models import ContactTime, Customer, Title
from frontdesk.models import Booking, BookingStatus
from frontdesk.schedule import booking_create
from orders.models import Package, StageKind, StageStatus
from orders.services import order_create, stage_complete
from staff.models import Store, User

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"


def _customer(name: str, mobile: str, specialist: User) -> Customer:
    return Customer.objects.create(
        store=Store.objects.get(code="S01"), name=name, mobile=mobile, title=Title.MS,
        preferred_contact_time=ContactTime.ANY, assigned_to=specialist)


def _switch_to(page, login, username: str):
    page.context.clear_cookies()
    return login(username)


def _both_widths(page, screenshot, name: str) -> None:
    screenshot(f"{name}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(f"{name}-390")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_customer_handed_to_another_specialist_takes_her_open_callback_along(
        page, live_server, login, screenshot):
    first, second = (User.objects.get(username=u) for u in ("specialist1", "specialist2"))
    customer = _customer("欧阳静怡", "16698765432", first)
    package = Package.objects.filter(includes_gown_selection=True).order_by("price", "pk").first()
    front = User.objects.get(username="frontdesk")
    served_at = timezone.now() - timedelta(days=1)
    order = order_create(customer=customer, package=package, by=front,
                         at=served_at - timedelta(days=10))
    stage = stage_complete(order=order, kind=StageKind.GOWN, by=front, at=served_at)
    task = CallbackTask.objects.get(stage=stage)
    assert (task.status, task.assigned_to) == (CallbackStatus.PENDING, first)

    login("supervisor")
    page.goto(f"{live_server.url}/customers/?q=欧阳静怡")
    page.locator(f"input[name=customer][value='{customer.pk}']").check()
    page.locator("select[name=to]").select_option(str(second.pk))
    page.get_by_role("button", name="转交").click()
    page.wait_for_load_state()
    assert "已将 1 位客户转给" in page.locator(MESSAGES).first.inner_text()
    task.refresh_from_db()
    assert task.assigned_to == second  # moved with the customer, in the same transaction

    _switch_to(page, login, "specialist2")
    page.goto(f"{live_server.url}/callbacks/?view=all")
    row = page.locator("tr", has_text="欧阳静怡").first
    assert row.is_visible()
    _both_widths(page, screenshot, "issue17-callback-follows-customer")
    # Her file opens for the specialist who now holds her callback (it answered 404 before).
    response = page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert response.status == 200
    assert page.get_by_text("欧阳静怡").first.is_visible()

    _switch_to(page, login, "specialist1")
    page.goto(f"{live_server.url}/callbacks/?view=all")
    assert page.locator("tr", has_text="欧阳静怡").count() == 0


def test_a_shoot_done_before_its_booking_is_confirmed_and_moves_on_the_calendar(
        page, live_server, login, screenshot):
    front = User.objects.get(username="frontdesk")
    photographer = User.objects.get(username="s1_photo1")
    customer = _customer("司马婉清", "16687654321", User.objects.get(username="specialist1"))
    package = Package.objects.filter(includes_gown_selection=True).order_by("price", "pk").first()
    order = order_create(customer=customer, package=package, by=front)
    stage_complete(order=order, kind=StageKind.GOWN, by=front)
    booked_day = timezone.localdate() + timedelta(days=3)
    starts = timezone.make_aware(datetime.combine(booked_day, time(14, 0)))
    booking = booking_create(stage=order.stages.get(kind=StageKind.SHOOT), starts_at=starts,
                             ends_at=starts + timedelta(hours=4), by=front,
                             photographer=photographer)

    login("frontdesk")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    form = page.get_by_test_id("complete-form").first
    form.locator("select[name=kind]").select_option(StageKind.SHOOT)
    form.get_by_role("button", name="登记完成").click()
    refused = page.get_by_test_id("complete-form").first
    refused.get_by_text("与档期不一致").wait_for()
    assert f"预约 {booked_day:%Y-%m-%d} 14:00" in refused.inner_text()
    assert order.stages.get(kind=StageKind.SHOOT).status == StageStatus.SCHEDULED
    _both_widths(page, screenshot, "issue17-early-shoot-asks")

    refused = page.get_by_test_id("complete-form").first
    refused.locator("select[name=kind]").select_option(StageKind.SHOOT)
    refused.get_by_label("确认按实际情况更新").check()
    refused.get_by_role("button", name="登记完成").click()
    page.get_by_text("已登记完成").first.wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.DONE
    assert timezone.localdate(booking.starts_at) == timezone.localdate()

    # Today's calendar shows the shoot in its photographer's column; the booked day is free.
    page.goto(f"{live_server.url}/desk/schedule/?view=day")
    day = page.get_by_test_id("calendar-day")
    assert "司马婉清" in day.inner_text()
    _both_widths(page, screenshot, "issue17-early-shoot-calendar")
    page.goto(f"{live_server.url}/desk/schedule/?view=day&date={booked_day:%Y-%m-%d}")
    assert "司马婉清" not in page.get_by_test_id("calendar-day").inner_text()
    assert Booking.objects.filter(stage__order=order, starts_at__date__gte=booked_day).count() == 0
