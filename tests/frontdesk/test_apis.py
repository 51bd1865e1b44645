"""The front-desk API: bookings (book, move, cancel, history), the SMS outbox, flow cards with
their credits, rework with the manager's approval, production items step by step, walk-outs.

Each endpoint for its roles, including the refusals: another store's row answers 404, a role
without the permission 403, bad input 400 with the service's message, a step the state does not
allow 409; each list costs the same number of queries at any size."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from frontdesk.flowcards import flow_card_create, rework_decide, rework_request
from frontdesk.models import (
    Booking,
    BookingStatus,
    FlowCard,
    Gown,
    OutdoorLocation,
    ProductionItem,
    ProductionStatus,
    ProductKind,
    Rework,
    ReworkStatus,
    WalkOut,
    WalkOutReason,
    WalkOutStatus,
)
from frontdesk.production import (
    pickup_sms_key,
    production_arrive,
    production_item_add,
    production_send,
    walkout_record,
)
from frontdesk.schedule import booking_cancel, booking_create, booking_move
from orders.models import StageKind, StageStatus
from orders.services import order_create, stage_complete
from staff.models import Role
from studio.models import SmsMessage, SmsStatus
from tests.api import count_queries, get_json, login, post
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

from .test_schedule import at, shoot_of

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


# --- helpers and fixtures -------------------------------------------------------------------------

def ids(client, url: str, params: dict | None = None) -> set[int]:
    return {row["id"] for row in get_json(client, url, params)["results"]}


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
def cashier(staff_of):
    return staff_of(Role.CASHIER, user__username="cashier").user


@pytest.fixture
def desk2(staff_of, other_store):
    return staff_of(Role.FRONT_DESK, other_store, user__username="desk2").user


@pytest.fixture
def shooter2(staff_of, other_store):
    return staff_of(Role.PHOTOGRAPHER, other_store, user__username="shooter2").user


@pytest.fixture
def new_order(store, package, front_desk):
    """new_order(name) -> a fresh order of another customer of the store."""

    def make(name: str = "李四", store_=None, by=None):
        return OrderFactory(customer__store=store_ or store, customer__name=name, package=package,
                            by=by or front_desk)

    return make


@pytest.fixture
def other_order(new_order, other_store, desk2):
    return new_order("王五", store_=other_store, by=desk2)


@pytest.fixture
def lake(store):
    return OutdoorLocation.objects.create(store=store, name="西湖湖滨", daily_capacity=2)


@pytest.fixture
def gown(store, package):
    gown = Gown.objects.create(store=store, code="G001", style="白色鱼尾", addon_price=Decimal("800"))
    gown.packages.add(package)
    return gown


@pytest.fixture
def addon_gown(store):
    return Gown.objects.create(store=store, code="G002", style="红色秀禾", addon_price=Decimal("1200"))


@pytest.fixture
def booking(order, front_desk, photographer, makeup, lake, gown):
    """张三's shoot in three days, 10:00-14:00, with the photographer, makeup, the lake, a gown."""
    return booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                          photographer=photographer, makeup_artist=makeup, location=lake,
                          gowns=[gown])


@pytest.fixture
def other_booking(other_order, desk2, shooter2):
    return booking_create(stage=shoot_of(other_order), starts_at=at(3, 10), by=desk2,
                          photographer=shooter2)


def _shot(order, by, photographer=None, makeup=None):
    stage_complete(order=order, kind=StageKind.GOWN, by=by)
    stage_complete(order=order, kind=StageKind.SHOOT, by=by, assigned_to=photographer,
                   makeup_artist=makeup)
    order.refresh_from_db()
    return order


@pytest.fixture
def shot_order(order, front_desk, photographer, makeup):
    """An order of ¥5,999 with ¥1,000 off whose shoot is done."""
    order.discount = Decimal("1000.00")
    order.save(update_fields=["discount"])
    return _shot(order, front_desk, photographer, makeup)


@pytest.fixture
def selected_order(order, front_desk):
    """An order whose photos were selected: its products can go to the lab."""
    for kind in (StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION):
        stage_complete(order=order, kind=kind, by=front_desk)
    return order


def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


def _walkout(store, by, *, mobile="13912345678", name="李四") -> WalkOut:
    return walkout_record(store=store, by=by, name=name, mobile=mobile, reason=WalkOutReason.PRICE,
                          visited_at=timezone.now() - timedelta(hours=2))


# --- Bookings: who sees which ---------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/bookings/", "/api/sms-messages/", "/api/flow-cards/",
                                 "/api/reworks/", "/api/production-items/", "/api/walkouts/"])
def test_anonymous_visitors_are_refused(client, url):
    assert client.get(url).status_code in (401, 403)


@pytest.mark.parametrize("role", ["front_desk", "manager", "supervisor"])
def test_store_roles_see_their_stores_bookings_and_not_the_others(request, client, role, booking,
                                                                  other_booking):
    login(client, request.getfixturevalue(role))
    assert ids(client, "/api/bookings/") == {booking.pk}
    assert client.get(f"/api/bookings/{booking.pk}/").status_code == 200
    assert client.get(f"/api/bookings/{other_booking.pk}/").status_code == 404


def test_the_general_manager_sees_every_store_and_narrows_to_one(client, general_manager, store,
                                                                  booking, other_booking):
    login(client, general_manager)
    assert ids(client, "/api/bookings/") == {booking.pk, other_booking.pk}
    assert ids(client, "/api/bookings/", {"store": store.pk}) == {booking.pk}


def test_a_photographer_sees_only_their_own_bookings(client, booking, new_order, front_desk,
                                                     photographer, other_photographer):
    theirs = booking_create(stage=shoot_of(new_order()), starts_at=at(3, 10), by=front_desk,
                            photographer=other_photographer)
    login(client, photographer)
    assert ids(client, "/api/bookings/") == {booking.pk}
    assert client.get(f"/api/bookings/{theirs.pk}/").status_code == 404
    login(client, other_photographer)
    assert ids(client, "/api/bookings/") == {theirs.pk}


def test_a_makeup_artist_sees_the_bookings_they_do_makeup_for(client, booking, makeup):
    assert ids(login(client, makeup), "/api/bookings/") == {booking.pk}


def test_a_photographer_may_read_but_not_book_move_or_cancel(client, booking, photographer, order):
    login(client, photographer)
    assert post(client, "/api/bookings/", {"stage": order.stages.get(kind="selection").pk,
                                           "starts_at": at(5, 10).isoformat()}).status_code == 403
    assert post(client, f"/api/bookings/{booking.pk}/move/",
                {"starts_at": at(4, 10).isoformat()}).status_code == 403
    assert post(client, f"/api/bookings/{booking.pk}/cancel/",
                {"reason": "客户有事"}).status_code == 403


@pytest.mark.parametrize("role", ["specialist", "cashier"])
def test_roles_without_the_schedule_get_403(request, client, role, booking):
    login(client, request.getfixturevalue(role))
    assert client.get("/api/bookings/").status_code == 403
    assert client.get(f"/api/bookings/{booking.pk}/").status_code == 403


def test_the_mobile_is_full_for_the_front_desk_and_masked_for_a_photographer(client, booking,
                                                                             customer, front_desk,
                                                                             photographer):
    row = get_json(login(client, front_desk), "/api/bookings/")["results"][0]
    assert row["customer_mobile"] == customer.mobile
    row = get_json(login(client, photographer), "/api/bookings/")["results"][0]
    assert row["customer_mobile"] == customer.masked_mobile != customer.mobile


def test_bookings_filter_by_date_range_person_and_kind(client, booking, order, new_order,
                                                       front_desk, photographer,
                                                       other_photographer):
    later = booking_create(stage=shoot_of(new_order()), starts_at=at(6, 9), by=front_desk,
                           photographer=other_photographer)
    fitting = booking_create(stage=order.stages.get(kind=StageKind.GOWN), starts_at=at(1, 15),
                             by=front_desk)
    login(client, front_desk)
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert ids(client, "/api/bookings/", {"start": day, "end": day}) == {booking.pk}
    assert ids(client, "/api/bookings/", {"start": day}) == {booking.pk, later.pk}
    assert ids(client, "/api/bookings/", {"end": day}) == {booking.pk, fitting.pk}
    assert ids(client, "/api/bookings/", {"person": other_photographer.pk}) == {later.pk}
    assert ids(client, "/api/bookings/", {"person": photographer.pk}) == {booking.pk}
    assert ids(client, "/api/bookings/", {"kind": "gown"}) == {fitting.pk}
    assert client.get("/api/bookings/", {"kind": "pickup"}).status_code == 400
    assert client.get("/api/bookings/", {"start": "2025-13-01"}).status_code == 400


def test_the_booking_list_costs_the_same_queries_for_2_or_12(client, front_desk, new_order,
                                                            photographer, gown, addon_gown,
                                                            django_assert_num_queries):
    def book(n: int) -> None:
        for _ in range(n):
            order = new_order()
            fitting = booking_create(stage=order.stages.get(kind=StageKind.GOWN),
                                     starts_at=at(2, 9), by=front_desk)
            booking_cancel(booking=fitting, by=front_desk, reason="改天")
            booking_create(stage=order.stages.get(kind=StageKind.SELECTION), starts_at=at(9, 9),
                           by=front_desk)

    book(1)
    login(client, front_desk)
    few = count_queries(client, "/api/bookings/")
    assert few <= 10
    book(5)
    booking_create(stage=shoot_of(new_order()), starts_at=at(3, 10), by=front_desk,
                   photographer=photographer, gowns=[gown, addon_gown])
    with django_assert_num_queries(few):
        assert len(client.get("/api/bookings/").json()["results"]) == 13


# --- Bookings: book, move, cancel -----------------------------------------------------------------

def test_the_front_desk_books_a_shoot_with_its_people_location_and_gowns(
        client, order, front_desk, photographer, makeup, lake, gown, addon_gown):
    response = post(login(client, front_desk), "/api/bookings/", {
        "stage": shoot_of(order).pk, "starts_at": at(3, 10).isoformat(),
        "photographer": photographer.pk, "makeup_artist": makeup.pk, "location": lake.pk,
        "gowns": [gown.pk, addon_gown.pk], "note": "客户想拍湖边"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "shoot" and body["status"] == "booked"
    assert (body["photographer_name"], body["makeup_artist_name"]) == ("张摄影", "吴化妆")
    assert body["location_name"] == "西湖湖滨" and body["customer_name"] == "张三"
    assert [(g["code"], g["is_addon"], g["price"]) for g in body["gown_lines"]] == [
        ("G001", False, "0.00"), ("G002", True, "1200.00")]
    assert len(body["changes"]) == 1 and body["changes"][0]["before_starts_at"] is None
    stage = shoot_of(order)
    assert (stage.status, stage.scheduled_at, stage.assigned_to) == (
        StageStatus.SCHEDULED, at(3, 10), photographer)


def test_a_shoot_without_a_photographer_gets_a_free_one(client, order, front_desk, photographer):
    response = post(login(client, front_desk), "/api/bookings/",
                    {"stage": shoot_of(order).pk, "starts_at": at(3, 10).isoformat()})
    assert response.status_code == 201
    assert response.json()["photographer"] == photographer.pk
    assert response.json()["ends_at"].startswith(at(3, 14).isoformat()[:16])


def test_a_conflict_is_a_400_that_names_the_clash(client, booking, new_order, front_desk,
                                                  photographer):
    response = post(login(client, front_desk), "/api/bookings/", {
        "stage": shoot_of(new_order()).pk, "starts_at": at(3, 12).isoformat(),
        "photographer": photographer.pk})
    assert response.status_code == 400
    message = response.json()["photographer"][0]
    assert "张摄影" in message and "10:00-14:00" in message and "张三" in message
    assert Booking.objects.count() == 1


def test_a_gown_reserved_that_day_and_a_full_location_are_both_named(client, booking, new_order,
                                                                     front_desk, other_photographer,
                                                                     lake, gown):
    lake.daily_capacity = 1
    lake.save()
    response = post(login(client, front_desk), "/api/bookings/", {
        "stage": shoot_of(new_order()).pk, "starts_at": at(3, 15).isoformat(),
        "photographer": other_photographer.pk, "location": lake.pk, "gowns": [gown.pk]})
    assert response.status_code == 400
    assert {"gowns", "location"} <= set(response.json())


def test_bad_booking_input_is_a_400_with_the_field(client, order, front_desk):
    login(client, front_desk)
    response = post(client, "/api/bookings/", {"stage": shoot_of(order).pk,
                                               "starts_at": (timezone.now() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "starts_at" in response.json()
    response = post(client, "/api/bookings/", {"stage": shoot_of(order).pk})
    assert response.status_code == 400 and "starts_at" in response.json()


def test_a_stage_of_another_store_cannot_be_booked(client, front_desk, other_order):
    response = post(login(client, front_desk), "/api/bookings/", {
        "stage": shoot_of(other_order).pk, "starts_at": at(3, 10).isoformat()})
    assert response.status_code == 400 and "stage" in response.json()
    assert not Booking.objects.exists()


def test_a_photographer_of_another_store_is_not_one_to_pick(client, order, front_desk, shooter2):
    response = post(login(client, front_desk), "/api/bookings/", {
        "stage": shoot_of(order).pk, "starts_at": at(3, 10).isoformat(),
        "photographer": shooter2.pk})
    assert response.status_code == 400 and "photographer" in response.json()


def test_booking_what_the_schedule_does_not_take_is_a_409(client, order, booking, front_desk):
    login(client, front_desk)
    response = post(client, "/api/bookings/", {"stage": order.stages.get(kind=StageKind.ORDER).pk,
                                               "starts_at": at(3, 10).isoformat()})
    assert response.status_code == 409 and response.json()["code"] == "not_bookable"
    response = post(client, "/api/bookings/", {"stage": shoot_of(order).pk,
                                               "starts_at": at(4, 10).isoformat()})
    assert response.status_code == 409 and response.json()["code"] == "already_booked"


def test_moving_keeps_what_is_not_given_and_the_history_keeps_the_old_time(client, booking,
                                                                          front_desk, photographer,
                                                                          lake, gown):
    response = post(login(client, front_desk), f"/api/bookings/{booking.pk}/move/",
                    {"starts_at": at(4, 9).isoformat(), "note": "客户改期"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["photographer"], body["location"]) == (photographer.pk, lake.pk)
    assert [g["id"] for g in body["gowns"]] == [gown.pk]
    assert body["ends_at"].startswith(at(4, 13).isoformat()[:16])  # keeps its four hours
    assert [c["note"] for c in body["changes"]] == ["预约", "改期：客户改期"]
    assert body["changes"][1]["before_starts_at"].startswith(at(3, 10).isoformat()[:16])
    assert shoot_of(booking.stage.order).scheduled_at == at(4, 9)


def test_moving_with_null_clears_the_location_and_gowns(client, booking, front_desk):
    response = post(login(client, front_desk), f"/api/bookings/{booking.pk}/move/",
                    {"starts_at": at(4, 9).isoformat(), "location": None, "gowns": []})
    assert response.status_code == 200
    assert (response.json()["location"], response.json()["gowns"]) == (None, [])


def test_a_person_the_customer_asked_for_is_not_changed_on_a_move(client, order, front_desk,
                                                                  photographer, other_photographer):
    booked = booking_create(stage=shoot_of(order), starts_at=at(3, 10), by=front_desk,
                            photographer=photographer, requested_by_customer=True)
    response = post(login(client, front_desk), f"/api/bookings/{booked.pk}/move/",
                    {"starts_at": at(4, 10).isoformat(), "photographer": other_photographer.pk})
    assert response.status_code == 400 and "张摄影" in response.json()["photographer"][0]


def test_a_fitting_is_not_moved_onto_a_photographer(client, order, front_desk, photographer):
    fitting = booking_create(stage=order.stages.get(kind=StageKind.GOWN), starts_at=at(1, 15),
                             by=front_desk)
    login(client, front_desk)
    response = post(client, f"/api/bookings/{fitting.pk}/move/",
                    {"starts_at": at(2, 15).isoformat(), "photographer": photographer.pk})
    assert response.status_code == 400 and "photographer" in response.json()
    response = post(client, f"/api/bookings/{fitting.pk}/move/",
                    {"starts_at": at(2, 15).isoformat()})
    assert response.status_code == 200 and response.json()["photographer"] is None


def test_the_detail_carries_the_whole_history(client, booking, front_desk):
    booking_move(booking=booking, by=front_desk, starts_at=at(5, 10))
    booking_cancel(booking=booking, by=front_desk, reason="客户出差")
    body = get_json(login(client, front_desk), f"/api/bookings/{booking.pk}/")
    assert body["status"] == "cancelled"
    assert [c["note"] for c in body["changes"]] == ["预约", "改期", "取消：客户出差"]
    assert body["changes"][0]["by_name"] == front_desk.display_name


def test_cancelling_needs_a_reason_and_a_cancelled_booking_is_a_409(client, booking, front_desk):
    login(client, front_desk)
    response = post(client, f"/api/bookings/{booking.pk}/cancel/", {"reason": " "})
    assert response.status_code == 400 and "reason" in response.json()
    response = post(client, f"/api/bookings/{booking.pk}/cancel/", {"reason": "客户有事"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    for url, data in [(f"/api/bookings/{booking.pk}/cancel/", {"reason": "再取消"}),
                      (f"/api/bookings/{booking.pk}/move/", {"starts_at": at(5, 10).isoformat()})]:
        response = post(client, url, data)
        assert response.status_code == 409 and response.json()["code"] == "booking_closed"


def test_another_stores_booking_cannot_be_moved_or_cancelled(client, front_desk, other_booking):
    login(client, front_desk)
    assert post(client, f"/api/bookings/{other_booking.pk}/move/",
                {"starts_at": at(5, 10).isoformat()}).status_code == 404
    assert post(client, f"/api/bookings/{other_booking.pk}/cancel/",
                {"reason": "x"}).status_code == 404
    other_booking.refresh_from_db()
    assert other_booking.status == BookingStatus.BOOKED


# --- The SMS outbox -------------------------------------------------------------------------------

@pytest.fixture
def messages_(store, other_store, customer, front_desk):
    ours = SmsMessage.objects.create(mobile="13812345678", body="【人民路店】明天拍摄提醒",
                                     purpose="schedule:reminder", store_id=store.pk,
                                     customer_id=customer.pk, created_by=front_desk)
    failed = SmsMessage.objects.create(mobile="13912345678", body="取件通知", store_id=store.pk,
                                       status=SmsStatus.FAILED, error="网关超时")
    theirs = SmsMessage.objects.create(mobile="13712345678", body="滨江店", store_id=other_store.pk)
    return ours, failed, theirs


@pytest.mark.parametrize("role", ["front_desk", "manager", "supervisor"])
def test_the_outbox_shows_the_stores_messages_with_masked_mobiles(request, client, role,
                                                                  messages_, front_desk):
    ours, failed, _theirs = messages_
    login(client, request.getfixturevalue(role))
    rows = {r["id"]: r for r in get_json(client, "/api/sms-messages/")["results"]}
    assert set(rows) == {ours.pk, failed.pk}
    assert rows[ours.pk]["mobile"] == "138****5678"
    assert rows[ours.pk]["created_by_name"] == front_desk.display_name
    assert rows[failed.pk]["status"] == "failed" and rows[failed.pk]["error"] == "网关超时"


def test_the_general_manager_sees_every_stores_outbox(client, general_manager, messages_, store):
    login(client, general_manager)
    assert ids(client, "/api/sms-messages/") == {m.pk for m in messages_}
    assert ids(client, "/api/sms-messages/", {"store": store.pk, "status": "failed"}) == {
        messages_[1].pk}


@pytest.mark.parametrize("role", ["specialist", "cashier", "photographer"])
def test_roles_without_the_outbox_get_403(request, client, role, messages_):
    assert login(client, request.getfixturevalue(role)).get("/api/sms-messages/").status_code == 403


def test_the_outbox_costs_the_same_queries_for_3_or_30(client, front_desk, store, messages_,
                                                       django_assert_num_queries):
    login(client, front_desk)
    few = count_queries(client, "/api/sms-messages/")
    assert few <= 10
    SmsMessage.objects.bulk_create(SmsMessage(mobile=f"137{i:08d}", body="x", store_id=store.pk,
                                              created_by=front_desk) for i in range(28))
    with django_assert_num_queries(few):
        assert len(client.get("/api/sms-messages/").json()["results"]) == 30


# --- Flow cards -----------------------------------------------------------------------------------

def test_the_front_desk_registers_a_flow_card_and_its_credits(client, shot_order, front_desk,
                                                              photographer, makeup):
    response = post(login(client, front_desk), "/api/flow-cards/", {
        "order": shot_order.pk, "photographer": photographer.pk, "makeup_artist": makeup.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "4999.00" and body["photographer_name"] == "张摄影"
    assert {(c["role"], c["user_name"], c["amount"]) for c in body["credits"]} == {
        (Role.PHOTOGRAPHER, "张摄影", "2999.40"), (Role.MAKEUP_ARTIST, "吴化妆", "1999.60")}
    assert body["on"] == timezone.localdate().isoformat()


def test_a_second_flow_card_is_a_409(client, shot_order, front_desk, photographer):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer)
    response = post(login(client, front_desk), "/api/flow-cards/",
                    {"order": shot_order.pk, "photographer": photographer.pk})
    assert response.status_code == 409 and response.json()["code"] == "flow_card_exists"
    assert FlowCard.objects.count() == 1


def test_a_flow_card_needs_the_shoot_done_or_completes_it(client, order, front_desk, photographer):
    login(client, front_desk)
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    data = {"order": order.pk, "photographer": photographer.pk}
    response = post(client, "/api/flow-cards/", data)
    assert response.status_code == 409 and response.json()["code"] == "shoot_not_done"
    response = post(client, "/api/flow-cards/", {**data, "complete_shoot": True})
    assert response.status_code == 201
    assert shoot_of(order).status == StageStatus.DONE


def test_flow_card_refusals_by_input(client, shot_order, front_desk, shooter2, other_order,
                                     photographer):
    login(client, front_desk)
    response = post(client, "/api/flow-cards/", {"order": shot_order.pk, "photographer": shooter2.pk})
    assert response.status_code == 400 and "photographer" in response.json()
    response = post(client, "/api/flow-cards/", {"order": other_order.pk,
                                                 "photographer": photographer.pk})
    assert response.status_code == 400 and "order" in response.json()
    response = post(client, "/api/flow-cards/", {"order": shot_order.pk, "photographer": None})
    assert response.status_code == 400 and "photographer" in response.json()
    assert not FlowCard.objects.exists()


@pytest.mark.parametrize("role", ["cashier", "supervisor"])
def test_the_cashier_and_supervisor_read_flow_cards_but_do_not_register_them(
        request, client, role, shot_order, front_desk, photographer, other_order, desk2, shooter2):
    card = flow_card_create(order=shot_order, by=front_desk, photographer=photographer)
    _shot(other_order, desk2, shooter2)
    flow_card_create(order=other_order, by=desk2, photographer=shooter2)
    login(client, request.getfixturevalue(role))
    body = get_json(client, "/api/flow-cards/")
    assert [r["id"] for r in body["results"]] == [card.pk]
    assert body["results"][0]["credits"][0]["amount"] == "2999.40"
    assert post(client, "/api/flow-cards/", {"order": shot_order.pk,
                                             "photographer": photographer.pk}).status_code == 403


def test_flow_cards_filter_by_day_person_and_order(client, shot_order, new_order, front_desk,
                                                   photographer, makeup, other_photographer):
    card = flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                            makeup_artist=makeup)
    second = _shot(new_order(), front_desk, other_photographer)
    other_card = flow_card_create(order=second, by=front_desk, photographer=other_photographer)
    FlowCard.objects.filter(pk=other_card.pk).update(on=timezone.localdate() - timedelta(days=1))
    login(client, front_desk)
    today = timezone.localdate().isoformat()
    assert ids(client, "/api/flow-cards/", {"on": today}) == {card.pk}
    assert ids(client, "/api/flow-cards/", {"end": today}) == {card.pk, other_card.pk}
    assert ids(client, "/api/flow-cards/", {"person": makeup.pk}) == {card.pk}
    assert ids(client, "/api/flow-cards/", {"order": second.pk}) == {other_card.pk}


def test_the_flow_card_list_costs_the_same_queries_for_1_or_6(client, front_desk, new_order,
                                                              photographer, makeup,
                                                              django_assert_num_queries):
    def cards(n: int) -> None:
        for _ in range(n):
            shot = _shot(new_order(), front_desk, photographer, makeup)
            flow_card_create(order=shot, by=front_desk, photographer=photographer,
                             makeup_artist=makeup)

    cards(1)
    login(client, front_desk)
    few = count_queries(client, "/api/flow-cards/")
    assert few <= 10
    cards(5)
    with django_assert_num_queries(few):
        assert len(client.get("/api/flow-cards/").json()["results"]) == 6


# --- Rework ---------------------------------------------------------------------------------------

@pytest.fixture
def rework(shot_order, front_desk):
    return rework_request(order=shot_order, by=front_desk, reason="客户不满意外景光线",
                          items="重拍外景一组")


def test_the_front_desk_asks_for_a_rework(client, shot_order, front_desk):
    response = post(login(client, front_desk), "/api/reworks/", {
        "order": shot_order.pk, "items": "重修 5 张", "reason": "肤色偏黄"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested" and body["requested_by_name"] == front_desk.display_name
    assert body["customer_name"] == "张三"


def test_a_rework_request_is_refused_without_a_reason_or_a_done_shoot(client, order, front_desk,
                                                                      other_order):
    login(client, front_desk)
    response = post(client, "/api/reworks/", {"order": order.pk, "items": "重拍", "reason": "不满意"})
    assert response.status_code == 409 and response.json()["code"] == "shoot_not_done"
    response = post(client, "/api/reworks/", {"order": order.pk, "items": "重拍", "reason": " "})
    assert response.status_code == 400 and "reason" in response.json()
    response = post(client, "/api/reworks/", {"order": other_order.pk, "items": "重拍",
                                              "reason": "不满意"})
    assert response.status_code == 400 and "order" in response.json()
    assert not Rework.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "supervisor", "photographer", "cashier"])
def test_only_a_manager_decides_a_rework(request, client, role, rework):
    response = post(login(client, request.getfixturevalue(role)),
                    f"/api/reworks/{rework.pk}/decide/", {"approve": True})
    assert response.status_code == 403
    rework.refresh_from_db()
    assert rework.status == ReworkStatus.REQUESTED


@pytest.mark.parametrize("role", ["manager", "general_manager"])
def test_the_manager_approves_a_rework(request, client, role, rework):
    approver = request.getfixturevalue(role)
    response = post(login(client, approver), f"/api/reworks/{rework.pk}/decide/",
                    {"approve": True, "note": "同意重拍"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] == approver.pk
    assert body["decision_note"] == "同意重拍"


def test_another_stores_manager_gets_404(client, rework, other_manager):
    response = post(login(client, other_manager), f"/api/reworks/{rework.pk}/decide/",
                    {"approve": True})
    assert response.status_code == 404


def test_a_rejection_says_why_and_a_decided_rework_is_a_409(client, rework, manager):
    login(client, manager)
    response = post(client, f"/api/reworks/{rework.pk}/decide/", {"approve": False})
    assert response.status_code == 400 and "note" in response.json()
    response = post(client, f"/api/reworks/{rework.pk}/decide/",
                    {"approve": False, "note": "已超过返工期限"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    response = post(client, f"/api/reworks/{rework.pk}/decide/", {"approve": True})
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"


def test_an_approved_rework_is_done_and_only_then(client, rework, front_desk, manager):
    login(client, front_desk)
    response = post(client, f"/api/reworks/{rework.pk}/done/")
    assert response.status_code == 409
    rework_decide(rework=rework, by=manager, approve=True)
    response = post(client, f"/api/reworks/{rework.pk}/done/")
    assert response.status_code == 200
    assert response.json()["status"] == "done" and response.json()["done_at"]


def test_the_rework_list_puts_requests_first_and_hides_other_stores(
        client, rework, shot_order, front_desk, manager, other_order, desk2, shooter2):
    older = rework_request(order=shot_order, by=front_desk, reason="相册破损", items="相册重做")
    rework_decide(rework=older, by=manager, approve=True)
    _shot(other_order, desk2, shooter2)
    theirs = rework_request(order=other_order, by=desk2, reason="x", items="y")
    login(client, front_desk)
    assert [r["id"] for r in get_json(client, "/api/reworks/")["results"]] == [rework.pk, older.pk]
    assert ids(client, "/api/reworks/", {"status": "approved"}) == {older.pk}
    assert post(client, f"/api/reworks/{theirs.pk}/done/").status_code == 404


def test_the_rework_list_costs_the_same_queries_for_1_or_8(client, rework, shot_order, front_desk,
                                                           django_assert_num_queries):
    login(client, front_desk)
    few = count_queries(client, "/api/reworks/")
    assert few <= 10
    for i in range(7):
        rework_request(order=shot_order, by=front_desk, reason=f"原因{i}", items="重修")
    with django_assert_num_queries(few):
        assert len(client.get("/api/reworks/").json()["results"]) == 8


# --- Production items -----------------------------------------------------------------------------

def test_a_product_goes_through_every_step_and_the_pickup_notice_is_queued(client, selected_order,
                                                                            front_desk):
    login(client, front_desk)
    response = post(client, "/api/production-items/", {"order": selected_order.pk, "kind": "album",
                                                       "description": "30寸"})
    assert response.status_code == 201, response.content
    item = response.json()
    assert (item["status"], item["quantity"], item["is_late"]) == ("pending", 1, False)
    url = f"/api/production-items/{item['id']}"
    response = post(client, f"{url}/send/", {"due_on": _tomorrow().isoformat()})
    assert response.status_code == 200 and response.json()["status"] == "sent"
    assert post(client, f"{url}/arrive/").json()["status"] == "arrived"
    response = post(client, f"{url}/qc/", {"count": 1, "passed": True})
    assert response.status_code == 200 and response.json()["qc_by"] == front_desk.pk
    assert SmsMessage.objects.filter(dedupe_key=pickup_sms_key(selected_order.pk)).exists()
    response = post(client, f"{url}/pickup/", {"picked_up_by": "张三本人"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["picked_up_by"]) == ("picked_up", "张三本人")


def test_a_step_the_products_status_does_not_allow_is_a_409(client, selected_order, front_desk):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    login(client, front_desk)
    for step, data in [("arrive", {}), ("qc", {"count": 1, "passed": True}),
                       ("pickup", {"picked_up_by": "张三"})]:
        response = post(client, f"/api/production-items/{item.pk}/{step}/", data)
        assert response.status_code == 409, step
        assert response.json()["code"] == "transition_not_allowed"
    item.refresh_from_db()
    assert item.status == ProductionStatus.PENDING


def test_a_product_goes_to_the_lab_only_after_selection(client, order, front_desk):
    item = production_item_add(order=order, by=front_desk, kind=ProductKind.ALBUM)
    response = post(login(client, front_desk), f"/api/production-items/{item.pk}/send/",
                    {"due_on": _tomorrow().isoformat()})
    assert response.status_code == 409 and response.json()["code"] == "selection_not_done"


def test_bad_production_input_is_a_400(client, selected_order, front_desk):
    login(client, front_desk)
    assert post(client, "/api/production-items/", {"order": selected_order.pk,
                                                   "kind": "mug"}).status_code == 400
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM,
                               quantity=2)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = post(client, f"/api/production-items/{item.pk}/send/", {"due_on": yesterday})
    assert response.status_code == 400 and "due_on" in response.json()
    production_send(item=item, by=front_desk, due_on=_tomorrow())
    production_arrive(item=item, by=front_desk)
    response = post(client, f"/api/production-items/{item.pk}/qc/", {"count": 1, "passed": True})
    assert response.status_code == 400 and "count" in response.json()
    response = post(client, f"/api/production-items/{item.pk}/qc/", {"count": 2, "passed": False})
    assert response.status_code == 400 and "note" in response.json()


def test_late_products_are_flagged_and_filtered(client, selected_order, front_desk):
    late = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    production_send(item=late, by=front_desk, due_on=_tomorrow())
    ProductionItem.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    on_time = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.FRAME)
    production_send(item=on_time, by=front_desk, due_on=_tomorrow())
    waiting = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.FILES)
    login(client, front_desk)
    rows = {r["id"]: r["is_late"] for r in get_json(client, "/api/production-items/")["results"]}
    assert rows == {late.pk: True, on_time.pk: False, waiting.pk: False}
    assert ids(client, "/api/production-items/", {"late": "true"}) == {late.pk}
    assert ids(client, "/api/production-items/", {"late": "false"}) == {on_time.pk, waiting.pk}
    assert ids(client, "/api/production-items/", {"status": "pending"}) == {waiting.pk}
    assert ids(client, "/api/production-items/", {"order": selected_order.pk + 1000}) == set()


def test_another_stores_products_answer_404(client, selected_order, front_desk, desk2):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    login(client, desk2)
    assert ids(client, "/api/production-items/") == set()
    assert post(client, f"/api/production-items/{item.pk}/send/",
                {"due_on": _tomorrow().isoformat()}).status_code == 404
    response = post(client, "/api/production-items/", {"order": selected_order.pk, "kind": "album"})
    assert response.status_code == 400 and "order" in response.json()


def test_a_supervisor_reads_production_but_does_not_change_it(client, selected_order, front_desk,
                                                             supervisor):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    login(client, supervisor)
    assert ids(client, "/api/production-items/") == {item.pk}
    assert post(client, "/api/production-items/", {"order": selected_order.pk,
                                                   "kind": "album"}).status_code == 403
    assert post(client, f"/api/production-items/{item.pk}/send/",
                {"due_on": _tomorrow().isoformat()}).status_code == 403


@pytest.mark.parametrize("role", ["specialist", "photographer", "cashier"])
def test_roles_without_production_get_403(request, client, role):
    login(client, request.getfixturevalue(role))
    assert client.get("/api/production-items/").status_code == 403


def test_the_production_list_costs_the_same_queries_for_2_or_12(client, store, package,
                                                                front_desk,
                                                                django_assert_num_queries):
    def products(n: int) -> None:
        for _ in range(n):
            order = order_create(customer=CustomerFactory(store=store), package=package,
                                 by=front_desk)
            for kind in (ProductKind.ALBUM, ProductKind.FRAME):
                production_item_add(order=order, by=front_desk, kind=kind)

    products(1)
    login(client, front_desk)
    few = count_queries(client, "/api/production-items/")
    assert few <= 10
    products(5)
    with django_assert_num_queries(few):
        assert len(client.get("/api/production-items/").json()["results"]) == 12


# --- Walk-outs ------------------------------------------------------------------------------------

def test_the_front_desk_records_a_walkout(client, front_desk, store):
    visited = timezone.now() - timedelta(hours=1)
    response = post(login(client, front_desk), "/api/walkouts/", {
        "name": "王五", "title": "mr", "mobile": "13712345678", "reason": "style",
        "reason_note": "想要森系风格", "visited_at": visited.isoformat()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["store"], body["customer_name"], body["customer_mobile"]) == (
        store.pk, "王五", "13712345678")
    assert (body["status"], body["consultant"]) == ("following", front_desk.pk)


def test_bad_walkout_input_is_a_400_and_the_same_visit_a_409(client, front_desk):
    login(client, front_desk)
    visited = (timezone.now() - timedelta(hours=1)).isoformat()
    data = {"name": "王五", "mobile": "12345", "reason": "price", "visited_at": visited}
    response = post(client, "/api/walkouts/", data)
    assert response.status_code == 400 and "mobile" in response.json()
    response = post(client, "/api/walkouts/", {**data, "mobile": "13712345678", "reason": "other"})
    assert response.status_code == 400 and "reason_note" in response.json()
    assert post(client, "/api/walkouts/", {**data, "mobile": "13712345678"}).status_code == 201
    response = post(client, "/api/walkouts/", {**data, "mobile": "13712345678"})
    assert response.status_code == 409 and response.json()["code"] == "walkout_exists"


def test_the_general_manager_names_the_store_of_a_walkout(client, general_manager, other_store):
    login(client, general_manager)
    data = {"name": "王五", "mobile": "13712345678", "reason": "price",
            "visited_at": (timezone.now() - timedelta(hours=1)).isoformat()}
    response = post(client, "/api/walkouts/", data)
    assert response.status_code == 400 and "store" in response.json()
    response = post(client, "/api/walkouts/", {**data, "store": other_store.pk})
    assert response.status_code == 201 and response.json()["store"] == other_store.pk


def test_the_front_desk_records_only_for_its_own_store(client, front_desk, other_store):
    response = post(login(client, front_desk), "/api/walkouts/", {
        "name": "王五", "mobile": "13712345678", "reason": "price", "store": other_store.pk,
        "visited_at": (timezone.now() - timedelta(hours=1)).isoformat()})
    assert response.status_code == 400 and "store" in response.json()
    assert not WalkOut.objects.exists()


def test_converting_a_walkout_needs_the_customers_order_after_the_visit(client, store, front_desk,
                                                                       package, new_order):
    walkout = _walkout(store, front_desk)
    someone_else = new_order("赵六")
    theirs = order_create(customer=walkout.customer, package=package, by=front_desk)
    login(client, front_desk)
    url = f"/api/walkouts/{walkout.pk}/convert/"
    response = post(client, url, {"order": someone_else.pk})
    assert response.status_code == 400 and "order" in response.json()
    response = post(client, url, {"order": theirs.pk})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["converted_order"]) == ("converted", theirs.pk)
    response = post(client, url, {"order": theirs.pk})
    assert response.status_code == 409 and response.json()["code"] == "walkout_closed"


def test_giving_up_a_walkout_needs_a_reason(client, store, front_desk):
    walkout = _walkout(store, front_desk)
    login(client, front_desk)
    url = f"/api/walkouts/{walkout.pk}/give-up/"
    assert post(client, url, {"note": ""}).status_code == 400
    response = post(client, url, {"note": "已在别家拍"})
    assert response.status_code == 200 and response.json()["status"] == WalkOutStatus.LOST


def test_another_stores_walkout_answers_404(client, other_store, desk2, front_desk):
    walkout = _walkout(other_store, desk2)
    login(client, front_desk)
    assert ids(client, "/api/walkouts/") == set()
    assert post(client, f"/api/walkouts/{walkout.pk}/give-up/", {"note": "x"}).status_code == 404
    assert post(client, f"/api/walkouts/{walkout.pk}/convert/", {"order": 1}).status_code == 404


def test_a_supervisor_reads_walkouts_and_a_specialist_has_none(client, store, front_desk,
                                                               supervisor, specialist):
    walkout = _walkout(store, front_desk)
    login(client, supervisor)
    assert ids(client, "/api/walkouts/") == {walkout.pk}
    assert post(client, f"/api/walkouts/{walkout.pk}/give-up/", {"note": "x"}).status_code == 403
    assert login(client, specialist).get("/api/walkouts/").status_code == 403


def test_walkouts_filter_by_status_reason_and_name_or_mobile(client, store, front_desk):
    price = _walkout(store, front_desk, mobile="13912345678", name="李四")
    style = walkout_record(store=store, by=front_desk, name="周七", mobile="13612345678",
                           reason=WalkOutReason.STYLE, visited_at=timezone.now() - timedelta(hours=3))
    login(client, front_desk)
    assert ids(client, "/api/walkouts/", {"reason": "style"}) == {style.pk}
    assert ids(client, "/api/walkouts/", {"q": "1391"}) == {price.pk}
    assert ids(client, "/api/walkouts/", {"q": "周七"}) == {style.pk}
    assert ids(client, "/api/walkouts/", {"status": "lost"}) == set()
    assert client.get("/api/walkouts/", {"status": "gone"}).status_code == 400


def test_the_walkout_list_costs_the_same_queries_for_1_or_10(client, store, front_desk,
                                                             django_assert_num_queries):
    _walkout(store, front_desk, mobile="13900000000")
    login(client, front_desk)
    few = count_queries(client, "/api/walkouts/")
    assert few <= 10
    for i in range(1, 10):
        _walkout(store, front_desk, mobile=f"1390000000{i}")
    with django_assert_num_queries(few):
        assert len(client.get("/api/walkouts/").json()["results"]) == 10


# --- Schema ---------------------------------------------------------------------------------------

def test_the_schema_documents_the_front_desk_endpoints(client, front_desk):
    schema = login(client, front_desk).get("/api/schema/").content.decode()
    for path in ["/api/bookings/", "/api/bookings/{id}/", "/api/bookings/{booking_id}/move/",
                 "/api/bookings/{booking_id}/cancel/", "/api/sms-messages/", "/api/flow-cards/",
                 "/api/reworks/", "/api/reworks/{rework_id}/decide/", "/api/reworks/{rework_id}/done/",
                 "/api/production-items/", "/api/production-items/{item_id}/send/",
                 "/api/production-items/{item_id}/arrive/", "/api/production-items/{item_id}/qc/",
                 "/api/production-items/{item_id}/pickup/", "/api/walkouts/",
                 "/api/walkouts/{walkout_id}/convert/", "/api/walkouts/{walkout_id}/give-up/"]:
        assert path in schema, path
    for enum in ["BookingStatusEnum", "ProductionStatusEnum", "ReworkStatusEnum", "SmsStatusEnum",
                 "WalkOutStatusEnum"]:
        assert enum in schema, enum


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
