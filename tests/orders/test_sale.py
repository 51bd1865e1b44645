"""The sale (issue 16), service by service: 开单 with its stages, add-ons and deposit, the
discount waiting for the manager, changes after the sale, cancelling with everything it undoes,
the money rules and the receipts' numbers. Figures are computed by hand in each test."""
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from callbacks.models import CallbackPurpose, CallbackStatus
from callbacks.services import callback_task_create, policy_for
from frontdesk.models import BookingStatus
from frontdesk.schedule import booking_create
from membership.models import PointsKind
from orders.models import (
    FollowUpStatus,
    LateFollowUp,
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    Receipt,
    StageKind,
    StageStatus,
)
from orders.services import (
    order_approve,
    order_cancel,
    order_change,
    order_create,
    payment_record,
    receipt_issue,
    stage_complete,
    stage_schedule,
)
from studio.errors import TransitionNotAllowed
from tests.customers.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory
from tests.orders.factories import ChildrenPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _march(time_machine):
    time_machine.move_to(at(3, 10), tick=False)


def _sell(customer, package, by, **kwargs) -> Order:
    return order_create(customer=customer, package=package, by=by, **kwargs)


# ---- 开单 ---------------------------------------------------------------------------------------

def test_an_order_lays_out_its_package_s_stages_with_the_order_stage_done(customer, front_desk):
    wedding = PackageFactory(name="婚纱A", includes_gown_selection=True)
    children = ChildrenPackageFactory(name="儿童A")
    first = _sell(customer, wedding, front_desk)
    second = _sell(customer, children, front_desk)
    assert [s.kind for s in first.stages.order_by("sequence")] == [
        "order", "gown", "shoot", "selection", "pickup"]
    assert [s.kind for s in second.stages.order_by("sequence")] == [
        "order", "shoot", "selection", "pickup"]
    assert first.stages.get(kind="order").status == StageStatus.DONE
    assert (first.status, first.current_stage) == (OrderStatus.ACTIVE, StageKind.GOWN)
    assert second.current_stage == StageKind.SHOOT
    assert first.stages.get(kind="gown").specialist == customer.assigned_to
    assert OrderEvent.objects.get(order=first).action == "created"


def test_the_deposit_add_ons_and_discount_make_the_balance_with_a_receipt(customer, front_desk,
                                                                        package):
    order = _sell(customer, package, front_desk, amount=D("6000"), discount=D("500"),
                  addons=[("加大相册", D("800")), ("相框", "200")], deposit=D("2000"),
                  deposit_method="cash", planned_on=at(4, 1).date(), notes="想拍海边")
    # 6000 - 500 + 800 + 200 - 2000 = 4500
    assert (order.extras_total, order.paid_total, order.balance_owed) == (
        D("1000"), D("2000"), D("4500"))
    deposit = order.payments.get()
    assert (deposit.kind, deposit.method, deposit.amount) == ("deposit", "cash", D("2000"))
    assert deposit.receipt.number == "S01-2026-000001"
    assert sorted(order.addons.values_list("name", flat=True)) == ["加大相册", "相框"]
    assert order.planned_on == at(4, 1).date() and order.created_by == front_desk


def test_a_deposit_above_what_is_owed_writes_nothing(customer, front_desk, package):
    with pytest.raises(ValidationError) as refused:
        _sell(customer, package, front_desk, amount=D("3000"), deposit=D("3500"))
    assert "deposit" in refused.value.message_dict
    assert "¥3,000.00" in refused.value.message_dict["deposit"][0]
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_the_same_request_key_makes_one_order_and_one_deposit(customer, front_desk, package):
    first = _sell(customer, package, front_desk, deposit=D("1000"), request_key="k-1")
    again = _sell(customer, package, front_desk, deposit=D("1000"), request_key="k-1")
    assert first.pk == again.pk
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_bad_input_is_a_field_error(customer, front_desk, package):
    with pytest.raises(ValidationError) as refused:
        _sell(customer, package, front_desk, discount=D("9000"))
    assert "discount" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _sell(customer, package, front_desk, addons=[("", "10")])
    assert "addons" in refused.value.message_dict
    package.is_active = False
    package.save()
    with pytest.raises(ValidationError) as refused:
        _sell(customer, package, front_desk)
    assert "package" in refused.value.message_dict
    assert not Order.objects.exists()


def test_another_store_s_package_is_not_sold_here(customer, front_desk, other_store):
    theirs = PackageFactory(name="滨江专属", store=other_store)
    with pytest.raises(ValidationError) as refused:
        _sell(customer, theirs, front_desk)
    assert "package" in refused.value.message_dict


@pytest.mark.parametrize("role", ["specialist", "supervisor", "cashier", "photographer"])
def test_only_the_front_desk_and_the_managers_sell(staff_of, customer, package, role):
    with pytest.raises(PermissionDenied):
        _sell(customer, package, staff_of(role).user)
    assert not Order.objects.exists()


# ---- the discount above the store's limit -------------------------------------------------------

def test_a_discount_above_the_limit_waits_for_the_manager(customer, front_desk, manager, package,
                                                         store):
    store.discount_limit = D("500")
    store.save()
    order = _sell(customer, package, front_desk, discount=D("800"), deposit=D("1000"))
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert order.stages.get(kind="order").status == StageStatus.PENDING
    assert order.current_stage == StageKind.ORDER
    assert order.paid_total == D("1000")  # the deposit is taken while it waits
    with pytest.raises(TransitionNotAllowed) as refused:
        stage_schedule(order=order, kind="gown", at=at(3, 20), by=front_desk)
    assert refused.value.code == "order_pending_approval"
    with pytest.raises(PermissionDenied):
        order_approve(order=order, by=front_desk)

    # On the customer page the 定单 stage waits for the manager, not for a booking (待安排).
    client = Client()
    client.force_login(front_desk)
    page = client.get(reverse("orders:customer", args=[customer.pk])).content.decode()
    badge = re.search(r'data-stage="order".*?data-testid="stage-status">([^<]*)<', page, re.S)
    assert badge.group(1) == "待审批"

    order_approve(order=order, by=manager, note="老客户介绍")
    order.refresh_from_db()
    assert (order.status, order.approved_by, order.current_stage) == (
        OrderStatus.ACTIVE, manager, StageKind.GOWN)
    assert order.stages.get(kind="order").status == StageStatus.DONE
    assert order.events.filter(action="approved", by=manager).exists()
    with pytest.raises(TransitionNotAllowed):
        order_approve(order=order, by=manager)


def test_a_discount_brought_back_within_the_limit_makes_the_order_stand(customer, front_desk,
                                                                       package, store):
    store.discount_limit = D("500")
    store.save()
    order = _sell(customer, package, front_desk, discount=D("800"))
    assert order.status == OrderStatus.PENDING_APPROVAL
    changed = order_change(order=order, by=front_desk, discount=D("500"), note="按额度")
    assert (changed.status, changed.current_stage) == (OrderStatus.ACTIVE, StageKind.GOWN)
    assert changed.stages.get(kind="order").status == StageStatus.DONE


def test_within_the_limit_or_by_a_manager_the_order_is_active_at_once(customer, front_desk,
                                                                     manager, package, store):
    store.discount_limit = D("500")
    store.save()
    assert _sell(customer, package, front_desk, discount=D("500")).status == OrderStatus.ACTIVE
    by_manager = _sell(customer, package, manager, discount=D("1500"))
    assert (by_manager.status, by_manager.approved_by) == (OrderStatus.ACTIVE, manager)


# ---- changes after the sale ----------------------------------------------------------------------

def test_an_upgrade_changes_the_price_the_stages_and_the_balance(customer, front_desk):
    children = ChildrenPackageFactory(name="儿童基础", price=D("1999"))
    wedding = PackageFactory(name="婚纱升级", price=D("8999"), includes_gown_selection=True)
    order = _sell(customer, children, front_desk, deposit=D("1000"))
    assert order.balance_owed == D("999")
    changed = order_change(order=order, by=front_desk, package=wedding, note="客户升级")
    # 8999 - 0 discount - 1000 paid = 7999
    assert (changed.package, changed.amount, changed.balance_owed) == (wedding, D("8999"), D("7999"))
    assert [s.kind for s in changed.stages.order_by("sequence")] == [
        "order", "gown", "shoot", "selection", "pickup"]
    assert changed.current_stage == StageKind.GOWN
    event = changed.events.get(action="package")
    assert (event.before, event.after, event.by, event.note) == (
        "儿童基础 ¥1,999.00", "婚纱升级 ¥8,999.00", front_desk, "客户升级")


def test_a_downgrade_cannot_drop_a_stage_already_done(customer, front_desk, package):
    order = _sell(customer, package, front_desk)
    stage_complete(order=order, kind="gown", by=front_desk)
    children = ChildrenPackageFactory(name="儿童降级")
    with pytest.raises(TransitionNotAllowed):
        order_change(order=order, by=front_desk, package=children)
    order.refresh_from_db()
    assert order.package == package and order.stages.count() == 5


def test_add_ons_after_the_sale_consultant_and_scene_are_each_an_event(customer, front_desk,
                                                                       package, staff_of):
    other = staff_of("front_desk").user
    order = _sell(customer, package, front_desk)
    changed = order_change(order=order, by=front_desk, addons=[("精修加 10 张", D("500"))],
                           consultant=other, scene="海边")
    assert changed.balance_owed == D("5999") + D("500")
    assert sorted(changed.events.values_list("action", flat=True)) == [
        "addon", "consultant", "created", "scene"]
    with pytest.raises(ValidationError):
        order_change(order=order, by=front_desk)  # nothing to change


def test_a_front_desk_cannot_raise_a_discount_above_the_limit(customer, front_desk, package, store):
    store.discount_limit = D("300")
    store.save()
    order = _sell(customer, package, front_desk)
    with pytest.raises(ValidationError) as refused:
        order_change(order=order, by=front_desk, discount=D("400"))
    assert "discount" in refused.value.message_dict


def test_nothing_changes_after_pickup(customer, front_desk, package):
    order = _sell(customer, package, front_desk, deposit=D("5999"))
    for kind in ("gown", "shoot", "selection"):
        stage_complete(order=order, kind=kind, by=front_desk)
    stage_complete(order=order, kind="pickup", by=front_desk, picked_up_by="张三")
    with pytest.raises(TransitionNotAllowed) as refused:
        order_change(order=order, by=front_desk, scene="别处")
    assert refused.value.code == "order_picked_up"


def test_a_change_cannot_leave_less_owed_than_was_paid(customer, front_desk, package):
    order = _sell(customer, package, front_desk, deposit=D("5000"))
    with pytest.raises(ValidationError) as refused:
        order_change(order=order, by=front_desk, amount=D("4000"))
    assert "amount" in refused.value.message_dict


# ---- the money rules -------------------------------------------------------------------------------

def test_money_in_above_what_is_owed_is_refused_with_the_amount_owed(customer, front_desk,
                                                                     package):
    order = _sell(customer, package, front_desk, amount=D("7999"))
    with pytest.raises(ValidationError) as refused:
        payment_record(order=order, kind="balance", amount=D("100000"), received_by=front_desk)
    assert "¥7,999.00" in refused.value.message_dict["amount"][0]
    payment_record(order=order, kind="balance", amount=D("7999"), received_by=front_desk)
    order.refresh_from_db()
    assert order.balance_owed == 0
    with pytest.raises(ValidationError):
        payment_record(order=order, kind="balance", amount=D("0.01"), received_by=front_desk)


def test_a_refund_takes_back_its_share_of_the_points_and_the_tier_follows_down(
        customer, front_desk, django_capture_on_commit_callbacks):
    account = MemberAccountFactory(customer=customer, number="VIP0001", by=front_desk)
    order = _sell(customer, PackageFactory(name="大套系", price=D("12000")), front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(order=order, kind="deposit", amount=D("10000"), received_by=front_desk)
    account.refresh_from_db()
    assert (account.points_balance, account.total_spent, account.tier.name) == (
        10000, D("10000"), "银卡")
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(order=order, kind="refund", amount=D("4000"), received_by=front_desk)
    account.refresh_from_db()
    # 10,000 points for ¥10,000: a ¥4,000 refund takes back 4,000; ¥6,000 is below 银卡's 10,000.
    assert (account.points_balance, account.total_spent, account.tier.name) == (
        6000, D("6000"), "普通")
    assert account.cards.get().events.filter(action="downgrade").exists()


# ---- cancelling --------------------------------------------------------------------------------

@pytest.fixture
def sold(customer, front_desk, specialist, store, django_capture_on_commit_callbacks):
    """张三, a member, buys a ¥12,000 package with a ¥10,000 deposit (银卡, 10,000 points); the
    gown selection is done (its callback open), the shoot booked and now late (a follow-up)."""
    account = MemberAccountFactory(customer=customer, number="VIP0001", by=front_desk)
    package = PackageFactory(name="大套系", price=D("12000"))
    with django_capture_on_commit_callbacks(execute=True):
        order = _sell(customer, package, front_desk, deposit=D("10000"))
    stage_complete(order=order, kind="gown", by=front_desk)
    gown = order.stages.get(kind="gown")
    callback = callback_task_create(customer=customer, purpose=CallbackPurpose.POST_SERVICE,
                                    triggered_at=at(3, 10), policy=policy_for(store.pk),
                                    stage=gown)
    booking = booking_create(stage=order.stages.get(kind="shoot"), starts_at=at(3, 12),
                             by=front_desk, now=at(3, 10))
    followup = LateFollowUp.objects.create(stage=order.stages.get(kind="shoot"),
                                           scheduled_at=at(3, 12), assigned_to=specialist,
                                           created_at=at(3, 13))
    return {"order": order, "account": account, "callback": callback, "booking": booking,
            "followup": followup}


def test_cancelling_undoes_everything_the_order_started(sold, front_desk,
                                                       django_capture_on_commit_callbacks):
    order = sold["order"]
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=front_desk, reason="客户出国", refund=D("8000"),
                     refund_method="cash")
    order.refresh_from_db()
    assert (order.status, order.cancelled_reason) == (OrderStatus.CANCELLED, "客户出国")
    # The refund through the ledger, with its receipt (the deposit had 000001).
    refund = order.payments.get(kind="refund")
    assert (refund.amount, refund.method, refund.receipt.number) == (
        D("8000"), "cash", "S01-2026-000002")
    assert order.paid_total == D("2000")
    assert not order.stages.filter(order_cancelled=False).exists()
    sold["callback"].refresh_from_db()
    assert sold["callback"].status == CallbackStatus.CANCELLED
    assert "客户出国" in sold["callback"].closed_note
    sold["booking"].refresh_from_db()
    assert sold["booking"].status == BookingStatus.CANCELLED
    sold["followup"].refresh_from_db()
    assert sold["followup"].status == FollowUpStatus.OBSOLETE
    account = sold["account"]
    account.refresh_from_db()
    # Every point the order earned is taken back; its spending leaves the total; 银卡 → 普通.
    assert (account.points_balance, account.total_spent, account.tier.name) == (0, D("0"), "普通")
    assert account.entries.aggregate(s=Sum("points"))["s"] == 0
    assert order.events.filter(action="cancelled", note="客户出国").exists()


def test_a_refund_is_capped_by_what_was_paid_and_cancelling_twice_is_refused(sold, front_desk):
    order = sold["order"]
    with pytest.raises(ValidationError) as refused:
        order_cancel(order=order, by=front_desk, reason="客户取消", refund=D("10000.01"))
    assert "refund" in refused.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and not order.payments.filter(kind="refund").exists()
    with pytest.raises(ValidationError):
        order_cancel(order=order, by=front_desk, reason="  ")
    order_cancel(order=order, by=front_desk, reason="客户取消")
    with pytest.raises(TransitionNotAllowed):
        order_cancel(order=order, by=front_desk, reason="再取消")
    with pytest.raises(TransitionNotAllowed):
        payment_record(order=order, kind="balance", amount=D("1"), received_by=front_desk)
    # A cancelled order still gives money back (a refund decided later).
    payment_record(order=order, kind="refund", amount=D("500"), received_by=front_desk)


def test_a_referrer_s_points_for_a_cancelled_order_are_taken_back(
        store, front_desk, package, django_capture_on_commit_callbacks):
    referrer = CustomerFactory(store=store, name="老客户")
    account = MemberAccountFactory(customer=referrer, number="VIP0009", by=front_desk)
    friend = CustomerFactory(store=store, referrer=referrer, name="新朋友")
    with django_capture_on_commit_callbacks(execute=True):
        order = _sell(friend, package, front_desk, deposit=D("1000"))
    account.refresh_from_db()
    assert account.points_balance == 500  # the store's default referral reward
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=front_desk, reason="不拍了")
    account.refresh_from_db()
    assert account.points_balance == 0
    assert account.entries.filter(kind=PointsKind.REVERSAL).count() == 1


# ---- receipts ------------------------------------------------------------------------------------

def test_receipt_numbers_run_per_store_and_year(customer, front_desk, package, other_store,
                                                staff_of, time_machine):
    order = _sell(customer, package, front_desk, amount=D("9000"))
    far_desk = staff_of("front_desk", other_store).user
    theirs = _sell(CustomerFactory(store=other_store), package, far_desk)
    numbers = [payment_record(order=order, kind="deposit", amount=D("100"),
                              received_by=front_desk).receipt.number for _ in range(3)]
    assert numbers == ["S01-2026-000001", "S01-2026-000002", "S01-2026-000003"]
    assert payment_record(order=theirs, kind="deposit", amount=D("100"),
                          received_by=far_desk).receipt.number == "S02-2026-000001"
    refund = payment_record(order=order, kind="refund", amount=D("50"), received_by=front_desk)
    assert refund.receipt.number == "S01-2026-000004"
    time_machine.move_to(at(1, 2, year=2027), tick=False)
    assert payment_record(order=order, kind="balance", amount=D("100"),
                          received_by=front_desk).receipt.number == "S01-2027-000001"


def test_a_payment_refused_gives_no_number(customer, front_desk, package):
    order = _sell(customer, package, front_desk, amount=D("1000"))
    payment_record(order=order, kind="deposit", amount=D("100"), received_by=front_desk)
    with pytest.raises(ValidationError):
        payment_record(order=order, kind="balance", amount=D("5000"), received_by=front_desk)
    assert payment_record(order=order, kind="balance", amount=D("100"),
                          received_by=front_desk).receipt.serial == 2
    assert list(Receipt.objects.order_by("serial").values_list("serial", flat=True)) == [1, 2]


def test_receipt_issue_is_one_per_payment(customer, front_desk, package):
    order = _sell(customer, package, front_desk, deposit=D("100"))
    with pytest.raises(IntegrityError), transaction.atomic():  # the one-to-one refuses it
        receipt_issue(order.payments.get())
    assert Receipt.objects.count() == 1


def test_stage_lists_leave_cancelled_orders_out_unless_asked(client, sold, front_desk, supervisor):
    order = sold["order"]
    order_cancel(order=order, by=front_desk, reason="客户取消")
    client.force_login(supervisor)
    running = client.get(reverse("orders:stage_list", args=["order"]), {"state": "all"})
    assert running.context["page"].paginator.count == 0
    cancelled = client.get(reverse("orders:stage_list", args=["order"]), {"state": "cancelled"})
    assert [s.order_id for s in cancelled.context["page"].object_list] == [order.pk]
