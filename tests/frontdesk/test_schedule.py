"""The schedule (档期): booking a slot, the one conflict check (people, store capacity, gowns,
locations), moving with history, gown selection with add-ons, the calendar and its pages."""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from frontdesk.models import (
    Booking,
    BookingStatus,
    Gown,
    GownCondition,
    OutdoorLocation,
    ScheduleSettings,
)
from frontdesk.schedule import (
    booking_cancel,
    booking_conflicts,
    booking_create,
    booking_move,
    bookings_visible_to,
    calendar_day_by_person,
    calendar_week,
    daily_capacity,
    day_sheet,
    gown_save,
    gown_selection_record,
    location_save,
)
from orders.models import OrderStatus, StageEvent, StageEventAction, StageKind, StageStatus
from orders.services import order_cancel, order_create, payment_record
from staff.models import Role
from studio.errors import DomainError
from tests.factories import CustomerFactory, PackageFactory
from tests.orders.factories import OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A local time `days` from today."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days),
                                                time(hour, minute)))


@pytest.fixture
def photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER, user__username="photo_a", user__first_name="张摄影").user


@pytest.fixture
def other_photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER, user__username="photo_b", user__first_name="黄摄影").user


@pytest.fixture
def makeup(staff_of):
    return staff_of(Role.MAKEUP_ARTIST, user__username="makeup_a", user__first_name="吴化妆").user


@pytest.fixture
def new_order(store, package, front_desk):
    """new_order(name) -> a fresh order of another customer of the store."""

    def make(name: str = "李四", package_=None):
        return OrderFactory(customer__store=store, customer__name=name,
                            package=package_ or package, by=front_desk)

    return make


def shoot_of(order):
    return order.stages.get(kind=StageKind.SHOOT)


def gown_stage_of(order):
    return order.stages.get(kind=StageKind.GOWN)


@pytest.fixture
def gown(store, package):
    gown = Gown.objects.create(store=store, code="G001", style="白色鱼尾", size="M", colour="白色",
                               addon_price=Decimal("800.00"))
    gown.packages.add(package)
    return gown


@pytest.fixture
def addon_gown(store):
    return Gown.objects.create(store=store, code="G002", style="红色秀禾", size="S", colour="红色",
                               addon_price=Decimal("1200.00"))


@pytest.fixture
def lake(store):
    return OutdoorLocation.objects.create(store=store, name="西湖湖滨", daily_capacity=1)


# --- booking and the conflict check -----------------------------------------------------------

def test_a_booking_puts_the_stage_on_the_schedule_with_its_people(order, front_desk, photographer,
                                                                  makeup, lake):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                             photographer=photographer, makeup_artist=makeup, location=lake)
    stage = shoot_of(order)
    assert (booking.ends_at, booking.status) == (at(3, 14), BookingStatus.BOOKED)
    assert (stage.status, stage.scheduled_at) == (StageStatus.SCHEDULED, at(3, 10))
    assert (stage.assigned_to, stage.makeup_artist, stage.location) == (photographer, makeup, "西湖湖滨")
    assert StageEvent.objects.filter(stage=stage, action=StageEventAction.SCHEDULED).count() == 1
    assert list(booking.changes.values_list("before_starts_at", "after_starts_at")) == [
        (None, at(3, 10))]


def test_the_same_photographer_is_not_booked_twice_at_the_same_time(order, new_order, front_desk,
                                                                    photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(new_order()), starts_at=at(3, 12), by=front_desk,
                       photographer=photographer)
    message = refused.value.message_dict["photographer"][0]
    assert "张摄影" in message and "10:00-14:00" in message and "张三" in message
    assert Booking.objects.count() == 1


def test_a_makeup_artist_is_not_booked_twice_at_the_same_time(order, new_order, front_desk,
                                                              photographer, other_photographer,
                                                              makeup):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer, makeup_artist=makeup)
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(new_order()), starts_at=at(3, 9), by=front_desk,
                       photographer=other_photographer, makeup_artist=makeup)
    assert set(refused.value.message_dict) == {"makeup_artist"}


def test_back_to_back_bookings_of_one_person_do_not_conflict(order, new_order, front_desk,
                                                             photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), ends_at=at(3, 12), by=front_desk,
                   photographer=photographer)
    second = booking_create(stage=shoot_of(new_order()), starts_at=at(3, 12), by=front_desk,
                            photographer=photographer)
    assert second.photographer == photographer


def test_shoots_beyond_the_store_daily_capacity_are_refused(store, new_order, front_desk):
    ScheduleSettings.objects.create(store=store, daily_shoot_capacity=2)
    for hour in (9, 11):
        booking_create(stage=shoot_of(new_order(f"客户{hour}")), starts_at=at(3, hour),
                       by=front_desk)
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(new_order("第三位")), starts_at=at(3, 15), by=front_desk)
    assert "拍摄档期已满（每日 2 组）" in refused.value.message_dict["starts_at"][0]
    booking_create(stage=shoot_of(new_order("次日")), starts_at=at(4, 9), by=front_desk)


def test_a_store_without_settings_takes_eight_shoots_a_day(store):
    assert daily_capacity(store.pk) == 8


def test_a_gown_is_not_reserved_for_two_shoots_on_the_same_day(order, new_order, front_desk, gown):
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), by=front_desk, gowns=[gown])
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(new_order()), starts_at=at(3, 15), by=front_desk,
                       gowns=[gown])
    assert "礼服 G001（白色鱼尾）" in refused.value.message_dict["gowns"][0]
    booking_create(stage=shoot_of(new_order("王五")), starts_at=at(4, 9), by=front_desk,
                   gowns=[gown])


def test_an_outdoor_location_takes_only_its_daily_capacity(order, new_order, front_desk, lake):
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), by=front_desk, location=lake)
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(new_order()), starts_at=at(3, 15), by=front_desk,
                       location=lake)
    assert "外景点 西湖湖滨" in refused.value.message_dict["location"][0]


def test_one_refusal_names_every_conflict(order, new_order, front_desk, photographer, gown, lake):
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), by=front_desk,
                   photographer=photographer, gowns=[gown], location=lake)
    with pytest.raises(ValidationError) as refused:
        booking_conflicts(store=order.store, kind=StageKind.SHOOT, starts_at=at(3, 10),
                          ends_at=at(3, 12), photographer=photographer, gowns=[gown],
                          location=lake)
    assert set(refused.value.message_dict) == {"photographer", "gowns", "location"}


def test_a_requested_photographer_who_is_busy_is_not_swapped_for_another(
        order, new_order, front_desk, photographer, other_photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    with pytest.raises(ValidationError):
        booking_create(stage=shoot_of(new_order()), starts_at=at(3, 10), by=front_desk,
                       photographer=photographer, requested_by_customer=True)


def test_a_request_needs_the_requested_person(order, front_desk):
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                       requested_by_customer=True)
    assert "requested_by_customer" in refused.value.message_dict


def test_a_shoot_without_a_photographer_gets_the_least_busy_free_one(
        order, new_order, front_desk, photographer, other_photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), ends_at=at(3, 11), by=front_desk,
                   photographer=photographer)
    booking_create(stage=shoot_of(new_order("甲")), starts_at=at(3, 9), ends_at=at(3, 11),
                   by=front_desk)  # photographer busy: the other one
    later = booking_create(stage=shoot_of(new_order("乙")), starts_at=at(3, 13), by=front_desk)
    assert Booking.objects.get(stage__order__customer__name="甲").photographer == other_photographer
    assert later.photographer in (photographer, other_photographer)
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(new_order("丙")), starts_at=at(3, 10), by=front_desk)
    assert "没有空闲的摄影师" in refused.value.message_dict["photographer"][0]


@pytest.mark.parametrize(("starts", "ends", "field"), [  # (days from today, hour)
    ((-1, 10), None, "starts_at"),
    ((3, 10), (3, 9), "ends_at"),
    ((3, 10), (4, 10), "ends_at"),
])
def test_a_slot_in_the_past_or_ending_wrong_is_refused(order, front_desk, starts, ends, field):
    # The times are made when the test runs, not at import: the clock may be travelled.
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(order), starts_at=at(*starts), ends_at=ends and at(*ends),
                       by=front_desk)
    assert field in refused.value.message_dict


def test_people_gowns_and_locations_must_be_the_stores_and_usable(
        order, front_desk, staff_of, other_store, makeup, gown, lake):
    elsewhere = staff_of(Role.PHOTOGRAPHER, other_store).user
    gown.condition = GownCondition.REPAIR
    gown.save()
    lake.is_active = False
    lake.save()
    with pytest.raises(ValidationError) as refused:
        booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                       photographer=elsewhere, makeup_artist=front_desk, gowns=[gown],
                       location=lake)
    assert set(refused.value.message_dict) == {"photographer", "makeup_artist", "gowns", "location"}
    assert "维修中" in refused.value.message_dict["gowns"][0]


def test_only_gown_fittings_shoots_and_selections_are_booked(order, front_desk):
    pickup = order.stages.get(kind=StageKind.PICKUP)
    with pytest.raises(DomainError):
        booking_create(stage=pickup, starts_at=at(3, 10), by=front_desk)


def test_a_stage_with_a_booking_is_moved_not_booked_again(order, front_desk):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)
    with pytest.raises(DomainError):
        booking_create(stage=shoot_of(order), starts_at=at(5, 10), by=front_desk)


def test_a_cancelled_order_is_not_booked(order, front_desk):
    order_cancel(order=order, by=front_desk, reason="客户退单")
    with pytest.raises(DomainError):
        booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)


# --- moving and cancelling --------------------------------------------------------------------

def test_moving_a_booking_keeps_its_history_and_moves_the_stage(order, front_desk, photographer):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                             photographer=photographer)
    booking_move(booking=booking, starts_at=at(5, 13), by=front_desk, note="客户出差")
    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at, booking.photographer) == (
        at(5, 13), at(5, 17), photographer)
    assert list(booking.changes.values_list("before_starts_at", "after_starts_at")) == [
        (None, at(3, 10)), (at(3, 10), at(5, 13))]
    assert "客户出差" in booking.changes.last().note
    stage = shoot_of(order)
    assert stage.scheduled_at == at(5, 13)
    assert stage.events.filter(action=StageEventAction.RESCHEDULED).exists()


def test_a_booking_does_not_conflict_with_itself_when_moved(order, front_desk, photographer, gown,
                                                            lake):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                             photographer=photographer, gowns=[gown], location=lake)
    booking_move(booking=booking, starts_at=at(3, 11), by=front_desk)
    assert Booking.objects.get().starts_at == at(3, 11)


def test_a_move_into_a_conflict_is_refused_and_changes_nothing(order, new_order, front_desk,
                                                               photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    other = booking_create(stage=shoot_of(new_order()), starts_at=at(4, 10), by=front_desk,
                           photographer=photographer)
    with pytest.raises(ValidationError):
        booking_move(booking=other, starts_at=at(3, 11), by=front_desk)
    other.refresh_from_db()
    assert other.starts_at == at(4, 10) and other.changes.count() == 1


def test_the_person_a_customer_asked_for_stays_when_the_booking_moves(
        order, front_desk, photographer, other_photographer):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                             photographer=photographer, requested_by_customer=True)
    with pytest.raises(ValidationError) as refused:
        booking_move(booking=booking, starts_at=at(4, 10), by=front_desk,
                     photographer=other_photographer)
    assert "客户指定了摄影师 张摄影" in refused.value.message_dict["photographer"][0]


def test_a_cancelled_booking_frees_its_slot_and_the_stage_can_be_booked_again(
        order, new_order, front_desk, photographer):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                             photographer=photographer)
    booking_cancel(booking=booking, by=front_desk, reason="客户生病")
    booking_create(stage=shoot_of(new_order()), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    again = booking_create(stage=shoot_of(order), starts_at=at(6, 10), by=front_desk,
                           photographer=photographer)
    assert again.pk == booking.pk and again.status == BookingStatus.BOOKED
    assert [c.note[:4] for c in again.changes.all()] == ["预约", "取消：客", "重新预约"]


def test_a_cancellation_needs_a_reason(order, front_desk):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)
    with pytest.raises(ValidationError):
        booking_cancel(booking=booking, by=front_desk, reason="  ")


# --- gowns -------------------------------------------------------------------------------------

def test_the_gown_selection_records_the_chosen_gowns_and_charges_the_add_ons(
        order, front_desk, gown, addon_gown):
    fitting = booking_create(stage=gown_stage_of(order), starts_at=at(1, 10), by=front_desk)
    shoot = booking_create(stage=shoot_of(order), starts_at=at(5, 10), by=front_desk)
    gown_selection_record(booking=fitting, gowns=[gown, addon_gown], by=front_desk)
    order.refresh_from_db()
    stage = gown_stage_of(order)
    assert (stage.status, stage.extra_amount) == (StageStatus.DONE, Decimal("1200.00"))
    assert "G002" in stage.extra_note and "G001" not in stage.extra_note
    assert order.extras_total == Decimal("1200.00")
    assert order.current_stage == StageKind.SHOOT
    assert Booking.objects.get(pk=fitting.pk).status == BookingStatus.DONE
    assert set(shoot.gowns.values_list("code", flat=True)) == {"G001", "G002"}


def test_a_gown_another_shoot_has_that_day_is_refused_at_the_selection(
        order, new_order, front_desk, gown):
    booking_create(stage=shoot_of(new_order()), starts_at=at(5, 9), by=front_desk, gowns=[gown])
    fitting = booking_create(stage=gown_stage_of(order), starts_at=at(1, 10), by=front_desk)
    booking_create(stage=shoot_of(order), starts_at=at(5, 15), by=front_desk)
    with pytest.raises(ValidationError) as refused:
        gown_selection_record(booking=fitting, gowns=[gown], by=front_desk)
    assert "G001" in refused.value.message_dict["gowns"][0]
    assert gown_stage_of(order).status != StageStatus.DONE


def test_a_gown_code_and_a_location_name_are_unique_in_a_store(store, other_store, gown, lake):
    with pytest.raises(ValidationError):
        gown_save(gown=Gown(store=store, code="G001", style="另一件"))
    assert gown_save(gown=Gown(store=other_store, code="G001", style="别店的")).pk
    with pytest.raises(ValidationError):
        location_save(location=OutdoorLocation(store=store, name="西湖湖滨"))


# --- reads -------------------------------------------------------------------------------------

def test_the_week_calendar_takes_three_queries_whatever_its_size(
        store, new_order, front_desk, photographer, makeup, gown, lake, django_assert_num_queries):
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    for i in range(6):
        booking_create(stage=shoot_of(new_order(f"客户{i}")), by=front_desk,
                       starts_at=timezone.make_aware(datetime.combine(
                           monday + timedelta(days=i % 3), time(9 + i))),
                       ends_at=timezone.make_aware(datetime.combine(
                           monday + timedelta(days=i % 3), time(9 + i, 30))),
                       photographer=photographer if i == 0 else None,
                       makeup_artist=makeup if i == 0 else None,
                       gowns=[gown] if i == 0 else [], location=lake if i == 0 else None)
    with django_assert_num_queries(3):
        days = calendar_week(front_desk, store=store, start=monday)
        shown = [(b.stage.order.customer.name, b.stage.order.package.name,
                  b.photographer and b.photographer.display_name,
                  b.makeup_artist and b.makeup_artist.display_name,
                  b.location and b.location.name, [g.code for g in b.gowns.all()])
                 for day in days for b in day.bookings]
    assert len(shown) == 6
    assert [len(day.bookings) for day in days] == [2, 2, 2, 0, 0, 0, 0]
    assert days[0].shoots == 2 and not days[0].is_full


def test_a_photographer_sees_only_their_own_bookings(order, new_order, front_desk, photographer,
                                                     other_photographer):
    mine = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                          photographer=photographer)
    booking_create(stage=shoot_of(new_order()), starts_at=at(3, 10), by=front_desk,
                   photographer=other_photographer)
    assert list(bookings_visible_to(photographer)) == [mine]
    assert bookings_visible_to(front_desk).count() == 2


def test_a_specialist_and_another_store_see_no_bookings(order, front_desk, specialist,
                                                        other_manager):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)
    assert not bookings_visible_to(specialist).exists()
    assert not bookings_visible_to(other_manager).exists()


def test_the_day_view_gives_each_person_a_column_with_their_workload(
        store, order, new_order, front_desk, photographer, other_photographer, makeup):
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), ends_at=at(3, 11), by=front_desk,
                   photographer=photographer, makeup_artist=makeup)
    booking_create(stage=shoot_of(new_order()), starts_at=at(3, 13), by=front_desk,
                   photographer=photographer)
    booking_create(stage=order.stages.get(kind=StageKind.GOWN), starts_at=at(3, 10),
                   by=front_desk)
    columns = {(c.person.display_name if c.person else ""): len(c.bookings)
               for c in calendar_day_by_person(front_desk, store=store, on=at(3, 0).date())}
    assert columns == {"张摄影": 2, "黄摄影": 0, "吴化妆": 1, "": 1}


def test_the_day_sheet_flags_customers_who_owe_money(store, order, new_order, front_desk):
    paid = new_order("已付清")
    payment_record(order=paid, kind="deposit", amount=paid.amount, received_by=front_desk)
    booking_create(stage=shoot_of(order), starts_at=at(3, 9), by=front_desk)
    booking_create(stage=shoot_of(paid), starts_at=at(3, 13), by=front_desk)
    rows = day_sheet(front_desk, store=store, on=at(3, 0).date())
    assert [(r.order.customer.name, r.owes) for r in rows] == [("张三", True), ("已付清", False)]


# --- pages -------------------------------------------------------------------------------------

def _local_input(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_front_desk_books_a_shoot_and_the_calendar_shows_it(client, order, front_desk,
                                                                photographer):
    client.force_login(front_desk)
    response = client.post(reverse("frontdesk:book", args=[shoot_of(order).pk]), {
        "starts_at": _local_input(at(3, 10)), "photographer": photographer.pk,
        "requested_by_customer": "on"})
    assert response.status_code == 302
    page = client.get(response.url)
    html = page.content.decode()
    assert "张三" in html and "张摄影" in html and 'data-testid="booking"' in html
    assert Booking.objects.get().requested_by_customer


def test_a_conflicting_booking_comes_back_on_the_form(client, order, new_order, front_desk,
                                                      photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    client.force_login(front_desk)
    response = client.post(reverse("frontdesk:book", args=[shoot_of(new_order()).pk]), {
        "starts_at": _local_input(at(3, 11)), "photographer": photographer.pk,
        "requested_by_customer": "on"})
    assert response.status_code == 400
    assert "张摄影 在" in response.content.decode() and "已有档期" in response.content.decode()


@pytest.mark.parametrize("data", [
    {"starts_at": "下周三"},
    {"starts_at": "2030-01-01T10:00", "photographer": "999999"},
    {"starts_at": "2030-01-01T10:00", "ends_at": "2029-01-01T10:00"},
    {},
])
def test_bad_booking_input_is_a_form_error(client, order, front_desk, data):
    client.force_login(front_desk)
    response = client.post(reverse("frontdesk:book", args=[shoot_of(order).pk]), data)
    assert response.status_code == 400
    assert not Booking.objects.exists()


@pytest.mark.parametrize("query", ["date=2026-13-45", "date=99999-01-01", "view=year",
                                   "date=0001-01-01&view=day"])
def test_a_bad_calendar_query_shows_today(client, front_desk, query):
    client.force_login(front_desk)
    assert client.get(f"{reverse('frontdesk:calendar')}?{query}").status_code == 200


def test_the_calendar_page_queries_do_not_grow_with_bookings(client, store, new_order, front_desk,
                                                             gown, lake):
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    url = f"{reverse('frontdesk:calendar')}?date={monday.isoformat()}"
    client.force_login(front_desk)

    def book(i: int) -> None:
        start = timezone.make_aware(datetime.combine(monday + timedelta(days=i % 5), time(8 + i)))
        booking_create(stage=shoot_of(new_order(f"客户{i}")), starts_at=start, by=front_desk,
                       ends_at=start + timedelta(minutes=50), gowns=[gown] if i == 0 else [],
                       location=lake if i == 0 else None)

    book(0)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(1, 8):
        book(i)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["days"][0].bookings) == 2
    assert len(many) == len(one)


def test_the_day_view_and_the_day_sheet_pages(client, order, front_desk, photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    client.force_login(front_desk)
    day = at(3, 0).date().isoformat()
    html = client.get(f"{reverse('frontdesk:calendar')}?view=day&date={day}").content.decode()
    assert "张摄影" in html and 'data-testid="calendar-day"' in html
    html = client.get(f"{reverse('frontdesk:day_sheet')}?date={day}").content.decode()
    assert 'data-testid="owes"' in html and "张三" in html


def test_moving_and_cancelling_through_the_booking_page(client, order, front_desk):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)
    client.force_login(front_desk)
    assert client.get(reverse("frontdesk:booking", args=[booking.pk])).status_code == 200
    response = client.post(reverse("frontdesk:move", args=[booking.pk]), {
        "starts_at": _local_input(at(4, 15)), "note": "客户改时间"})
    assert response.status_code == 302
    assert Booking.objects.get().starts_at == at(4, 15)
    refused = client.post(reverse("frontdesk:move", args=[booking.pk]), {"starts_at": "明天"})
    assert refused.status_code == 400
    assert client.post(reverse("frontdesk:cancel", args=[booking.pk]), {"reason": ""}
                       ).status_code == 400
    assert client.post(reverse("frontdesk:cancel", args=[booking.pk]), {"reason": "客户取消"}
                       ).status_code == 302
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    assert client.post(reverse("frontdesk:move", args=[booking.pk]), {
        "starts_at": _local_input(at(5, 15))}).status_code == 302  # closed: said, not changed
    assert Booking.objects.get().starts_at == at(4, 15)


def test_the_gown_selection_through_the_booking_page(client, order, front_desk, gown, addon_gown):
    fitting = booking_create(stage=gown_stage_of(order), starts_at=at(1, 10), by=front_desk)
    client.force_login(front_desk)
    html = client.get(reverse("frontdesk:booking", args=[fitting.pk])).content.decode()
    assert "加选 ¥1,200.00" in html and "含于套系" in html
    response = client.post(reverse("frontdesk:gown_pick", args=[fitting.pk]),
                           {"gowns": [gown.pk, addon_gown.pk]})
    assert response.status_code == 302
    assert gown_stage_of(order).extra_amount == Decimal("1200.00")


def test_booking_a_stage_already_booked_opens_its_booking(client, order, front_desk):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)
    client.force_login(front_desk)
    response = client.get(reverse("frontdesk:book", args=[shoot_of(order).pk]))
    assert response.url == reverse("frontdesk:booking", args=[booking.pk])


def test_the_customer_page_links_each_open_service_to_its_booking(client, order, front_desk):
    client.force_login(front_desk)
    html = client.get(reverse("orders:customer", args=[order.customer_id])).content.decode()
    assert html.count('data-testid="book-link"') == 3  # gown, shoot, selection
    assert reverse("frontdesk:book", args=[shoot_of(order).pk]) in html


@pytest.mark.parametrize(("role", "calendar", "book", "gowns_post"), [
    (Role.FRONT_DESK, 200, 200, 403),
    (Role.STORE_MANAGER, 200, 200, 302),
    (Role.PHOTOGRAPHER, 200, 403, 403),
    (Role.SPECIALIST, 403, 403, 403),
    (Role.CASHIER, 403, 403, 403),
])
def test_who_may_see_book_and_manage_gowns(client, staff_of, order, role, calendar, book,
                                           gowns_post):
    client.force_login(staff_of(role).user)
    assert client.get(reverse("frontdesk:calendar")).status_code == calendar
    assert client.get(reverse("frontdesk:book", args=[shoot_of(order).pk])).status_code == book
    response = client.post(reverse("frontdesk:gowns"), {
        "code": "G100", "style": "新款", "addon_price": "500", "condition": "good"})
    assert response.status_code == gowns_post


def test_another_stores_booking_and_stage_answer_404(client, order, front_desk, other_manager):
    booking = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk)
    client.force_login(other_manager)
    assert client.get(reverse("frontdesk:booking", args=[booking.pk])).status_code == 404
    assert client.get(reverse("frontdesk:book", args=[shoot_of(order).pk])).status_code == 404
    assert client.post(reverse("frontdesk:cancel", args=[booking.pk]),
                       {"reason": "x"}).status_code == 404


def test_a_photographer_sees_their_own_week_and_not_a_colleagues(client, order, front_desk,
                                                                 photographer, other_photographer):
    booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer)
    client.force_login(photographer)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="nav-schedule"' in home
    response = client.get(reverse("frontdesk:person", args=[photographer.pk]),
                          {"date": at(3, 0).date().isoformat()})
    assert response.status_code == 200 and response.context["count"] == 1
    assert client.get(reverse("frontdesk:person", args=[other_photographer.pk])).status_code == 404


def test_the_store_manager_adds_a_gown_with_a_photo(client, manager, store, package):
    client.force_login(manager)
    png = SimpleUploadedFile("g.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, content_type="image/png")
    response = client.post(reverse("frontdesk:gowns"), {
        "code": "G100", "style": "蓬蓬裙", "size": "M", "colour": "白", "photo": png,
        "packages": [package.pk], "addon_price": "600", "condition": "good"})
    assert response.status_code == 302
    gown = Gown.objects.get(code="G100")
    assert list(gown.packages.all()) == [package]
    photo = client.get(reverse("frontdesk:gown_photo", args=[gown.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    duplicate = client.post(reverse("frontdesk:gowns"), {
        "code": "G100", "style": "重复", "addon_price": "0", "condition": "good"})
    assert duplicate.status_code == 400 and "本店已有编号为 G100 的礼服" in duplicate.content.decode()


def test_a_gown_photo_must_be_an_image(client, manager):
    client.force_login(manager)
    fake = SimpleUploadedFile("g.png", b"<html><script>alert(1)</script>", content_type="image/png")
    response = client.post(reverse("frontdesk:gowns"), {
        "code": "G101", "style": "假图片", "photo": fake, "addon_price": "0", "condition": "good"})
    assert response.status_code == 400 and not Gown.objects.exists()


def test_the_store_manager_adds_and_edits_an_outdoor_location(client, manager, store):
    client.force_login(manager)
    assert client.post(reverse("frontdesk:locations"), {
        "name": "太子湾公园", "daily_capacity": "3", "is_active": "on"}).status_code == 302
    location = OutdoorLocation.objects.get()
    assert client.post(reverse("frontdesk:location_edit", args=[location.pk]), {
        "name": "太子湾公园", "daily_capacity": "0"}).status_code == 400
    assert client.post(reverse("frontdesk:location_edit", args=[location.pk]), {
        "name": "太子湾公园", "daily_capacity": "5"}).status_code == 302
    location.refresh_from_db()
    assert (location.daily_capacity, location.is_active) == (5, False)


def test_a_general_manager_picks_the_store(client, general_manager, other_store):
    client.force_login(general_manager)
    response = client.get(reverse("frontdesk:calendar"), {"store": other_store.pk})
    assert response.context["store"] == other_store
    assert client.get(reverse("frontdesk:calendar"), {"store": "abc"}).status_code == 400


def test_a_children_package_without_gown_selection_books_a_shoot(store, front_desk):
    order = order_create(customer=CustomerFactory(store=store),
                         package=PackageFactory(name="宝宝照", includes_gown_selection=False),
                         by=front_desk)
    booking = booking_create(stage=shoot_of(order), starts_at=at(2, 10), by=front_desk)
    assert booking.stage.order.status == OrderStatus.ACTIVE


# --- races (row locks need PostgreSQL; select_for_update does nothing on SQLite) -------------

def _in_threads(n: int, work) -> list:
    import threading

    from django.db import connections

    barrier = threading.Barrier(n)
    results: list = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as exc:  # collected and asserted by the test
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_desks_booking_one_photographer_at_once_get_one_booking(new_order, front_desk,
                                                                   photographer):
    stages = [shoot_of(new_order(f"客户{i}")) for i in range(4)]
    results = _in_threads(4, lambda i: booking_create(
        stage=stages[i], starts_at=at(3, 10), by=front_desk, photographer=photographer,
        requested_by_customer=True))
    assert sum(isinstance(r, Booking) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 3
    assert Booking.objects.count() == 1
