"""Exports of the front-desk lists to .xlsx: the day sheet and the calendar's bookings, the
production and late-production lists, the rework list and the walk-out list. Each answers the
whole filtered list of the page (not one page of it), in the viewer's scope, with mobiles masked
for whoever may not see them, and is written to the audit log."""
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from frontdesk.flowcards import rework_request
from frontdesk.models import (
    ProductionItem,
    ProductionStatus,
    ProductKind,
    ReworkStatus,
    WalkOutReason,
)
from frontdesk.production import production_item_add, walkout_record
from frontdesk.schedule import booking_cancel, booking_create
from orders.models import StageKind
from orders.services import order_create, stage_complete
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from studio.pagination import PAGE_SIZE
from tests.factories import CustomerFactory
from tests.xlsx import rows_of

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers and fixtures ------------------------------------------------------------------------

def _rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    return rows_of(response)


def _column(rows: list[tuple], header: str) -> list:
    i = rows[0].index(header)
    return [row[i] for row in rows[1:]]


def _export_entry(user, list_name: str) -> AuditEntry:
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == user and entry.detail["list"] == list_name
    return entry


def _next_monday():
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _shoot(order):
    return order.stages.get(kind=StageKind.SHOOT)


@pytest.fixture
def other_desk(staff_of, other_store):
    return staff_of(Role.FRONT_DESK, other_store, user__username="desk2").user


@pytest.fixture
def order_of(package, front_desk, other_desk, store):
    """order_of(name, store=None, mobile=None) -> a fresh order of a new customer."""

    def make(name: str, store_=None, mobile: str | None = None):
        store_ = store_ or store
        extra = {"mobile": mobile} if mobile else {}
        customer = CustomerFactory(store=store_, name=name, **extra)
        return order_create(customer=customer, package=package,
                            by=front_desk if store_ == store else other_desk)

    return make


def _shot(order, by):
    for kind in (StageKind.GOWN, StageKind.SHOOT):
        stage_complete(order=order, kind=kind, by=by)
    return order


def _restricted(staff_of, *perms: str, username: str = "restricted"):
    """A member of the store with only `perms` (none of the reveal permissions)."""
    user = staff_of(Role.FRONT_DESK, user__username=username).user
    user.groups.clear()
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label,
                                                         codename=codename))
    return type(user).objects.get(pk=user.pk)  # no stale permission cache


# --- the day sheet and the calendar --------------------------------------------------------------

@pytest.fixture
def week_bookings(order_of, front_desk, other_desk, other_store):
    """Next week's bookings: Monday 09:00 (张三), Sunday 10:00 (李四), the Monday after (赵六,
    outside the week), a cancelled one on Monday (钱七) and another store's on Monday (王五)."""
    monday = _next_monday()
    booked = {
        "张三": booking_create(stage=_shoot(order_of("张三", mobile="13900001111")),
                             starts_at=_at(monday, 9), by=front_desk, note="带宠物"),
        "李四": booking_create(stage=_shoot(order_of("李四")),
                             starts_at=_at(monday + timedelta(days=6), 10), by=front_desk),
        "赵六": booking_create(stage=_shoot(order_of("赵六")),
                             starts_at=_at(monday + timedelta(days=7), 10), by=front_desk),
        "钱七": booking_create(stage=_shoot(order_of("钱七")),
                             starts_at=_at(monday, 14), by=front_desk),
        "王五": booking_create(stage=_shoot(order_of("王五", other_store)),
                             starts_at=_at(monday, 9), by=other_desk),
    }
    booking_cancel(booking=booked["钱七"], by=front_desk, reason="客户改期")
    return monday, booked


def _names(rows: list[tuple]) -> list[str]:
    return [name[:2] for name in _column(rows, "客户")]  # "张三女士" -> "张三"


def test_the_day_sheet_exports_the_days_bookings_of_the_store(client, front_desk, week_bookings,
                                                              other_store):
    monday, _booked = week_bookings
    client.force_login(front_desk)
    # Another store is refused (staff.scoping.store_for), not answered with one's own.
    assert client.get(reverse("frontdesk:day_sheet"), {
        "date": monday.isoformat(), "store": other_store.pk, "export": "xlsx"}).status_code == 400
    response = client.get(reverse("frontdesk:day_sheet"), {
        "date": monday.isoformat(), "export": "xlsx"})
    rows = _rows(response)
    assert rows[0][:6] == ("开始时间", "结束时间", "服务", "状态", "客户", "手机号")
    assert _names(rows) == ["张三"]  # not Sunday's, the cancelled one or the other store's
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["开始时间"] == datetime.combine(monday, time(9))
    assert row["服务"] == "拍摄" and row["手机号"] == "13900001111"  # the desk sees mobiles
    assert row["欠款"] == 5999 and row["备注"] == "带宠物"
    entry = _export_entry(front_desk, "day_sheet")
    assert entry.detail["rows"] == 1 and entry.detail["start"] == monday.isoformat()


def test_the_calendar_exports_the_week_or_the_day_it_shows(client, front_desk, week_bookings):
    monday, _booked = week_bookings
    client.force_login(front_desk)
    url = reverse("frontdesk:calendar")
    wednesday = (monday + timedelta(days=2)).isoformat()
    week = _rows(client.get(url, {"date": wednesday, "export": "xlsx"}))
    assert _names(week) == ["张三", "李四"]
    assert _export_entry(front_desk, "calendar:week").detail["end"] == (
        monday + timedelta(days=6)).isoformat()
    day = _rows(client.get(url, {"date": monday.isoformat(), "view": "day", "export": "xlsx"}))
    assert _names(day) == ["张三"]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT,
                                     detail__list="calendar:day").count() == 1


def test_a_photographer_exports_only_their_bookings_with_masked_mobiles(
        client, staff_of, order_of, front_desk):
    shooter = staff_of(Role.PHOTOGRAPHER, user__username="shooter").user
    colleague = staff_of(Role.PHOTOGRAPHER, user__username="colleague").user
    monday = _next_monday()
    booking_create(stage=_shoot(order_of("张三", mobile="13900001111")), starts_at=_at(monday, 9),
                   by=front_desk, photographer=shooter)
    booking_create(stage=_shoot(order_of("李四")), starts_at=_at(monday, 9), by=front_desk,
                   photographer=colleague)
    client.force_login(shooter)
    rows = _rows(client.get(reverse("frontdesk:day_sheet"),
                            {"date": monday.isoformat(), "export": "xlsx"}))
    assert _names(rows) == ["张三"]
    assert _column(rows, "手机号") == ["139****1111"]
    assert _column(rows, "摄影师") == [shooter.display_name]


def test_a_general_manager_exports_the_store_they_pick(client, general_manager, week_bookings,
                                                       other_store):
    monday, _booked = week_bookings
    client.force_login(general_manager)
    rows = _rows(client.get(reverse("frontdesk:day_sheet"), {
        "date": monday.isoformat(), "store": other_store.pk, "export": "xlsx"}))
    assert _names(rows) == ["王五"]


def test_the_bookings_export_queries_do_not_grow_with_the_bookings(client, order_of, front_desk):
    monday = _next_monday()
    url = reverse("frontdesk:calendar")
    query = {"date": monday.isoformat(), "export": "xlsx"}
    client.force_login(front_desk)

    def book(i: int) -> None:
        booking_create(stage=_shoot(order_of(f"客户{i}")), by=front_desk,
                       starts_at=_at(monday + timedelta(days=i % 7), 8 + i))

    book(0)
    with CaptureQueriesContext(connection) as one:
        assert len(_rows(client.get(url, query))) == 2
    for i in range(1, 8):
        book(i)
    with CaptureQueriesContext(connection) as many:
        assert len(_rows(client.get(url, query))) == 9
    assert len(many) == len(one)


# --- production and late production --------------------------------------------------------------

@pytest.fixture
def products(order_of, front_desk, other_desk, other_store):
    """An album waiting (张三), frames at the lab 3 days late (李四), another store's album."""
    album = production_item_add(order=order_of("张三"), by=front_desk, kind=ProductKind.ALBUM,
                                description="水晶相册")
    frames = production_item_add(order=order_of("李四"), by=front_desk, kind=ProductKind.FRAME,
                                 quantity=2)
    elsewhere = production_item_add(order=order_of("王五", other_store), by=other_desk,
                                    kind=ProductKind.ALBUM)
    late_on = timezone.localdate() - timedelta(days=3)
    ProductionItem.objects.filter(pk__in=[frames.pk, elsewhere.pk]).update(
        status=ProductionStatus.SENT, sent_at=timezone.now() - timedelta(days=10), due_on=late_on)
    return album, frames, elsewhere


def test_the_production_list_exports_with_its_filters(client, front_desk, products):
    album, _frames, _elsewhere = products
    client.force_login(front_desk)
    url = reverse("frontdesk:production")
    rows = _rows(client.get(url, {"export": "xlsx"}))
    assert rows[0][:5] == ("订单号", "套系", "门店", "客户", "产品")
    assert sorted(_names(rows)) == ["张三", "李四"]  # not the other store's album
    rows = _rows(client.get(url, {"status": "pending", "kind": "album", "export": "xlsx"}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and row["订单号"] == album.order_id
    assert (row["产品"], row["说明"], row["数量"], row["状态"]) == ("相册", "水晶相册", 1, "待送厂")
    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT, detail__list="production")
    assert entries.count() == 2
    assert entries.filter(detail__filters={"status": "pending", "kind": "album"}).exists()


def test_the_production_export_is_the_whole_list_not_a_page(client, front_desk, order_of):
    order = order_of("张三")
    ProductionItem.objects.bulk_create(
        [ProductionItem(order=order, kind=ProductKind.FILES) for _ in range(PAGE_SIZE + 5)])
    client.force_login(front_desk)
    rows = _rows(client.get(reverse("frontdesk:production"), {"page": "1", "export": "xlsx"}))
    assert len(rows) == 1 + PAGE_SIZE + 5


def test_the_late_production_list_exports_the_overdue_products(client, front_desk, products):
    _album, frames, _elsewhere = products
    client.force_login(front_desk)
    rows = _rows(client.get(reverse("frontdesk:late_production"), {"export": "xlsx"}))
    assert rows[0][-3:] == ("送厂时间", "预计到店", "逾期天数")
    assert len(rows) == 2  # the album is not at the lab; the other store's is not ours
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["订单号"], row["产品"], row["数量"], row["逾期天数"]) == (
        frames.order_id, "相框/摆台", 2, 3)
    assert row["预计到店"] == datetime.combine(timezone.localdate() - timedelta(days=3), time())
    _export_entry(front_desk, "late_production")


# --- rework --------------------------------------------------------------------------------------

@pytest.fixture
def reworks(order_of, front_desk, other_desk, other_store):
    asked = rework_request(order=_shot(order_of("张三"), front_desk), by=front_desk,
                           reason="客户对外景照片不满意", items="重拍外景一组")
    done = rework_request(order=_shot(order_of("李四"), front_desk), by=front_desk,
                          reason="=1+1", items="重修 5 张")
    done.status = ReworkStatus.DONE
    done.save(update_fields=["status"])
    elsewhere = rework_request(order=_shot(order_of("王五", other_store), other_desk),
                               by=other_desk, reason="相册破损", items="相册重做")
    return asked, done, elsewhere


def test_the_rework_list_exports_with_its_filter(client, front_desk, reworks):
    asked, _done, _elsewhere = reworks
    client.force_login(front_desk)
    url = reverse("frontdesk:reworks")
    rows = _rows(client.get(url, {"export": "xlsx"}))
    assert rows[0][:6] == ("申请时间", "订单号", "套系", "门店", "客户", "返工内容")
    assert _column(rows, "客户") == ["张三", "李四"]  # awaiting approval first; not 王五
    assert _column(rows, "返工原因")[1] == "'=1+1"  # a formula is text in the sheet
    rows = _rows(client.get(url, {"status": "requested", "export": "xlsx"}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and row["订单号"] == asked.order_id
    assert (row["返工内容"], row["状态"], row["申请人"]) == (
        "重拍外景一组", "待店长审批", front_desk.display_name)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=front_desk,
                                     detail__list="reworks").count() == 2


# --- walk-outs -----------------------------------------------------------------------------------

@pytest.fixture
def walkouts(store, other_store, front_desk, other_desk):
    def record(where, by, name, mobile, reason, hours):
        return walkout_record(store=where, by=by, name=name, mobile=mobile, reason=reason,
                              reason_note="预算有限" if reason == WalkOutReason.PRICE else "",
                              visited_at=timezone.now() - timedelta(hours=hours))

    return (record(store, front_desk, "张三", "13900001111", WalkOutReason.PRICE, 2),
            record(store, front_desk, "李四", "13900002222", WalkOutReason.STYLE, 3),
            record(other_store, other_desk, "王五", "13900003333", WalkOutReason.PRICE, 2))


def test_the_walkout_list_exports_with_its_filters(client, front_desk, walkouts):
    client.force_login(front_desk)
    url = reverse("frontdesk:walkouts")
    rows = _rows(client.get(url, {"export": "xlsx"}))
    assert rows[0][:4] == ("到店时间", "客户", "手机号", "门店")
    assert _names(rows) == ["张三", "李四"]  # newest first; not the other store's
    rows = _rows(client.get(url, {"reason": "price", "q": "张", "export": "xlsx"}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2
    assert (row["手机号"], row["门店"], row["流失原因"], row["说明"], row["状态"]) == (
        "13900001111", "人民路店", "价格", "预算有限", "跟进中")
    assert row["接待门市"] == front_desk.display_name
    assert _rows(client.get(url, {"q": "王五", "export": "xlsx"}))[1:] == []
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, detail__list="walkouts").first()
    assert entry.actor == front_desk and entry.detail["filters"]["q"] == "王五"


def test_the_walkout_export_masks_mobiles_without_the_reveal_permission(client, staff_of,
                                                                        walkouts):
    viewer = _restricted(staff_of, "frontdesk.view_walkout")
    client.force_login(viewer)
    rows = _rows(client.get(reverse("frontdesk:walkouts"), {"export": "xlsx"}))
    assert _column(rows, "手机号") == ["139****1111", "139****2222"]


# --- who may export, and the buttons -------------------------------------------------------------

@pytest.mark.parametrize("name", ["day_sheet", "calendar", "production", "late_production",
                                  "reworks", "walkouts"])
def test_who_may_not_see_the_page_may_not_export_it(client, specialist, name):
    client.force_login(specialist)
    assert client.get(reverse(f"frontdesk:{name}"), {"export": "xlsx"}).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize("name, query, link", [
    ("day_sheet", {"date": "2030-01-07"}, "date=2030-01-07&export=xlsx"),
    ("calendar", {"date": "2030-01-09"}, "date=2030-01-09&view=week&export=xlsx"),
    ("calendar", {"date": "2030-01-09", "view": "day"}, "view=day&export=xlsx"),
    ("production", {"status": "sent"}, "?status=sent&export=xlsx"),
    ("late_production", {}, "?export=xlsx"),
    ("reworks", {"status": "done"}, "?status=done&export=xlsx"),
    ("walkouts", {"reason": "price", "page": "2"}, "?reason=price&export=xlsx"),
])
def test_each_page_has_an_export_button_with_its_filters(client, front_desk, name, query, link):
    client.force_login(front_desk)
    html = client.get(reverse(f"frontdesk:{name}"), query).content.decode().replace("&amp;", "&")
    assert 'data-testid="export"' in html and "导出 Excel" in html
    assert link in html
