"""Issue 17 item 11: a booked stage done earlier than booked, or by someone other than the booked
photographer or makeup artist, asks for confirmation and then moves its booking to what
happened, so that the calendar, the flow card and the performance credit say the same."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from frontdesk.flowcards import flow_card_create
from frontdesk.models import Booking, BookingChange, BookingStatus, FlowCard, PerformanceCredit
from frontdesk.schedule import booking_create, calendar_day_by_person
from orders.models import StageEvent, StageKind, StageStatus
from orders.services import stage_complete
from staff.models import Role
from studio.errors import ConfirmationRequired
from tests.api import login, post

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOKED = datetime(2026, 3, 12, 14, 0, tzinfo=SHANGHAI)  # Thursday 14:00-18:00
EARLY = datetime(2026, 3, 10, 16, 0, tzinfo=SHANGHAI)  # done on Tuesday at 16:00


@pytest.fixture(autouse=True)
def _monday_morning(time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER, user__username="ph_lin", user__first_name="林晓峰").user


@pytest.fixture
def other_photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER, user__username="ph_chen", user__first_name="陈志强").user


@pytest.fixture
def makeup(staff_of):
    return staff_of(Role.MAKEUP_ARTIST, user__username="mu_zhou", user__first_name="周雨欣").user


@pytest.fixture
def booking(order, front_desk, photographer, makeup):
    """The order's gown selection done; its shoot booked Thursday 14:00-18:00 with 林晓峰 and
    周雨欣."""
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk,
                   at=datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI))
    shoot = order.stages.get(kind=StageKind.SHOOT)
    return booking_create(stage=shoot, starts_at=BOOKED, ends_at=BOOKED + timedelta(hours=4),
                          by=front_desk, photographer=photographer, makeup_artist=makeup)


def test_a_shoot_done_in_its_slot_by_the_booked_people_needs_no_confirmation(
        order, booking, front_desk):
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk,
                   at=BOOKED + timedelta(hours=3))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.DONE
    assert booking.starts_at == BOOKED
    assert not BookingChange.objects.filter(booking=booking, note__startswith="按实际").exists()


def test_a_shoot_done_earlier_than_booked_is_refused_until_confirmed_and_nothing_is_written(
        order, booking, front_desk):
    with pytest.raises(ConfirmationRequired) as refused:
        stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk, at=EARLY)
    assert refused.value.code == "booking_differs"
    assert "预约 2026-03-12 14:00，实际 2026-03-10 16:00 已完成" in refused.value.message
    shoot = order.stages.get(kind=StageKind.SHOOT)
    booking.refresh_from_db()
    assert shoot.status == StageStatus.SCHEDULED and shoot.completed_at is None
    assert booking.status == BookingStatus.BOOKED and booking.starts_at == BOOKED
    assert not StageEvent.objects.filter(stage=shoot, action="completed").exists()


def test_a_shoot_done_earlier_and_confirmed_moves_its_booking_to_when_it_happened(
        order, booking, front_desk, store):
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk, at=EARLY, confirm=True)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.DONE
    # It ends when it was recorded done and keeps its four hours: Tuesday 12:00-16:00.
    assert (booking.starts_at, booking.ends_at) == (EARLY - timedelta(hours=4), EARLY)
    change = BookingChange.objects.get(booking=booking, note__startswith="按实际更新")
    assert (change.before_starts_at, change.after_starts_at, change.by) == (
        BOOKED, EARLY - timedelta(hours=4), front_desk)
    # The calendar shows it on Tuesday, and Thursday is free again.
    assert [b.pk for day in calendar_day_by_person(front_desk, store=store, on=EARLY.date())
            for b in day.bookings] == [booking.pk, booking.pk]  # photographer's and makeup's
    assert not [b for day in calendar_day_by_person(front_desk, store=store, on=BOOKED.date())
                for b in day.bookings]


def test_a_flow_card_naming_another_photographer_asks_then_the_calendar_card_and_credit_agree(
        order, booking, front_desk, other_photographer, makeup, store):
    at = BOOKED + timedelta(hours=4)
    with pytest.raises(ConfirmationRequired) as refused:
        flow_card_create(order=order, by=front_desk, photographer=other_photographer,
                         makeup_artist=makeup, complete_shoot=True, at=at)
    assert "预约摄影师 林晓峰，实际 陈志强" in refused.value.message
    assert not FlowCard.objects.exists()
    assert order.stages.get(kind=StageKind.SHOOT).status == StageStatus.SCHEDULED

    card = flow_card_create(order=order, by=front_desk, photographer=other_photographer,
                            makeup_artist=makeup, complete_shoot=True, at=at, confirm=True)
    booking.refresh_from_db()
    shoot = order.stages.get(kind=StageKind.SHOOT)
    assert booking.photographer == other_photographer == card.photographer == shoot.assigned_to
    assert set(PerformanceCredit.objects.filter(flow_card=card).values_list("user", "role")) == {
        (other_photographer.pk, Role.PHOTOGRAPHER), (makeup.pk, Role.MAKEUP_ARTIST)}
    # On the calendar the shoot is in the column of who did it (and the makeup artist's).
    busy = {day.person for day in calendar_day_by_person(front_desk, store=store, on=BOOKED.date())
            if day.bookings}
    assert busy == {other_photographer, makeup}


def test_a_flow_card_after_the_shoot_was_recorded_done_moves_the_people_too(
        order, booking, front_desk, photographer, other_photographer, makeup):
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk,
                   at=BOOKED + timedelta(hours=4))
    with pytest.raises(ConfirmationRequired):
        flow_card_create(order=order, by=front_desk, photographer=other_photographer,
                         makeup_artist=makeup)
    booking.refresh_from_db()
    assert booking.photographer == photographer  # the refusal wrote nothing
    card = flow_card_create(order=order, by=front_desk, photographer=other_photographer,
                            makeup_artist=makeup, confirm=True)
    booking.refresh_from_db()
    assert booking.photographer == card.photographer == other_photographer
    assert order.stages.get(kind=StageKind.SHOOT).assigned_to == other_photographer


def test_a_flow_card_naming_the_booked_people_needs_no_confirmation(
        order, booking, front_desk, photographer, makeup):
    card = flow_card_create(order=order, by=front_desk, photographer=photographer,
                            makeup_artist=makeup, complete_shoot=True,
                            at=BOOKED + timedelta(hours=4))
    assert card.photographer == photographer
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.DONE


def test_the_api_answers_409_booking_differs_until_confirm_is_sent(
        client, order, booking, front_desk):
    login(client, front_desk)
    url = reverse("api:stage-complete", args=[order.pk, StageKind.SHOOT])
    refused = post(client, url, {})
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "booking_differs"
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED
    done = post(client, url, {"confirm": True})
    assert done.status_code in (200, 201), done.content
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.DONE


def test_the_customer_page_card_shows_the_reason_and_a_tick_box_then_completes(
        client, order, booking, front_desk):
    client.force_login(front_desk)
    url = reverse("orders:stage_complete", args=[order.pk])
    refused = client.post(url, {"kind": StageKind.SHOOT}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "与档期不一致" in page and "预约 2026-03-12 14:00" in page
    assert 'type="checkbox" name="confirm"' in page
    assert order.stages.get(kind=StageKind.SHOOT).status == StageStatus.SCHEDULED
    client.post(url, {"kind": StageKind.SHOOT, "confirm": "on"}, HTTP_HX_REQUEST="true")
    assert order.stages.get(kind=StageKind.SHOOT).status == StageStatus.DONE
    # Done at 09:00 on Monday: the four hours before, on Monday's calendar.
    moved = Booking.objects.get(pk=booking.pk)
    assert (moved.starts_at, moved.ends_at) == (datetime(2026, 3, 9, 5, 0, tzinfo=SHANGHAI),
                                                datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI))


def test_the_flow_card_page_asks_with_a_tick_box_then_registers(
        client, order, booking, front_desk, other_photographer, makeup):
    client.force_login(front_desk)
    url = reverse("frontdesk:flowcard_new", args=[order.pk])
    form = {"photographer": other_photographer.pk, "makeup_artist": makeup.pk,
            "complete_shoot": "1"}
    refused = client.post(url, form)
    page = refused.content.decode()
    assert refused.status_code == 200 and "预约摄影师 林晓峰，实际 陈志强" in page
    assert 'type="checkbox" name="confirm"' in page
    assert not FlowCard.objects.exists()
    done = client.post(url, {**form, "confirm": "on"})
    assert done.status_code == 302
    assert Booking.objects.get(pk=booking.pk).photographer == other_photographer
