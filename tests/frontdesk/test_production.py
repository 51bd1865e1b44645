"""Production chasing (催件): products are sent, arrive, are checked and picked up; the
customer's pickup notice goes out once, after every product of the order passed its check."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from frontdesk.models import ProductionItem, ProductionStatus, ProductKind
from frontdesk.production import (
    pickup_sms_key,
    production_arrive,
    production_item_add,
    production_late,
    production_list_for_production,
    production_pickup,
    production_qc,
    production_send,
)
from orders.models import StageKind
from orders.services import order_cancel, order_create, stage_complete
from staff.models import Role
from studio.errors import DomainError, TransitionNotAllowed
from studio.models import SmsMessage
from tests.factories import CustomerFactory

pytestmark = pytest.mark.clock


@pytest.fixture
def selected_order(order, front_desk):
    """An order whose photos were selected: its products can go to the lab."""
    for kind in (StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION):
        stage_complete(order=order, kind=kind, by=front_desk)
    return order


def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


def _arrived(order, by, kind=ProductKind.ALBUM, quantity=1) -> ProductionItem:
    item = production_item_add(order=order, by=by, kind=kind, quantity=quantity)
    production_send(item=item, by=by, due_on=_tomorrow())
    return production_arrive(item=item, by=by)


# --- The workflow in memory ----------------------------------------------------------------------

def test_a_product_cannot_be_checked_before_it_arrives():
    item = ProductionItem(kind=ProductKind.ALBUM, status=ProductionStatus.SENT)
    with pytest.raises(TransitionNotAllowed):
        item.move_to(ProductionStatus.QC_PASSED)


def test_a_failed_product_can_only_go_back_to_the_lab():
    item = ProductionItem(kind=ProductKind.FRAME, status=ProductionStatus.QC_FAILED)
    with pytest.raises(TransitionNotAllowed):
        item.move_to(ProductionStatus.PICKED_UP)
    item.move_to(ProductionStatus.SENT)
    assert item.status == ProductionStatus.SENT


# --- Services ------------------------------------------------------------------------------------

def test_a_product_goes_to_the_lab_only_after_photo_selection(order, front_desk):
    item = production_item_add(order=order, by=front_desk, kind=ProductKind.ALBUM)
    with pytest.raises(DomainError, match="选片"):
        production_send(item=item, by=front_desk, due_on=_tomorrow())
    item.refresh_from_db()
    assert item.status == ProductionStatus.PENDING


def test_a_product_cannot_be_due_back_before_today(selected_order, front_desk):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    with pytest.raises(ValidationError) as err:
        production_send(item=item, by=front_desk,
                        due_on=timezone.localdate() - timedelta(days=1))
    assert "due_on" in err.value.message_dict


def test_pickup_notice_only_after_every_product_passed_its_check(
        selected_order, front_desk, django_capture_on_commit_callbacks):
    album = _arrived(selected_order, front_desk, ProductKind.ALBUM)
    frame = _arrived(selected_order, front_desk, ProductKind.FRAME, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        production_qc(item=album, by=front_desk, count=1, passed=True)
    assert not SmsMessage.objects.exists()  # the frames are still waiting for their check

    with django_capture_on_commit_callbacks(execute=True):
        production_qc(item=frame, by=front_desk, count=2, passed=True)
    sms = SmsMessage.objects.get()
    assert sms.dedupe_key == pickup_sms_key(selected_order.pk)
    assert sms.mobile == selected_order.customer.mobile and "取件" in sms.body
    assert sms.customer_id == selected_order.customer_id


def test_a_failed_check_sends_the_product_back_and_holds_the_notice(
        selected_order, front_desk, django_capture_on_commit_callbacks):
    album = _arrived(selected_order, front_desk)
    production_qc(item=album, by=front_desk, count=1, passed=False, note="封面划痕")
    album.refresh_from_db()
    assert album.status == ProductionStatus.QC_FAILED and album.qc_note == "封面划痕"
    assert not SmsMessage.objects.exists()

    production_send(item=album, by=front_desk, due_on=_tomorrow())
    album.refresh_from_db()
    assert album.status == ProductionStatus.SENT and album.arrived_at is None
    production_arrive(item=album, by=front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        production_qc(item=album, by=front_desk, count=1, passed=True)
    assert SmsMessage.objects.count() == 1


def test_the_pickup_notice_is_sent_once_per_order(selected_order, front_desk):
    production_qc(item=_arrived(selected_order, front_desk), by=front_desk, count=1, passed=True)
    # A product added later passes too: the customer is not told a second time.
    production_qc(item=_arrived(selected_order, front_desk, ProductKind.FILES), by=front_desk,
                  count=1, passed=True)
    assert SmsMessage.objects.filter(dedupe_key=pickup_sms_key(selected_order.pk)).count() == 1


def test_a_product_passes_only_when_the_count_matches(selected_order, front_desk):
    frames = _arrived(selected_order, front_desk, ProductKind.FRAME, quantity=3)
    with pytest.raises(ValidationError) as err:
        production_qc(item=frames, by=front_desk, count=2, passed=True)
    assert "count" in err.value.message_dict
    frames.refresh_from_db()
    assert frames.status == ProductionStatus.ARRIVED and not SmsMessage.objects.exists()


def test_a_failed_check_needs_a_note(selected_order, front_desk):
    album = _arrived(selected_order, front_desk)
    with pytest.raises(ValidationError) as err:
        production_qc(item=album, by=front_desk, count=1, passed=False, note="  ")
    assert "note" in err.value.message_dict


def test_the_check_records_who_counted_what(selected_order, front_desk):
    album = production_qc(item=_arrived(selected_order, front_desk), by=front_desk, count=1,
                          passed=True, note="完好")
    assert (album.qc_count, album.qc_by, album.qc_note) == (1, front_desk, "完好")
    assert album.qc_at is not None


def test_pickup_records_who_took_the_product(selected_order, front_desk):
    album = production_qc(item=_arrived(selected_order, front_desk), by=front_desk, count=1,
                          passed=True)
    with pytest.raises(ValidationError):
        production_pickup(item=album, by=front_desk, picked_up_by=" ")
    album = production_pickup(item=album, by=front_desk, picked_up_by="张三母亲")
    assert album.status == ProductionStatus.PICKED_UP and album.picked_up_by == "张三母亲"
    assert album.picked_up_at is not None


def test_a_product_not_checked_cannot_be_picked_up(selected_order, front_desk):
    with pytest.raises(TransitionNotAllowed):
        production_pickup(item=_arrived(selected_order, front_desk), by=front_desk,
                          picked_up_by="张三")


def test_a_cancelled_orders_products_are_not_chased(selected_order, front_desk):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    order_cancel(order=selected_order, by=front_desk, reason="客户退单")
    with pytest.raises(DomainError):
        production_send(item=item, by=front_desk, due_on=_tomorrow())
    with pytest.raises(DomainError):
        production_item_add(order=selected_order, by=front_desk, kind=ProductKind.FRAME)


def test_a_product_needs_a_known_kind_and_a_quantity(order, front_desk):
    with pytest.raises(ValidationError) as err:
        production_item_add(order=order, by=front_desk, kind="mug")
    assert "kind" in err.value.message_dict
    with pytest.raises(ValidationError):
        production_item_add(order=order, by=front_desk, kind=ProductKind.ALBUM, quantity=0)


# --- Selectors -----------------------------------------------------------------------------------

def test_late_production_is_at_the_lab_past_its_due_date(selected_order, front_desk):
    today = timezone.localdate()
    late = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    production_send(item=late, by=front_desk, due_on=today)
    due_today = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.FRAME)
    production_send(item=due_today, by=front_desk, due_on=today)
    back = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.FILES)
    production_send(item=back, by=front_desk, due_on=today)
    production_arrive(item=back, by=front_desk)
    ProductionItem.objects.filter(pk__in=[late.pk, back.pk]).update(
        due_on=today - timedelta(days=2))
    assert list(production_late(front_desk, today=today)) == [late]


def test_late_production_shows_only_the_viewers_store(selected_order, front_desk, staff_of,
                                                      other_store):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    production_send(item=item, by=front_desk, due_on=timezone.localdate())
    ProductionItem.objects.filter(pk=item.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    elsewhere = staff_of(Role.FRONT_DESK, other_store, user__username="desk2").user
    assert list(production_late(elsewhere, today=timezone.localdate())) == []
    assert list(production_late(front_desk, today=timezone.localdate())) == [item]


def test_the_production_list_costs_one_query_at_any_size(
        store, package, front_desk, django_assert_num_queries):
    for _ in range(4):
        order = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
        for kind in (ProductKind.ALBUM, ProductKind.FRAME):
            production_item_add(order=order, by=front_desk, kind=kind)
    with django_assert_num_queries(1):
        rows = list(production_list_for_production(front_desk))
        [(r.order.customer.name, r.order.package.name, r.order.store.name) for r in rows]
    assert len(rows) == 8


# --- Pages ---------------------------------------------------------------------------------------

def test_the_front_desk_takes_a_product_through_from_the_order_page(
        client, selected_order, front_desk, django_capture_on_commit_callbacks):
    client.force_login(front_desk)
    page = reverse("frontdesk:production_order", args=[selected_order.pk])
    response = client.post(page, {"kind": "album", "quantity": "1", "description": "30寸"})
    assert response.status_code == 302
    item = ProductionItem.objects.get(order=selected_order)
    url = reverse("frontdesk:production_item", args=[item.pk])
    assert client.post(url, {"action": "send", "due_on": _tomorrow().isoformat()}).status_code == 302
    assert client.post(url, {"action": "arrive"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "qc", "count": "1", "passed": "yes"}).status_code == 302
    assert client.post(url, {"action": "pickup", "picked_up_by": "张三"}).status_code == 302
    item.refresh_from_db()
    assert item.status == ProductionStatus.PICKED_UP and item.qc_by == front_desk
    html = client.get(page).content.decode()
    assert "已通知取件" in html and "已取件" in html


@pytest.mark.parametrize("data, message", [
    ({"action": "send", "due_on": "2000-01-01"}, "不能早于今天"),
    ({"action": "send", "due_on": "not-a-date"}, "日期"),
    ({"action": "qc", "count": "abc", "passed": "yes"}, "整数"),
    ({"action": "arrive"}, "不能改为"),
    ({"action": "explode"}, "未知的操作"),
])
def test_bad_input_on_a_product_is_a_form_error_not_a_500(client, selected_order, front_desk,
                                                         data, message):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    client.force_login(front_desk)
    response = client.post(reverse("frontdesk:production_item", args=[item.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    item.refresh_from_db()
    assert item.status == ProductionStatus.PENDING


def test_another_stores_products_answer_404(client, selected_order, front_desk, staff_of,
                                             other_store):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    client.force_login(staff_of(Role.FRONT_DESK, other_store, user__username="desk2").user)
    assert client.get(reverse("frontdesk:production_order",
                              args=[selected_order.pk])).status_code == 404
    assert client.post(reverse("frontdesk:production_item", args=[item.pk]),
                       {"action": "send", "due_on": _tomorrow().isoformat()}).status_code == 404


def test_a_supervisor_sees_production_but_cannot_change_it(client, selected_order, front_desk,
                                                            supervisor):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    client.force_login(supervisor)
    assert client.get(reverse("frontdesk:production")).status_code == 200
    assert client.post(reverse("frontdesk:production_item", args=[item.pk]),
                       {"action": "send", "due_on": _tomorrow().isoformat()}).status_code == 403
    assert client.post(reverse("frontdesk:production_order", args=[selected_order.pk]),
                       {"kind": "frame", "quantity": "1"}).status_code == 403


def test_roles_without_production_get_403(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("frontdesk:production")).status_code == 403
    assert client.get(reverse("frontdesk:late_production")).status_code == 403


def test_the_late_list_shows_what_to_chase(client, selected_order, front_desk):
    item = production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM,
                               description="水晶相册")
    production_send(item=item, by=front_desk, due_on=timezone.localdate())
    ProductionItem.objects.filter(pk=item.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    client.force_login(front_desk)
    html = client.get(reverse("frontdesk:late_production")).content.decode()
    assert "水晶相册" in html and 'data-testid="late-production-row"' in html


def test_the_production_list_filters_by_status(client, selected_order, front_desk):
    production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM,
                        description="水晶相册")
    client.force_login(front_desk)
    url = reverse("frontdesk:production")
    assert "水晶相册" in client.get(url, {"status": "pending"}).content.decode()
    assert "水晶相册" not in client.get(url, {"status": "sent"}).content.decode()
    assert client.get(url, {"status": "bogus", "page": "x"}).status_code == 200


def test_the_customer_page_links_each_order_to_its_products(client, selected_order, front_desk):
    production_item_add(order=selected_order, by=front_desk, kind=ProductKind.ALBUM)
    client.force_login(front_desk)
    html = client.get(reverse("orders:customer", args=[selected_order.customer_id])).content.decode()
    assert 'data-testid="production-summary"' in html
    assert reverse("frontdesk:production_order", args=[selected_order.pk]) in html
