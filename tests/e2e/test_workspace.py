"""The customer-service workspace seen through a browser: the shoot list and its filter, recording a
stage on the customer page (and its refusal), the supervisor's balanced assignment, manual
reassignment, and a specialist kept out of a colleague's customer."""
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Customer, CustomerAssignment
from orders.models import (
    Order,
    OrderStage,
    OrderStatus,
    Package,
    StageEvent,
    StageKind,
    StageStatus,
)
from orders.services import order_create, stage_complete, stage_schedule
from staff.models import Role, Store, User

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"  # the flash messages (not the order card's balance warning)


# --- state through the services, so every rule (stage order, ledger) holds --------------------

def _customer(name: str, mobile: str, *, assigned_to: User | None, store_code: str = "S01") -> Customer:
    return Customer.objects.create(store=Store.objects.get(code=store_code), name=name,
                                   mobile=mobile, assigned_to=assigned_to)


def _order_waiting_at(customer: Customer, kind: str, *, location: str = "") -> Order:
    """An active order of a package with gown selection, every stage before `kind` done and
    `kind` booked three days ahead (with `location` when it is the shoot)."""
    front = User.objects.get(username="frontdesk")
    photographer = User.objects.filter(staff_profile__role=Role.PHOTOGRAPHER,
                                       staff_profile__store=customer.store).first()
    package = Package.objects.filter(includes_gown_selection=True).order_by("price").first()
    order = order_create(customer=customer, package=package, by=front, scene="森系花园景")
    for earlier in package.stage_kinds[1:package.stage_kinds.index(kind)]:
        is_shoot = earlier == StageKind.SHOOT
        stage_complete(order=order, kind=earlier, by=front,
                       assigned_to=photographer if is_shoot else None,
                       location="九溪烟树" if is_shoot else None)
    stage_schedule(order=order, kind=kind, at=timezone.now() + timedelta(days=3), by=front,
                   assigned_to=photographer if kind == StageKind.SHOOT else None,
                   location=location if kind == StageKind.SHOOT else None)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.current_stage == kind
    return order


def _open_shoots_of(user: User):
    return (OrderStage.objects.filter(kind=StageKind.SHOOT, order__customer__assigned_to=user)
            .exclude(status=StageStatus.DONE).exclude(order__status=OrderStatus.CANCELLED))


def _scheduled_shoot_of(specialist: User) -> OrderStage:
    """A shoot of `specialist`'s customer, booked at an outdoor location, whose order waits at the
    shoot (so the earlier stages are done). The demo's, if it has one; else one made now."""
    stage = (_open_shoots_of(specialist)
             .filter(status=StageStatus.SCHEDULED, order__current_stage=StageKind.SHOOT,
                     order__status=OrderStatus.ACTIVE)
             .exclude(location="").select_related("order__customer").order_by("pk").first())
    if stage is None:
        customer = _customer("林夏", "16600000001", assigned_to=specialist)
        order = _order_waiting_at(customer, StageKind.SHOOT, location="太子湾公园")
        stage = order.stages.select_related("order__customer").get(kind=StageKind.SHOOT)
    # Another open shoot at another place, so the filter has something to leave out.
    if not _open_shoots_of(specialist).exclude(location__icontains=stage.location).exists():
        _order_waiting_at(_customer("苏晚", "16600000002", assigned_to=specialist),
                          StageKind.SHOOT, location="千岛湖")
    return stage


def _order_waiting_at_selection(specialist: User) -> Order:
    order = (Order.objects.filter(customer__assigned_to=specialist, status=OrderStatus.ACTIVE,
                                  current_stage=StageKind.SELECTION)
             .select_related("customer").order_by("pk").first())
    if order is None:
        customer = _customer("邵一鸣", "16600000003", assigned_to=specialist)
        order = _order_waiting_at(customer, StageKind.SELECTION)
    return order


def _column(page, table: str, header: str) -> list[str]:
    """The texts of one column of a table, found by its header."""
    headers = [h.strip() for h in page.locator(f"{table} thead th").all_inner_texts()]
    index = headers.index(header) + 1
    return [t.strip() for t in page.locator(f"{table} tbody tr td:nth-child({index})").all_inner_texts()]


# --- journeys ----------------------------------------------------------------------------------

@pytest.mark.clock
def test_specialist_filters_shoots_by_location_and_records_the_shoot_done(login, live_server, screenshot):
    specialist = User.objects.get(username="specialist1")
    stage = _scheduled_shoot_of(specialist)
    order, customer, location = stage.order, stage.order.customer, stage.location
    other_places = list(_open_shoots_of(specialist).exclude(location__icontains=location)
                        .values_list("order__customer__name", flat=True))
    page = login("specialist1")

    page.get_by_role("button", name="服务阶段").click()
    with page.expect_navigation():
        page.locator(".dropdown-menu").get_by_role("link", name="拍摄客户").click()
    assert page.url == f"{live_server.url}/stages/shoot/"
    unfiltered = page.locator("[data-testid=stage-table] tbody").inner_text()
    assert customer.name in unfiltered
    assert all(name in unfiltered for name in other_places)

    page.locator("[data-testid=stage-filter]").get_by_label("外景点").fill(location)
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()

    assert "location=" in page.url
    locations = _column(page, "[data-testid=stage-table]", "外景点")
    expected = _open_shoots_of(specialist).filter(location__icontains=location).count()
    assert len(locations) == expected >= 1
    assert set(locations) == {location}
    table = page.locator("[data-testid=stage-table] tbody").inner_text()
    assert customer.name in table
    assert not any(name in table for name in other_places)
    screenshot("workspace-shoot-list-filtered")

    with page.expect_navigation():
        page.locator(f'[data-testid=stage-table] a[href="/customers/{customer.pk}/"]').click()
    assert page.url == f"{live_server.url}/customers/{customer.pk}/"
    assert customer.name in page.get_by_test_id("customer-name").inner_text()

    form = page.locator(f"#order-{order.pk} [data-testid=complete-form]")
    assert form.locator("select[name=kind]").input_value() == StageKind.SHOOT  # the current stage
    with page.expect_response(lambda r: r.url.endswith(f"/orders/{order.pk}/stages/complete/")):
        form.get_by_role("button", name="登记完成").click()  # htmx: the order's card, in place

    done = page.locator(f"#order-{order.pk}").get_by_test_id("order-done")
    done.wait_for()
    assert done.inner_text() == "已登记完成。"
    shoot_item = page.locator(f'#order-{order.pk} li[data-stage="shoot"]')
    assert shoot_item.get_by_test_id("stage-status").inner_text() == "已完成"
    screenshot("workspace-customer-recorded")
    stage.refresh_from_db()
    order.refresh_from_db()
    assert stage.status == StageStatus.DONE
    assert stage.completed_by == specialist
    assert stage.location == location  # the empty location box keeps the booked place
    assert order.current_stage == StageKind.SELECTION


@pytest.mark.clock
def test_recording_pickup_before_selection_is_refused_and_changes_nothing(login, live_server):
    specialist = User.objects.get(username="specialist1")
    order = _order_waiting_at_selection(specialist)
    stages_before = list(order.stages.order_by("sequence").values_list("kind", "status", "completed_by"))
    events_before = StageEvent.objects.filter(stage__order=order).count()
    page = login("specialist1")
    page.goto(f"{live_server.url}/customers/{order.customer_id}/")

    form = page.locator(f"#order-{order.pk} [data-testid=complete-form]")
    form.locator("select[name=kind]").select_option(StageKind.PICKUP)
    form.get_by_label("取件人").fill(order.customer.name)
    with page.expect_response(lambda r: r.url.endswith(f"/orders/{order.pk}/stages/complete/")) \
            as answer:
        form.get_by_role("button", name="登记完成").click()  # htmx: the card, with the refusal

    assert answer.value.status == 409
    assert page.url == f"{live_server.url}/customers/{order.customer_id}/"  # no page change
    errors = page.locator(f"#order-{order.pk} [data-testid=complete-form] [data-testid=form-errors]")
    errors.wait_for()
    error = errors.inner_text()
    assert "请先完成" in error
    assert "选片" in error
    assert page.locator(f"#order-{order.pk}").get_by_test_id("order-done").count() == 0
    assert page.locator(f"{MESSAGES}.alert-success").count() == 0
    pickup_item = page.locator(f'#order-{order.pk} li[data-stage="pickup"]')
    assert pickup_item.get_by_test_id("stage-status").inner_text() != "已完成"
    assert list(order.stages.order_by("sequence").values_list("kind", "status", "completed_by")) \
        == stages_before
    assert StageEvent.objects.filter(stage__order=order).count() == events_before
    order.refresh_from_db()
    assert (order.status, order.current_stage) == (OrderStatus.ACTIVE, StageKind.SELECTION)


def test_supervisor_adjusts_and_applies_the_balanced_assignment(login, live_server, screenshot):
    # Two more newcomers with the demo's one, so the proposal has rows to spread and to adjust.
    _customer("柏雨桐", "16600000011", assigned_to=None)
    _customer("石安然", "16600000012", assigned_to=None)
    s01_waiting = list(Customer.objects.filter(store__code="S01", assigned_to__isnull=True)
                       .order_by("pk"))
    s02_waiting = Customer.objects.filter(store__code="S02", assigned_to__isnull=True).count()
    supervisor = User.objects.get(username="supervisor")
    specialists = {u.pk: u for u in User.objects.filter(
        staff_profile__role=Role.SPECIALIST, staff_profile__store__code="S01")}
    assert len(specialists) == 2
    page = login("supervisor")

    with page.expect_navigation():
        page.get_by_role("button", name="客户管理").click()  # the navbar dropdown
        page.get_by_role("link", name="客服分配").click()
    assert page.url == f"{live_server.url}/assignment/"
    assert int(page.get_by_test_id("unassigned-count").inner_text()) == len(s01_waiting) > 0

    with page.expect_navigation():
        page.get_by_role("button", name="一键生成均衡分配方案").click()

    rows = page.locator("[data-testid=proposal] tbody tr")
    assert rows.count() == len(s01_waiting)
    assert [t.strip() for t in rows.locator("td:first-child").all_inner_texts()] == [
        str(c) for c in s01_waiting]
    proposed = {c.pk: int(page.input_value(f"select[name=c_{c.pk}]")) for c in s01_waiting}
    assert set(proposed.values()) <= set(specialists)
    added = [int(t.strip("+")) for t in page.get_by_test_id("added").all_inner_texts()]
    assert sum(added) == len(s01_waiting)
    screenshot("workspace-assignment-proposal")

    adjusted = s01_waiting[0]
    other = next(pk for pk in specialists if pk != proposed[adjusted.pk])
    page.select_option(f"select[name=c_{adjusted.pk}]", value=str(other))
    chosen = {**proposed, adjusted.pk: other}
    with page.expect_navigation():
        page.get_by_role("button", name="确认分配").click()

    assert f"已分配 {len(s01_waiting)} 位客户。" in page.locator(MESSAGES).inner_text()
    assert page.get_by_test_id("unassigned-count").inner_text() == "0"
    assert not Customer.objects.filter(store__code="S01", assigned_to__isnull=True).exists()
    assert Customer.objects.filter(store__code="S02", assigned_to__isnull=True).count() == s02_waiting
    for customer in s01_waiting:
        customer.refresh_from_db()
        assert customer.assigned_to_id == chosen[customer.pk]
        trace = CustomerAssignment.objects.get(customer=customer)
        assert (trace.from_user_id, trace.to_user_id, trace.by) == (None, chosen[customer.pk], supervisor)
        # The reason, and what moved along with the customer (their open callbacks: issue 17).
        assert trace.reason.startswith("主管均衡分配")


def test_specialist_gets_the_404_page_for_a_colleagues_customer(login, live_server):
    colleagues = Customer.objects.filter(assigned_to__username="specialist2").order_by("pk").first()
    own = Customer.objects.filter(assigned_to__username="specialist1").order_by("pk").first()
    page = login("specialist1")

    response = page.goto(f"{live_server.url}/customers/{colleagues.pk}/")

    assert response.status == 404
    assert page.get_by_test_id("customer-name").count() == 0
    assert colleagues.name not in page.content()
    response = page.goto(f"{live_server.url}/customers/{own.pk}/")  # the same page, own customer
    assert response.status == 200
    assert own.name in page.get_by_test_id("customer-name").inner_text()


def test_supervisor_hands_two_ticked_customers_to_a_specialist(login, live_server):
    _customer("柏雨桐", "16600000011", assigned_to=None)  # a second newcomer besides the demo's one
    # The demo's newcomer and walk-in prospects (走单) wait too.
    waiting = list(Customer.objects.filter(store__code="S01", assigned_to__isnull=True))
    assert len(waiting) >= 2
    target = User.objects.get(username="specialist2")
    page = login("supervisor")
    page.goto(f"{live_server.url}/customers/?unassigned=1")

    boxes = page.locator("tbody input[type=checkbox][name=customer]")
    assert boxes.count() == len(waiting)
    for box in boxes.all():
        box.check()
    page.select_option("select[name=to]", label=target.display_name)
    with page.expect_navigation():
        page.get_by_role("button", name="转交").click()

    assert (f"已将 {len(waiting)} 位客户转给 {target.display_name}"
            in page.locator(MESSAGES).inner_text())
    assert page.url == f"{live_server.url}/customers/?unassigned=1"
    assert "没有找到客户。" in page.locator("tbody").inner_text()
    for customer in waiting:
        customer.refresh_from_db()
        assert customer.assigned_to == target
        assert CustomerAssignment.objects.get(customer=customer).reason.startswith("手动分配")


def test_the_general_managers_menu_stays_on_one_line_and_folds_on_a_narrow_screen(login):
    page = login("gm")  # the longest menu: every item
    nav = page.locator("nav.navbar")
    assert nav.bounding_box()["height"] < 64  # one row at 1366: no item broken over two lines
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert page.get_by_role("button", name="退出").is_visible()
    page.set_viewport_size({"width": 1100, "height": 900})
    assert nav.bounding_box()["height"] < 64 and page.locator(".navbar-toggler").is_visible()
    page.locator(".navbar-toggler").click()
    page.get_by_role("link", name="投诉处理").wait_for(state="visible")
