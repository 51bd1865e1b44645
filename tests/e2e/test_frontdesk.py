"""The front desk (门市) seen through a browser: booking a shoot with a requested photographer and
the conflict when the same photographer is booked twice at once, the week calendar; the flow card
and the cashier's hand-over with each person's credit; a rework the store manager approves;
production chasing up to the pickup SMS; a walk-out and its three follow-up calls."""
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from callbacks.models import CallbackPurpose, CallbackStatus, CallbackTask
from customers.models import Customer, Title
from frontdesk.models import (
    Booking,
    BookingChange,
    BookingStatus,
    FlowCard,
    PerformanceCredit,
    ProductionItem,
    ProductionStatus,
    Rework,
    ReworkStatus,
    ScheduleSettings,
    WalkOut,
    WalkOutReason,
    WalkOutStatus,
)
from frontdesk.schedule import booking_create
from orders.models import (
    Order,
    OrderStage,
    OrderStatus,
    Package,
    StageEvent,
    StageKind,
    StageStatus,
)
from orders.services import order_create, stage_complete
from staff.models import Role, Store, User
from studio.models import SmsMessage

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"  # the flash messages (not the order card's balance warning)
CENT = Decimal("0.01")


# --- state through the services, so every rule (stage order, ledger, schedule) holds ------------

def _front() -> User:
    return User.objects.get(username="frontdesk")


def _store_staff(role: str) -> User:
    """The first S01 person in `role` (the demo's photographers and makeup artists have no
    password: they are booked and credited, never signed in)."""
    return (User.objects.filter(staff_profile__role=role, staff_profile__store__code="S01",
                                staff_profile__is_active=True)
            .order_by("username").first())


def _order_at(name: str, mobile: str, kind: str, *, discount: Decimal = Decimal(0)) -> Order:
    """A new S01 customer's order of a package with gown selection, every stage before `kind`
    done (nothing booked at `kind`)."""
    customer = Customer.objects.create(store=Store.objects.get(code="S01"), name=name,
                                       mobile=mobile, title=Title.MS,
                                       assigned_to=User.objects.get(username="specialist1"))
    package = Package.objects.filter(includes_gown_selection=True).order_by("price", "pk").first()
    order = order_create(customer=customer, package=package, by=_front(), scene="森系花园景",
                         discount=discount)
    for earlier in package.stage_kinds[1:package.stage_kinds.index(kind)]:
        stage_complete(order=order, kind=earlier, by=_front(),
                       assigned_to=_store_staff(Role.PHOTOGRAPHER) if earlier == StageKind.SHOOT
                       else None)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.current_stage == kind
    return order


def _orders_waiting_for_their_shoot(count: int) -> list[Order]:
    """`count` active S01 orders at the shoot with no booked slot: the demo's first, then new."""
    booked = OrderStage.objects.filter(kind=StageKind.SHOOT, booking__status=BookingStatus.BOOKED)
    orders = list(Order.objects.filter(store__code="S01", status=OrderStatus.ACTIVE,
                                       current_stage=StageKind.SHOOT)
                  .exclude(pk__in=booked.values("order_id"))
                  .select_related("customer").order_by("pk")[:count])
    spare = [("林夏", "16600000101"), ("苏晚", "16600000102")]
    while len(orders) < count:
        name, mobile = spare[len(orders)]
        orders.append(_order_at(name, mobile, StageKind.SHOOT))
    return orders


def _local(on, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(on, time(hour, 0)))


def _expected_credits(order: Order) -> tuple[Decimal, Decimal, Decimal]:
    """(base, photographer, makeup): 60 % and 40 % of amount − discount, in cents."""
    base = order.amount - order.discount
    return (base, (base * Decimal("0.6")).quantize(CENT, ROUND_HALF_UP),
            (base * Decimal("0.4")).quantize(CENT, ROUND_HALF_UP))


def _credited_on(user: User, on) -> tuple[int, Decimal, Decimal]:
    """(cards, as photographer, as makeup artist) credited to `user` at S01 on day `on`."""
    credits = list(PerformanceCredit.objects.filter(user=user, on=on, flow_card__store__code="S01"))
    return (len({c.flow_card_id for c in credits}),
            sum((c.amount for c in credits if c.role == Role.PHOTOGRAPHER), start=Decimal(0)),
            sum((c.amount for c in credits if c.role == Role.MAKEUP_ARTIST), start=Decimal(0)))


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _open_desk_menu(page, item: str) -> None:
    """The navbar's 门市 dropdown, then one of its links."""
    page.get_by_role("button", name="门市").click()
    with page.expect_navigation():
        page.locator(".dropdown-menu.show").get_by_role("link", name=item).click()


def _switch_to(page, login, username: str):
    page.context.clear_cookies()
    return login(username)


# --- journeys --------------------------------------------------------------------------------------

@pytest.mark.clock
def test_front_desk_books_a_requested_photographer_is_refused_a_double_booking_and_sees_the_week(
        login, live_server, screenshot):
    first, second = _orders_waiting_for_their_shoot(2)
    photographer = _store_staff(Role.PHOTOGRAPHER)
    # Past the demo's bookings (the coming six days), so the week shows only what is booked here.
    shoot_day = timezone.localdate() + timedelta(days=10)
    starts, overlapping = _local(shoot_day, 10), _local(shoot_day, 12)
    assert not Booking.objects.filter(starts_at__date=shoot_day).exists()
    page = login("frontdesk")

    # 1. The first customer's shoot, with the photographer she asked for.
    page.goto(f"{live_server.url}/customers/{first.customer_id}/")
    with page.expect_navigation():
        page.locator(f'#order-{first.pk} li[data-stage="shoot"]').get_by_test_id("book-link").click()
    form = page.get_by_test_id("booking-form")
    form.get_by_label("开始时间").fill(f"{shoot_day:%Y-%m-%d}T10:00")
    form.get_by_label("摄影师", exact=True).select_option(label=photographer.display_name)
    form.get_by_label("客户指定人员").check()
    with page.expect_navigation():
        form.get_by_role("button", name="预约").click()

    assert (f"已为 {first.customer} 预约拍摄：{shoot_day:%Y-%m-%d} 10:00。"
            in page.locator(MESSAGES).inner_text())
    booking = Booking.objects.get(stage__order=first, stage__kind=StageKind.SHOOT)
    assert (booking.status, booking.photographer, booking.requested_by_customer) == (
        BookingStatus.BOOKED, photographer, True)
    assert (booking.starts_at, booking.ends_at) == (starts, starts + timedelta(hours=4))
    assert booking.created_by == _front()
    shoot = OrderStage.objects.get(order=first, kind=StageKind.SHOOT)
    assert (shoot.status, shoot.scheduled_at, shoot.assigned_to) == (
        StageStatus.SCHEDULED, starts, photographer)

    # 2. Another customer, the same photographer, 12:00 while the first shoot runs until 14:00.
    second_shoot = OrderStage.objects.get(order=second, kind=StageKind.SHOOT)
    stage_before = (second_shoot.status, second_shoot.scheduled_at, second_shoot.assigned_to_id)
    events_before = StageEvent.objects.filter(stage=second_shoot).count()
    changes_before = BookingChange.objects.count()
    page.goto(f"{live_server.url}/customers/{second.customer_id}/")
    with page.expect_navigation():
        page.locator(f'#order-{second.pk} li[data-stage="shoot"]').get_by_test_id("book-link").click()
    book_url = page.url
    form = page.get_by_test_id("booking-form")
    form.get_by_label("开始时间").fill(f"{shoot_day:%Y-%m-%d}T12:00")
    form.get_by_label("摄影师", exact=True).select_option(label=photographer.display_name)
    form.get_by_label("客户指定人员").check()
    with page.expect_navigation() as refused:
        form.get_by_role("button", name="预约").click()

    assert refused.value.status == 400
    assert page.url == book_url  # still the booking form, not the calendar
    error = page.get_by_test_id("error-photographer").inner_text()
    assert f"摄影师 {photographer.display_name}" in error
    assert f"{shoot_day:%Y-%m-%d} 10:00-14:00" in error
    assert str(first.customer) in error
    assert page.locator(f"{MESSAGES}.alert-success").count() == 0
    screenshot("frontdesk-booking-conflict")
    assert not Booking.objects.filter(stage=second_shoot).exists()
    assert Booking.objects.filter(photographer=photographer, starts_at__lt=overlapping
                                  + timedelta(hours=4), ends_at__gt=overlapping).count() == 1
    assert BookingChange.objects.count() == changes_before
    second_shoot.refresh_from_db()
    assert (second_shoot.status, second_shoot.scheduled_at, second_shoot.assigned_to_id) \
        == stage_before
    assert StageEvent.objects.filter(stage=second_shoot).count() == events_before

    # 3. The calendar of that week: the first booking on its day, nowhere else.
    with page.expect_navigation():
        page.get_by_test_id("nav-schedule").click()
    assert page.url.startswith(f"{live_server.url}/desk/schedule/")
    week = page.get_by_test_id("calendar-week")
    week_form = page.locator("form", has=page.get_by_label("日期", exact=True))
    week_form.get_by_label("日期", exact=True).fill(f"{shoot_day:%Y-%m-%d}")
    with page.expect_navigation():
        week_form.get_by_role("button", name="查看").click()
    monday = shoot_day - timedelta(days=shoot_day.weekday())
    assert [week.locator("thead th").nth(i).get_attribute("data-date") for i in range(7)] == [
        f"{monday + timedelta(days=i):%Y-%m-%d}" for i in range(7)]
    cards = week.locator(f'td[data-date="{shoot_day:%Y-%m-%d}"] [data-testid=booking]',
                         has_text=first.customer.name)
    assert cards.count() == 1
    assert cards.get_by_test_id("booking-customer").inner_text() == str(first.customer)
    assert cards.get_by_test_id("booking-photographer").inner_text() == photographer.display_name
    assert "10:00-14:00" in cards.inner_text() and "拍摄" in cards.inner_text()
    assert week.locator("[data-testid=booking]", has_text=first.customer.name).count() == 1
    assert week.locator("[data-testid=booking]", has_text=second.customer.name).count() == 0
    day_load = week.locator(f'th[data-date="{shoot_day:%Y-%m-%d}"]').get_by_test_id("day-load")
    assert day_load.inner_text() == "拍摄 1/8"
    screenshot("frontdesk-calendar-week")


@pytest.mark.clock
def test_flow_card_after_the_shoot_credits_photographer_and_makeup_artist_in_the_handover(
        login, live_server, screenshot):
    assert not ScheduleSettings.objects.filter(store__code="S01").exists()  # the 60/40 default
    order = _order_at("顾清禾", "16600000201", StageKind.SHOOT, discount=Decimal("200"))
    photographer, makeup = _store_staff(Role.PHOTOGRAPHER), _store_staff(Role.MAKEUP_ARTIST)
    # Shot yesterday 10:00-14:00: in the past and inside one day whatever the hour (three hours
    # before now, the slot crossed midnight every evening from 21:00 and was refused).
    starts = _local(timezone.localdate() - timedelta(days=1), 10)
    shoot = order.stages.get(kind=StageKind.SHOOT)
    booking_create(stage=shoot, starts_at=starts, by=_front(), photographer=photographer,
                   makeup_artist=makeup, now=starts - timedelta(days=2))
    stage_complete(order=order, kind=StageKind.SHOOT, by=_front())  # the shoot is done
    base, photo_credit, makeup_credit = _expected_credits(order)
    assert photo_credit + makeup_credit == base
    # The demo's flow cards may already credit these two today: the hand-over adds this one.
    today = timezone.localdate()
    before = {u: _credited_on(u, today) for u in (photographer, makeup)}
    day_total_before = sum(PerformanceCredit.objects.filter(on=today, flow_card__store__code="S01")
                           .values_list("amount", flat=True), start=Decimal(0))
    page = login("frontdesk")

    page.goto(f"{live_server.url}/customers/{order.customer_id}/")
    with page.expect_navigation():
        page.locator(f"#order-{order.pk}").get_by_test_id("flowcard-link").click()
    assert page.url == f"{live_server.url}/desk/orders/{order.pk}/flowcard/"
    assert page.get_by_test_id("shoot-status").inner_text() == "已完成"
    assert page.get_by_test_id("base").inner_text() == _yuan(base)
    form = page.get_by_test_id("flowcard-form")
    form.get_by_label("摄影师", exact=True).select_option(value=str(photographer.pk))
    form.get_by_label("化妆师", exact=True).select_option(value=str(makeup.pk))
    assert (f"摄影师 {_yuan(photo_credit)} · 化妆师 {_yuan(makeup_credit)}"
            in form.get_by_test_id("preview").inner_text())
    screenshot("frontdesk-flowcard-form")
    with page.expect_navigation():
        form.get_by_role("button", name="登记流程卡").click()

    assert page.url == f"{live_server.url}/customers/{order.customer_id}/#order-{order.pk}"
    assert (f"流程卡已登记，业绩：{photographer.display_name} {_yuan(photo_credit)}，"
            f"{makeup.display_name} {_yuan(makeup_credit)}。") in page.locator(MESSAGES).inner_text()
    assert page.locator(f"#order-{order.pk}").get_by_test_id("flowcard-link").count() == 0
    card = FlowCard.objects.get(order=order)
    assert (card.photographer, card.makeup_artist, card.amount, card.created_by) == (
        photographer, makeup, base, _front())
    assert card.on == timezone.localdate()
    assert dict(PerformanceCredit.objects.filter(flow_card=card).values_list("user", "amount")) == {
        photographer.pk: photo_credit, makeup.pk: makeup_credit}

    # The cashier's hand-over of the day lists the card and what each person earned.
    _open_desk_menu(page, "流程卡交班")
    assert page.url == f"{live_server.url}/desk/handover/"
    rows = page.locator("[data-testid=handover-cards] tbody tr", has_text=order.customer.name)
    assert rows.count() == 1
    cells = [c.strip() for c in rows.locator("td").all_inner_texts()]
    assert cells[0].startswith(f"#{order.pk}")
    assert cells[2] == _yuan(base)
    assert cells[3] == f"{photographer.display_name} {_yuan(photo_credit)}"
    assert cells[4] == f"{makeup.display_name} {_yuan(makeup_credit)}"
    totals = {
        row.locator("td").first.inner_text().strip(): [
            t.strip() for t in row.locator("td").all_inner_texts()[1:]]
        for row in page.locator("[data-testid=person-totals] tbody tr").all()}
    cards, as_photo, as_makeup = before[photographer]
    assert totals[photographer.display_name] == [
        str(cards + 1), _yuan(as_photo + photo_credit), _yuan(as_makeup),
        _yuan(as_photo + photo_credit + as_makeup)]
    cards, as_photo, as_makeup = before[makeup]
    assert totals[makeup.display_name] == [
        str(cards + 1), _yuan(as_photo), _yuan(as_makeup + makeup_credit),
        _yuan(as_photo + as_makeup + makeup_credit)]
    assert page.get_by_test_id("day-total").inner_text() == _yuan(day_total_before + base)
    screenshot("frontdesk-handover")


def test_front_desk_asks_for_a_rework_and_only_the_store_manager_approves_it(
        login, live_server, screenshot):
    order = _order_at("温如初", "16600000301", StageKind.SELECTION)  # the shoot is done
    manager = User.objects.get(username="manager")
    page = login("frontdesk")

    page.goto(f"{live_server.url}/customers/{order.customer_id}/")
    with page.expect_navigation():
        page.locator(f"#order-{order.pk}").get_by_test_id("rework-link").click()
    form = page.get_by_test_id("rework-form")
    form.get_by_label("返工内容").fill("重拍外景一组")
    form.get_by_label("返工原因").fill("外景逆光，客户不满意")
    with page.expect_navigation():
        form.get_by_role("button", name="提交返工申请").click()

    rework = Rework.objects.get(order=order)
    assert page.url == f"{live_server.url}/desk/reworks/{rework.pk}/"
    assert "返工申请已提交，等待店长审批。" in page.locator(MESSAGES).inner_text()
    assert page.get_by_test_id("rework-status").inner_text() == "待店长审批"
    assert page.get_by_test_id("rework-items").inner_text() == "重拍外景一组"
    assert page.get_by_test_id("decide-form").count() == 0
    assert page.get_by_role("button", name="批准返工").count() == 0
    assert "等待店长审批。" in page.locator("main").inner_text()
    screenshot("frontdesk-rework-requested")
    # Nor may the front desk approve it by posting the form's request.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(f"{live_server.url}/desk/reworks/{rework.pk}/decide/",
                                 form={"csrfmiddlewaretoken": token, "decision": "approve"})
    assert response.status == 403
    rework.refresh_from_db()
    assert (rework.status, rework.requested_by, rework.decided_by) == (
        ReworkStatus.REQUESTED, _front(), None)

    page = _switch_to(page, login, "manager")
    _open_desk_menu(page, "返工记录")
    row = page.locator("[data-testid=rework-table] tbody tr", has_text=order.customer.name)
    assert row.count() == 1 and "待店长审批" in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("link", name="重拍外景一组").click()
    decide = page.get_by_test_id("decide-form")
    decide.get_by_label("审批意见").fill("同意重拍，费用由门店承担")
    page.evaluate("window.__samePage = true")  # gone if the page were loaded again
    with page.expect_response(lambda r: r.url.endswith(f"/desk/reworks/{rework.pk}/decide/")):
        decide.get_by_role("button", name="批准返工").click()  # htmx: the record, in place

    page.get_by_test_id("rework-done").wait_for()
    assert page.get_by_test_id("rework-done").inner_text() == "已批准返工。"
    assert page.evaluate("window.__samePage === true")
    assert page.get_by_test_id("rework-status").inner_text() == "返工中"
    decision = page.get_by_test_id("rework-decision").inner_text()
    assert manager.display_name in decision and "批准" in decision
    assert page.get_by_test_id("decide-form").count() == 0
    screenshot("frontdesk-rework-approved")
    rework.refresh_from_db()
    assert (rework.status, rework.decided_by, rework.decision_note) == (
        ReworkStatus.APPROVED, manager, "同意重拍，费用由门店承担")


@pytest.mark.clock
def test_an_album_through_the_lab_and_its_check_queues_one_pickup_sms(login, live_server, screenshot):
    order = _order_at("宋知意", "16600000401", StageKind.PICKUP)  # the photos are selected
    customer = order.customer
    due_on = timezone.localdate() + timedelta(days=7)
    page = login("frontdesk")

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    with page.expect_navigation():
        page.locator(f"#order-{order.pk}").get_by_test_id("production-summary").get_by_role(
            "link").click()
    assert page.url == f"{live_server.url}/desk/production/orders/{order.pk}/"
    assert "未通知取件" in page.get_by_test_id("pickup-notice").inner_text()
    add = page.get_by_test_id("add-form")
    add.get_by_label("产品").select_option(label="相册")
    add.get_by_label("数量").fill("1")
    add.get_by_label("说明").fill("12 寸水晶相册")
    with page.expect_navigation():
        add.get_by_role("button", name="添加").click()
    assert "已添加制作产品。" in page.locator(MESSAGES).inner_text()
    item = page.get_by_test_id("production-item")
    assert item.count() == 1 and item.get_attribute("data-status") == ProductionStatus.PENDING

    item.get_by_label("预计到店").fill(f"{due_on:%Y-%m-%d}")
    with page.expect_navigation():
        item.get_by_role("button", name="送厂").click()
    assert "已送厂。" in page.locator(MESSAGES).inner_text()
    assert item.get_attribute("data-status") == ProductionStatus.SENT
    with page.expect_navigation():
        item.get_by_role("button", name="登记到店").click()
    assert "已登记到店。" in page.locator(MESSAGES).inner_text()
    assert item.get_attribute("data-status") == ProductionStatus.ARRIVED
    qc = item.get_by_test_id("qc-form")
    assert qc.get_by_label("清点数量").input_value() == "1"
    qc.get_by_label("合格", exact=True).check()
    with page.expect_navigation():
        qc.get_by_role("button", name="登记质检").click()

    assert "已登记质检。" in page.locator(MESSAGES).inner_text()
    assert item.get_attribute("data-status") == ProductionStatus.QC_PASSED
    assert "已通知取件" in page.get_by_test_id("pickup-notice").inner_text()
    screenshot("frontdesk-production-order")
    album = ProductionItem.objects.get(order=order)
    assert (album.status, album.due_on, album.qc_count, album.qc_by) == (
        ProductionStatus.QC_PASSED, due_on, 1, _front())
    sms = SmsMessage.objects.get(customer_id=customer.pk)
    assert (sms.purpose, sms.mobile, sms.dedupe_key) == (
        "production:pickup", customer.mobile, f"pickup:{order.pk}")

    page = _switch_to(page, login, "manager")
    with page.expect_navigation():
        page.get_by_role("link", name="短信发件箱").click()
    assert page.url == f"{live_server.url}/outbox/"
    rows = page.locator("[data-testid=outbox] tbody tr", has_text=str(customer))
    assert rows.count() == 1
    text = rows.inner_text()
    assert f"订单 #{order.pk}" in text and "欢迎您前来取件" in text
    assert f"{customer.mobile[:3]}****{customer.mobile[-4:]}" in text
    assert "取件通知" in text and "production:pickup" not in text
    screenshot("frontdesk-outbox")


@pytest.mark.clock
def test_front_desk_records_a_walk_out_with_three_follow_up_calls(login, live_server, screenshot):
    mobile = "16600000501"
    page = login("frontdesk")

    _open_desk_menu(page, "走单跟进")
    with page.expect_navigation():
        page.get_by_role("link", name="登记走单").first.click()
    assert page.url == f"{live_server.url}/desk/walkouts/new/"
    form = page.get_by_test_id("walkout-form")
    assert form.get_by_label("门店").count() == 0  # the front desk works in its own store
    form.get_by_label("客户姓名").fill("江映月")
    form.get_by_label("手机号").fill(mobile)
    form.get_by_label("流失原因").select_option(label="价格")
    form.get_by_label("说明", exact=True).fill("觉得韩式套系偏贵，想再比较")
    visited = form.get_by_label("到店时间").input_value()  # now, filled in by the form
    with page.expect_navigation():
        form.get_by_role("button", name="保存").click()

    walkout = WalkOut.objects.select_related("customer").get(customer__mobile=mobile)
    assert page.url == f"{live_server.url}/desk/walkouts/{walkout.pk}/"
    assert "已登记走单，一周内的跟进电话已安排。" in page.locator(MESSAGES).inner_text()
    assert page.get_by_test_id("walkout-status").inner_text() == "跟进中"
    assert (walkout.store.code, walkout.reason, walkout.status, walkout.consultant) == (
        "S01", WalkOutReason.PRICE, WalkOutStatus.FOLLOWING, _front())
    assert walkout.customer.name == "江映月" and walkout.customer.assigned_to is None
    assert f"{timezone.localtime(walkout.visited_at):%Y-%m-%dT%H:%M}" == visited

    calls = page.locator("[data-testid=walkout-followups] tbody tr")
    assert calls.count() == 3
    visit_day = timezone.localdate(walkout.visited_at)
    rows = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in calls.all()]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [r[1][:10] for r in rows] == [
        f"{visit_day + timedelta(days=d):%Y-%m-%d}" for d in (1, 3, 6)]
    assert {r[2] for r in rows} == {_front().display_name}
    assert {r[3] for r in rows} == {"待回访"}
    screenshot("frontdesk-walkout")
    tasks = CallbackTask.objects.filter(walkout=walkout).order_by("sequence")
    assert [(t.sequence, t.purpose, t.status, t.assigned_to) for t in tasks] == [
        (n, CallbackPurpose.WALKOUT, CallbackStatus.PENDING, _front()) for n in (1, 2, 3)]
