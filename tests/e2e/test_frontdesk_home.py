"""The front desk's home seen through a browser (issue 17 item 15): signed in, the desk sees its
four lists for the day (bookings today and tomorrow, customers to remind, walk-outs to call,
balances due at today's pickups) on a desktop and on a phone, and reminds a customer from there.

The rows are made here through the services (the demo seed is only the studio and its logins),
at fixed times of the local day: nothing depends on the hour the test runs."""
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from callbacks.models import CallbackPurpose
from customers.models import Customer
from frontdesk.models import WalkOut, WalkOutReason
from frontdesk.schedule import booking_create
from orders.models import Order, Package, StageKind
from orders.services import order_create, stage_schedule
from staff.models import Store, User
from tests.callbacks.factories import CallbackTaskFactory
from tests.clock import local_at

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SECTIONS = ["desk-bookings-today", "desk-bookings-tomorrow", "desk-reminders", "desk-walkouts",
            "desk-pickups"]


def _mobiles() -> Iterator[str]:
    yield from (f"166{n:08d}" for n in range(90000001, 90000100))


def _order(store: Store, front: User, name: str, mobile: str) -> Order:
    package = next(p for p in Package.objects.order_by("price")
                   if StageKind.SELECTION in p.stage_kinds)
    customer = Customer.objects.create(store=store, name=name, mobile=mobile)
    return order_create(customer=customer, package=package, by=front)


@pytest.fixture
def desk_rows(login) -> dict:
    """One row in each section of 人民路店's front desk, named so the page can be read."""
    store, front = Store.objects.get(code="S01"), User.objects.get(username="frontdesk")
    mobiles = _mobiles()
    before = local_at("09:00", days=-3)
    rows = {}
    for key, days in (("today", 0), ("tomorrow", 1)):
        order = _order(store, front, f"晨曦{'今' if days == 0 else '明'}约", next(mobiles))
        rows[key] = booking_create(stage=order.stages.get(kind=StageKind.SELECTION),
                                   starts_at=local_at("07:00", days=days),
                                   ends_at=local_at("07:30", days=days), by=front, now=before)
    tomorrow = rows["tomorrow"]
    rows["reminder"] = CallbackTaskFactory(
        customer=tomorrow.stage.order.customer, purpose=CallbackPurpose.REMINDER,
        stage=tomorrow.stage, triggered_at=before, due_at=local_at("08:00", days=-1),
        assigned_to=front)
    walkout = WalkOut.objects.create(
        store=store, customer=Customer.objects.create(store=store, name="晨曦走单",
                                                      mobile=next(mobiles)),
        visited_at=local_at("15:00", days=-2), reason=WalkOutReason.PRICE, consultant=front)
    rows["walkout"] = CallbackTaskFactory(
        customer=walkout.customer, purpose=CallbackPurpose.WALKOUT, walkout=walkout,
        triggered_at=walkout.visited_at, due_at=local_at("08:00", days=-1), assigned_to=front)
    pickup = _order(store, front, "晨曦取件", next(mobiles))
    stage_schedule(order=pickup, kind=StageKind.PICKUP, at=local_at("07:30"), by=front,
                   now=before)
    rows["pickup"] = pickup
    return rows


def _sees_the_sections(page: Page) -> None:
    for testid, name in zip(SECTIONS, ["晨曦今约", "晨曦明约", "晨曦明约", "晨曦走单", "晨曦取件"],
                            strict=True):
        section = page.get_by_test_id(testid)
        expect(section).to_be_visible()
        expect(section.locator("tbody")).to_contain_text(name)
        count = section.get_by_test_id(f"{testid}-count")
        expect(count).to_be_visible()
        rows = section.locator("tbody tr").count()
        assert int(count.inner_text()) >= 1 and rows >= 1
        if int(count.inner_text()) <= 20:  # else the first 20 and 全部
            assert rows == int(count.inner_text())


def test_front_desk_sees_its_workspace_on_desktop_and_phone_and_reminds_a_customer(
        login, live_server, desk_rows, screenshot):
    page = login("frontdesk")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("desk-home")).to_be_visible()
    _sees_the_sections(page)
    pickups = page.get_by_test_id("desk-pickups")
    expect(pickups.get_by_test_id("take-payment").first).to_be_visible()
    expect(page.get_by_test_id("desk-walkouts").get_by_test_id("walkout-sale").first).to_be_visible()
    screenshot("frontdesk-home-1366")

    page.set_viewport_size(PHONE)
    page.reload()
    _sees_the_sections(page)
    # Nothing wider than the phone: the tables scroll inside their own boxes.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("frontdesk-home-390")

    page.set_viewport_size(DESKTOP)
    reminder = desk_rows["reminder"]
    row = page.get_by_test_id("desk-reminders").locator("tr", has_text="晨曦明约")
    with page.expect_navigation():
        row.get_by_test_id("remind").click()
    assert f"/callbacks/{reminder.pk}/" in page.url
    expect(page.locator("main")).to_contain_text("晨曦明约")
    form = page.get_by_test_id("record-form")
    form.get_by_label("已接通").check()
    form.get_by_label("满意度").select_option("satisfied")
    with page.expect_navigation():
        form.get_by_role("button", name="保存回访记录").click()
    # Back on the desk's home, the customer reminded is off the list.
    assert page.url == f"{live_server.url}/"
    expect(page.locator("main > [role=alert]").first).to_contain_text("回访记录已保存。")
    expect(page.get_by_test_id("desk-reminders")).not_to_contain_text("晨曦明约")
    reminder.refresh_from_db()
    assert reminder.status == "done"
