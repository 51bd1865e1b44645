"""The front desk's home is its workspace (issue 17 item 15): today's and tomorrow's bookings,
the customers to remind, the walk-outs to call today and the balances due at today's pickups,
each the rows of its full list, scoped to the desk's store, in a fixed number of queries.

The clock is fixed: 2026-03-10 10:00 in Shanghai (DAY). All times are local.
"""
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from callbacks.models import CallbackPurpose, CallbackStatus
from dashboards.desk import DESK_ROWS
from frontdesk.models import WalkOut, WalkOutReason
from frontdesk.schedule import booking_cancel, booking_create
from orders.models import PaymentKind, StageKind
from orders.services import order_cancel, order_create, payment_record, stage_schedule
from staff.models import Role
from tests.callbacks.factories import CallbackTaskFactory
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)
NOW = datetime.combine(DAY, time(10, 0), tzinfo=SHANGHAI)
BEFORE = NOW - timedelta(days=20)  # when the rows were booked


def at(days: int, hm: str) -> datetime:
    return datetime.combine(DAY + timedelta(days=days), time.fromisoformat(hm), tzinfo=SHANGHAI)


_mobiles = iter(range(13800000000, 13900000000))


def _order(store, package, by, name: str):
    customer = CustomerFactory(store=store, name=name, mobile=str(next(_mobiles)))
    return order_create(customer=customer, package=package, by=by, at=BEFORE)


def _booking(store, package, by, name: str, kind: str, starts_at: datetime):
    order = _order(store, package, by, name)
    midnight = datetime.combine(starts_at.date() + timedelta(days=1), time(), tzinfo=SHANGHAI)
    return booking_create(stage=order.stages.get(kind=kind), starts_at=starts_at, by=by,
                          ends_at=min(starts_at + timedelta(minutes=30), midnight), now=BEFORE)


def _call(customer, purpose: str, due_at: datetime, by, **subject):
    return CallbackTaskFactory(customer=customer, purpose=purpose, due_at=due_at,
                               triggered_at=BEFORE, assigned_to=by, **subject)


def _walkout(store, by, name: str, visited_at: datetime) -> WalkOut:
    customer = CustomerFactory(store=store, name=name, mobile=str(next(_mobiles)))
    return WalkOut.objects.create(store=store, customer=customer, visited_at=visited_at,
                                  reason=WalkOutReason.PRICE, consultant=by)


def _pickup(store, package, by, name: str, scheduled_at: datetime, *, paid: bool = False):
    order = _order(store, package, by, name)
    stage_schedule(order=order, kind=StageKind.PICKUP, at=scheduled_at, by=by, now=BEFORE)
    if paid:
        order.refresh_from_db()
        payment_record(order=order, kind=PaymentKind.BALANCE, amount=order.balance_owed,
                       received_by=by, paid_at=BEFORE)
    return order


@pytest.fixture
def desk(staff_of, other_store):
    """The front desk of 人民路店 and a colleague at 滨江店."""
    front = staff_of(Role.FRONT_DESK, user__username="frontdesk").user
    other = staff_of(Role.FRONT_DESK, other_store, user__username="frontdesk2").user
    return front, other


@pytest.fixture
def studio(store, other_store, package, desk, manager, time_machine):
    """One row of each kind that belongs in a section and its near misses, by name."""
    time_machine.move_to(BEFORE, tick=False)
    front, other = desk
    b = {}
    b["today_morning"] = _booking(store, package, front, "早场", StageKind.SHOOT, at(0, "09:00"))
    b["today_2330"] = _booking(store, package, front, "夜场", StageKind.SELECTION, at(0, "23:30"))
    b["tomorrow_0010"] = _booking(store, package, front, "零点", StageKind.GOWN, at(1, "00:10"))
    b["tomorrow_shoot"] = _booking(store, package, front, "明拍", StageKind.SHOOT, at(1, "14:00"))
    cancelled = _booking(store, package, front, "取消", StageKind.SHOOT, at(0, "15:00"))
    booking_cancel(booking=cancelled, by=front, reason="客户改期")
    _booking(store, package, front, "昨晚", StageKind.SHOOT, at(-1, "23:50"))
    _booking(store, package, front, "后天", StageKind.SHOOT, at(2, "00:10"))
    _booking(other_store, package, other, "别店今", StageKind.SHOOT, at(0, "11:00"))
    _booking(other_store, package, other, "别店明", StageKind.SHOOT, at(1, "11:00"))

    c = {}
    shoot = b["tomorrow_shoot"]
    c["remind_today"] = _call(shoot.stage.order.customer, CallbackPurpose.REMINDER,
                              at(0, "20:00"), front, stage=shoot.stage)
    c["remind_late"] = _call(b["today_2330"].stage.order.customer, CallbackPurpose.REMINDER,
                             at(-1, "21:00"), front, stage=b["today_2330"].stage)
    done = _call(b["tomorrow_0010"].stage.order.customer, CallbackPurpose.REMINDER,
                 at(0, "20:00"), front, stage=b["tomorrow_0010"].stage)
    done.status = CallbackStatus.DONE
    done.save()
    far = _booking(store, package, front, "下周", StageKind.SHOOT, at(7, "10:00"))
    _call(far.stage.order.customer, CallbackPurpose.REMINDER, at(1, "20:00"), front,
          stage=far.stage)  # due tomorrow: not today's
    _call(far.stage.order.customer, CallbackPurpose.GREETING, at(0, "18:00"), front,
          stage=far.stage)  # a greeting, not a reminder
    elsewhere = _booking(other_store, package, other, "别店提醒", StageKind.SHOOT, at(1, "09:00"))
    _call(elsewhere.stage.order.customer, CallbackPurpose.REMINDER, at(0, "20:00"), other,
          stage=elsewhere.stage)

    w_today = _walkout(store, front, "走单甲", at(-1, "15:00"))
    c["walkout_today"] = _call(w_today.customer, CallbackPurpose.WALKOUT, at(0, "20:00"), front,
                               walkout=w_today, sequence=1)
    w_late = _walkout(store, front, "走单乙", at(-5, "15:00"))
    c["walkout_late"] = _call(w_late.customer, CallbackPurpose.WALKOUT, at(-2, "20:00"), front,
                              walkout=w_late, sequence=2)
    _call(w_late.customer, CallbackPurpose.WALKOUT, at(1, "20:00"), front, walkout=w_late,
          sequence=3)  # the next call: the day after tomorrow's work
    w_done = _walkout(store, front, "走单丙", at(-1, "11:00"))
    called = _call(w_done.customer, CallbackPurpose.WALKOUT, at(0, "20:00"), front,
                   walkout=w_done, sequence=1)
    called.status = CallbackStatus.DONE
    called.save()
    w_other = _walkout(other_store, other, "别店走单", at(-1, "15:00"))
    _call(w_other.customer, CallbackPurpose.WALKOUT, at(0, "20:00"), other, walkout=w_other,
          sequence=1)

    p = {}
    p["owing"] = _pickup(store, package, front, "取件欠", at(0, "15:00"))
    p["owing_late"] = _pickup(store, package, front, "取件晚", at(0, "23:30"))
    _pickup(store, package, front, "取件清", at(0, "16:00"), paid=True)
    _pickup(store, package, front, "取件明", at(1, "00:10"))
    gone = _pickup(store, package, front, "取件消", at(0, "17:00"))
    order_cancel(order=gone, by=manager, reason="客户退单")
    _pickup(other_store, package, other, "别店取件", at(0, "15:00"))
    time_machine.move_to(NOW, tick=False)
    return {"bookings": b, "calls": c, "pickups": p}


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def _names(section) -> list[str]:
    """The customers of a bookings section's rows, as the table shows them (name and title)."""
    assert [row.cells[1] for row in section.table_rows] == [
        str(b.stage.order.customer) for b in section.rows]
    return [b.stage.order.customer.name for b in section.rows]


def test_each_section_shows_exactly_its_rows(client, desk, studio):
    desk_ = _home(client, desk[0]).context["desk"]
    assert _names(desk_["today"]) == ["早场", "夜场"]  # 23:30 is today's, cancelled is not
    assert _names(desk_["tomorrow"]) == ["零点", "明拍"]  # 00:10 the next day is tomorrow's
    assert [t.pk for t in desk_["reminders"].rows] == [studio["calls"]["remind_late"].pk,
                                                       studio["calls"]["remind_today"].pk]
    assert [t.pk for t in desk_["walkouts"].rows] == [studio["calls"]["walkout_late"].pk,
                                                      studio["calls"]["walkout_today"].pk]
    assert [s.order_id for s in desk_["pickups"].rows] == [studio["pickups"]["owing"].pk,
                                                           studio["pickups"]["owing_late"].pk]
    assert desk_["pickups"].total == 2 * studio["pickups"]["owing"].balance_owed


def test_each_count_equals_its_rows_and_the_rows_of_its_lists(client, desk, studio):
    response = _home(client, desk[0])
    html = response.content.decode()
    for section in response.context["desk"].values():
        assert section.count == len(section.rows) == len(section.table_rows)
        shown = re.search(rf'data-testid="desk-{section.key}-count">(\d+)<', html).group(1)
        assert int(shown) == section.count
        if section.key.startswith("bookings"):
            continue  # the day sheet: every booking of the day, done ones too
        listed = 0
        for link in section.links:
            page = client.get(link.href).context["page"]
            assert page.paginator.count == link.count
            listed += link.count
        assert listed == section.count


def test_the_pickup_list_behind_the_section_holds_the_same_orders(client, desk, studio):
    section = _home(client, desk[0]).context["desk"]["pickups"]
    response = client.get(section.links[0].href)
    assert {s.order_id for s in response.context["page"].object_list} == {
        s.order_id for s in section.rows}


def test_rows_link_to_their_pages_and_actions(client, desk, studio):
    html = _home(client, desk[0]).content.decode()
    booking = studio["bookings"]["today_2330"]
    assert reverse("frontdesk:booking", args=[booking.pk]) in html
    assert reverse("orders:customer", args=[booking.stage.order.customer_id]) in html
    assert reverse("callbacks:call", args=[studio["calls"]["remind_today"].pk]) in html
    walkout_call = studio["calls"]["walkout_late"]
    assert reverse("callbacks:call", args=[walkout_call.pk]) in html
    assert f"{reverse('frontdesk:order_create')}?walkout={walkout_call.walkout_id}" in html
    order = studio["pickups"]["owing"]
    assert f"{reverse('orders:customer', args=[order.customer_id])}#order-{order.pk}" in html
    assert "¥5,999.00" in html
    # The front desk sees full mobiles (customers.view_full_mobile).
    assert order.customer.mobile in html


def test_empty_sections_say_so(client, desk, time_machine):
    time_machine.move_to(NOW, tick=False)
    html = _home(client, desk[0]).content.decode()
    for words in ("今天没有预约。", "明天没有预约。", "没有待提醒的客户", "今天没有需要回访的流失客户。",
                  "今天取件的客户都已付清。"):
        assert words in html


def test_the_reminder_is_made_from_the_home_page(client, desk, studio):
    task = studio["calls"]["remind_today"]
    html = _home(client, desk[0]).content.decode()
    call = re.search(r'href="([^"]+)" data-testid="remind"', html.split(
        'data-testid="desk-reminders-table"')[1]).group(1).replace("&amp;", "&")
    assert call.startswith(reverse("callbacks:call", args=[studio["calls"]["remind_late"].pk]))
    call = call.replace(f"/{studio['calls']['remind_late'].pk}/", f"/{task.pk}/")
    assert client.get(call).status_code == 200
    response = client.post(call, {"channel": "phone", "reached": "yes",
                                  "satisfaction": "satisfied", "comments": "明天准时到"})
    assert response.status_code == 302 and response.url == reverse("home")  # back to the desk
    task.refresh_from_db()
    assert task.status == CallbackStatus.DONE
    after = client.get(reverse("home")).context["desk"]["reminders"]
    assert [t.pk for t in after.rows] == [studio["calls"]["remind_late"].pk]
    assert after.count == 1


def _more(store, package, front, n: int, time_machine) -> None:
    """n more rows in every section."""
    time_machine.move_to(BEFORE, tick=False)
    for i in range(n):
        today = _booking(store, package, front, f"今{i}", StageKind.SELECTION,
                         at(0, f"{11 + i % 12:02d}:{i // 12 * 10:02d}"))
        tomorrow = _booking(store, package, front, f"明{i}", StageKind.SELECTION,
                            at(1, f"{11 + i % 12:02d}:{i // 12 * 10:02d}"))
        _call(tomorrow.stage.order.customer, CallbackPurpose.REMINDER, at(0, "20:00"), front,
              stage=tomorrow.stage)
        _call(today.stage.order.customer, CallbackPurpose.REMINDER, at(-1, "20:00"), front,
              stage=today.stage)
        walkout = _walkout(store, front, f"走{i}", at(-1, "15:00"))
        _call(walkout.customer, CallbackPurpose.WALKOUT, at(0, "20:00"), front, walkout=walkout,
              sequence=1)
        _pickup(store, package, front, f"取{i}", at(0, "18:00"))
    time_machine.move_to(NOW, tick=False)


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_the_home_page_runs_the_same_queries_for_1_or_10_rows(client, store, package, desk,
                                                             time_machine):
    front = desk[0]
    _more(store, package, front, 1, time_machine)
    one = _queries(client, front)
    desk_ = client.get(reverse("home")).context["desk"]
    assert {s.count for s in desk_.values()} == {1, 2}  # reminders: one today, one late
    _more(store, package, front, 9, time_machine)
    ten = _queries(client, front)
    desk_ = client.get(reverse("home")).context["desk"]
    assert desk_["today"].count == desk_["pickups"].count == 10
    assert ten == one


def test_a_section_shows_its_first_rows_and_links_to_the_rest(client, store, package, desk,
                                                              time_machine):
    front = desk[0]
    time_machine.move_to(BEFORE, tick=False)
    for i in range(DESK_ROWS + 2):
        _pickup(store, package, front, f"取{i}", at(0, f"{8 + i // 6:02d}:{i % 6 * 10:02d}"))
    time_machine.move_to(NOW, tick=False)
    response = _home(client, front)
    section = response.context["desk"]["pickups"]
    assert (section.count, len(section.rows)) == (DESK_ROWS + 2, DESK_ROWS)
    html = response.content.decode()
    assert 'data-testid="desk-pickups-more"' in html and f"共 {DESK_ROWS + 2} 条" in html


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.SPECIALIST, Role.SUPERVISOR,
                                  Role.CASHIER, Role.PHOTOGRAPHER])
def test_other_roles_keep_their_home(client, staff_of, studio, role):
    user = staff_of(role, user__username=f"u_{role}").user
    response = _home(client, user)
    assert "desk" not in response.context
    html = response.content.decode()
    assert 'data-testid="desk-home"' not in html and 'data-testid="orders-active"' in html


def test_the_desk_still_sees_the_figures(client, desk, studio):
    html = _home(client, desk[0]).content.decode()
    assert 'data-testid="desk-home"' in html and 'data-testid="owing-orders"' in html
    assert 'data-testid="callbacks-today"' in html


def test_the_other_stores_desk_sees_its_own_rows_only(client, desk, studio):
    desk_ = _home(client, desk[1]).context["desk"]
    assert _names(desk_["today"]) == ["别店今"]
    assert _names(desk_["tomorrow"]) == ["别店提醒", "别店明"]  # 09:00 and 11:00
    assert [t.customer.name for t in desk_["reminders"].rows] == ["别店提醒"]
    assert [t.customer.name for t in desk_["walkouts"].rows] == ["别店走单"]
    assert [s.order.customer.name for s in desk_["pickups"].rows] == ["别店取件"]
    assert desk_["pickups"].total == Decimal("5999.00")


def test_a_call_never_goes_back_to_another_site(client, desk, studio):
    task = studio["calls"]["walkout_today"]
    client.force_login(desk[0])
    response = client.post(reverse("callbacks:call", args=[task.pk]) + "?next=//evil.example/",
                           {"channel": "phone", "reached": "yes", "satisfaction": "satisfied"})
    assert response.status_code == 302 and response.url == reverse("callbacks:list")


def test_the_workspace_speaks_english_too(client, desk, studio, settings):
    client.force_login(desk[0])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("home")).content.decode()
    for words in ("Today&#x27;s bookings", "To remind", "Walk-outs to call today",
                  "Balances due at today&#x27;s pickups", "Record the call"):
        assert words in html
