"""合并重复客户 (issue 16): customers_merge, membership's receiver, the page and
POST /api/customers/{id}/merge/ — everything of the merged record moves to the kept one in one
transaction, the merged record answers with a link and leaves every list, the refusals."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.urls import reverse

from callbacks.models import CallbackTask
from complaints.models import Complaint
from customers.models import Customer, CustomerAssignment, CustomerNote
from customers.selectors import customers_visible_to
from customers.services import (
    CustomerMergeRefused,
    customer_add_note,
    customer_find_or_create,
    customers_merge,
)
from customers.signals import customers_merging
from frontdesk.models import WalkOut
from frontdesk.production import walkout_record
from membership.merging import on_customers_merging
from membership.models import CardStatus, MemberAccount, MemberCard, PointsEntry, ReferralCashback
from membership.reconcile import ledger_differences
from orders.models import Order, OrderStage, Payment
from orders.services import order_create, payment_record
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.api import login, post
from tests.clock import local_at
from tests.factories import (
    CallbackCampaignFactory,
    CallbackTaskFactory,
    ComplaintFactory,
    CustomerFactory,
    MemberAccountFactory,
)

pytestmark = pytest.mark.django_db

MERGED_AT = local_at("15:00", day=date(2026, 3, 9))


@pytest.fixture
def kept(store, specialist):
    return CustomerFactory(store=store, name="张三", mobile="13500000001", assigned_to=specialist)


@pytest.fixture
def merged(store, other_specialist):
    return CustomerFactory(store=store, name="张叁", mobile="13500000002",
                           assigned_to=other_specialist, wechat="wx_zs",
                           wedding_on=date(2027, 5, 20), notes="怕晒")


def _merge_api(client, kept, merged_pk):
    return post(client, reverse("api:customer-merge", args=[kept.pk]), {"merged": merged_pk})


# --- the service: everything moves ---------------------------------------------------------------

def test_merging_moves_everything_and_marks_the_other_record(
        kept, merged, store, supervisor, front_desk, package, time_machine,
        django_capture_on_commit_callbacks):
    time_machine.move_to(MERGED_AT, tick=False)
    order = order_create(customer=merged, package=package, by=front_desk)
    payment_record(order=order, kind="deposit", amount=Decimal("500"), received_by=front_desk)
    task = CallbackTaskFactory(customer=merged)
    complaint = ComplaintFactory(store=store, customer=merged)
    customer_add_note(customer=merged, by=front_desk, text="想拍海景")
    walkout = walkout_record(store=store, by=front_desk, name=merged.name, mobile=merged.mobile,
                             reason="price", visited_at=MERGED_AT - timedelta(hours=1))
    friend = CustomerFactory(store=store, referrer=merged)
    cashback = ReferralCashback.objects.create(referrer=merged, order=order,
                                               amount=Decimal("100"), created_at=MERGED_AT)
    CustomerAssignment.objects.create(customer=merged, to_user=merged.assigned_to, by=supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        result = customers_merge(kept=kept, merged=merged, by=supervisor, ip_address="10.0.0.5")

    assert result == kept
    assert set(Order.objects.filter(customer=kept)) == {order}
    assert Payment.objects.filter(order__customer=kept).count() == 1
    assert CallbackTask.objects.get(pk=task.pk).customer == kept
    assert Complaint.objects.get(pk=complaint.pk).customer == kept
    assert CustomerNote.objects.get(text="想拍海景").customer == kept
    assert WalkOut.objects.get(pk=walkout.pk).customer == kept
    assert Customer.objects.get(pk=friend.pk).referrer == kept
    assert ReferralCashback.objects.get(pk=cashback.pk).referrer == kept
    assert not CustomerAssignment.objects.filter(customer=merged).exists()
    # The stages' copy of the specialist follows the kept customer's (customers_reassigned).
    assert set(OrderStage.objects.filter(order=order).values_list("specialist", flat=True)) == {
        kept.assigned_to_id}
    merged.refresh_from_db()
    assert (merged.merged_into, merged.merged_at) == (kept, MERGED_AT)
    entries = AuditEntry.objects.filter(action=AuditAction.MERGE_CUSTOMER)
    assert {e.object_id for e in entries} == {str(kept.pk), str(merged.pk)}
    kept_entry = entries.get(object_id=str(kept.pk))
    assert kept_entry.detail["moved"]["orders.order.customer"] == 1
    assert (kept_entry.actor, kept_entry.ip_address) == (supervisor, "10.0.0.5")


def test_the_kept_records_blanks_are_filled_from_the_other(kept, merged, supervisor):
    kept.notes = "老客户"
    kept.save()
    customers_merge(kept=kept, merged=merged, by=supervisor)
    kept.refresh_from_db()
    assert (kept.wechat, kept.wedding_on) == ("wx_zs", date(2027, 5, 20))
    assert kept.notes == "老客户\n（合并自 张叁）怕晒"
    assert kept.assigned_to_id is not None  # had one: kept


def test_an_unassigned_kept_record_takes_the_other_records_specialist(store, merged, supervisor):
    kept = CustomerFactory(store=store)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    kept.refresh_from_db()
    assert kept.assigned_to == merged.assigned_to
    assert CustomerAssignment.objects.get(customer=kept).reason == "合并客户"


def test_a_kept_record_referred_by_the_other_takes_the_others_referrer(store, supervisor):
    grandpa = CustomerFactory(store=store)
    merged = CustomerFactory(store=store, referrer=grandpa)
    kept = CustomerFactory(store=store, referrer=merged)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    kept.refresh_from_db()
    assert kept.referrer == grandpa


def test_when_both_are_members_points_cards_and_spending_join_the_kept_account(
        kept, merged, supervisor):
    mine = MemberAccountFactory(customer=kept, points=50)
    theirs = MemberAccountFactory(customer=merged, points=120)
    MemberAccount.objects.filter(pk=theirs.pk).update(total_spent=Decimal("3000.00"))
    theirs_card = MemberCard.objects.get(account=theirs)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    mine.refresh_from_db()
    assert mine.points_balance == 170 and mine.total_spent == Decimal("3000.00")
    assert PointsEntry.objects.filter(account=mine).count() == 2
    assert not MemberAccount.objects.filter(pk=theirs.pk).exists()
    assert MemberCard.objects.filter(account=mine).count() == 2
    assert MemberCard.objects.filter(account=mine, status=CardStatus.ACTIVE).count() == 1
    assert MemberCard.objects.get(pk=theirs_card.pk).status == CardStatus.REVOKED
    assert ledger_differences() == []  # the balance is still the ledger's sum
    assert Customer.objects.get(pk=kept.pk).is_vip
    assert not Customer.objects.get(pk=merged.pk).is_vip


def test_the_other_records_membership_moves_whole_when_only_it_is_a_member(
        kept, merged, supervisor):
    account = MemberAccountFactory(customer=merged, points=80)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    account.refresh_from_db()
    assert account.customer == kept and account.points_balance == 80
    assert Customer.objects.get(pk=kept.pk).is_vip


def test_a_one_to_one_that_no_receiver_moves_makes_the_merge_fail(kept, merged, supervisor):
    MemberAccountFactory(customer=merged)
    customers_merging.disconnect(dispatch_uid="membership.customers_merging")
    try:
        with pytest.raises(ImproperlyConfigured):
            customers_merge(kept=kept, merged=merged, by=supervisor)
    finally:
        customers_merging.connect(on_customers_merging,
                                  dispatch_uid="membership.customers_merging")
    assert Customer.objects.get(pk=merged.pk).merged_into is None


def test_every_one_to_one_to_customer_has_its_receiver():
    """A new one-to-one to Customer needs a customers_merging receiver (as membership/merging.py
    moves the member account): add it, then add the model here."""
    one_to_one = {r.related_model._meta.label for r in Customer._meta.related_objects
                  if r.one_to_one or r.many_to_many}
    assert one_to_one == {"membership.MemberAccount"}


def test_a_conflict_between_the_two_records_refuses_the_whole_merge(kept, merged, store,
                                                                     supervisor, front_desk):
    campaign = CallbackCampaignFactory(store=store)
    CallbackTaskFactory(customer=kept, campaign=campaign)
    CallbackTaskFactory(customer=merged, campaign=campaign)
    customer_add_note(customer=merged, by=front_desk, text="留在原处")
    with pytest.raises(CustomerMergeRefused):
        customers_merge(kept=kept, merged=merged, by=supervisor)
    assert CustomerNote.objects.get(text="留在原处").customer == merged


# --- after the merge -----------------------------------------------------------------------------

def test_the_merged_record_leaves_lists_and_searches_and_its_mobile_finds_the_kept(
        kept, merged, store, supervisor, client):
    customers_merge(kept=kept, merged=merged, by=supervisor)
    assert merged not in customers_visible_to(supervisor)
    assert merged in customers_visible_to(supervisor, include_merged=True)
    found, created = customer_find_or_create(store=store, mobile=merged.mobile, name="张叁",
                                             by=None)
    assert (found, created) == (kept, False)
    login(client, supervisor)
    page = client.get(reverse("orders:customers"), {"q": merged.mobile}).content.decode()
    assert reverse("orders:customer", args=[merged.pk]) not in page
    ids = {row["id"] for row in client.get(reverse("api:customer-list")).json()["results"]}
    assert merged.pk not in ids and kept.pk in ids


def test_the_merged_records_file_is_a_banner_with_a_link(kept, merged, supervisor, client,
                                                          package, front_desk):
    order_create(customer=merged, package=package, by=front_desk, scene="海边")
    customers_merge(kept=kept, merged=merged, by=supervisor)
    login(client, supervisor)
    response = client.get(reverse("orders:customer", args=[merged.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="merged-banner"' in page
    assert reverse("orders:customer", args=[kept.pk]) in page
    assert "海边" not in page and 'data-testid="order-card"' not in page
    assert client.get(reverse("api:customer-detail", args=[merged.pk])).json()[
        "merged_into"] == kept.pk


def test_a_specialist_of_the_merged_record_gets_no_link_to_a_file_not_theirs(
        kept, merged, supervisor, other_specialist, client):
    customers_merge(kept=kept, merged=merged, by=supervisor)
    login(client, other_specialist)  # merged's specialist; kept stays the specialist's
    page = client.get(reverse("orders:customer", args=[merged.pk])).content.decode()
    assert reverse("orders:customer", args=[kept.pk]) not in page
    assert "张三" not in page and "张*" in page


def test_the_kept_records_history_names_the_merge(kept, merged, supervisor, client):
    customers_merge(kept=kept, merged=merged, by=supervisor)
    login(client, supervisor)
    page = client.get(reverse("orders:customer", args=[kept.pk])).content.decode()
    assert f"并入 张叁（#{merged.pk}）的记录" in page


# --- refusals ------------------------------------------------------------------------------------

def test_records_of_two_stores_are_not_merged(kept, other_store, general_manager):
    far = CustomerFactory(store=other_store)
    with pytest.raises(CustomerMergeRefused):
        customers_merge(kept=kept, merged=far, by=general_manager)


def test_a_record_is_not_merged_with_itself(kept, supervisor):
    with pytest.raises(ValidationError):
        customers_merge(kept=kept, merged=kept, by=supervisor)


def test_a_record_merged_already_is_not_merged_again(kept, merged, store, supervisor):
    third = CustomerFactory(store=store)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    for pair in ((third, merged), (merged, third)):
        with pytest.raises(CustomerMergeRefused):
            customers_merge(kept=pair[0], merged=pair[1], by=supervisor)


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.FRONT_DESK, Role.CASHIER])
def test_roles_without_merge_customer_may_not_merge(kept, merged, staff_of, role):
    with pytest.raises(PermissionDenied):
        customers_merge(kept=kept, merged=merged, by=staff_of(role).user)


def test_another_stores_manager_may_not_merge(kept, merged, other_manager):
    with pytest.raises(PermissionDenied):
        customers_merge(kept=kept, merged=merged, by=other_manager)


# --- the page ------------------------------------------------------------------------------------

def test_the_page_finds_compares_and_merges(kept, merged, manager, client, package, front_desk):
    order_create(customer=merged, package=package, by=front_desk)
    login(client, manager)
    url = reverse("orders:customer_merge", args=[kept.pk])
    page = client.get(url, {"q": merged.mobile[-4:]}).content.decode()
    assert f"?merged={merged.pk}" in page
    compare = client.get(url, {"merged": merged.pk}).content.decode()
    assert 'data-testid="merge-compare"' in compare and "wx_zs" in compare
    assert "订单：1" in compare
    response = client.post(url, {"merged": merged.pk})
    assert response["Location"] == reverse("orders:customer", args=[kept.pk])
    assert Customer.objects.get(pk=merged.pk).merged_into == kept


def test_the_file_offers_edit_and_merge_as_the_role_allows(kept, client, supervisor, specialist):
    login(client, supervisor)
    page = client.get(reverse("orders:customer", args=[kept.pk])).content.decode()
    assert reverse("orders:customer_merge", args=[kept.pk]) in page
    login(client, specialist)
    page = client.get(reverse("orders:customer", args=[kept.pk])).content.decode()
    assert reverse("orders:customer_merge", args=[kept.pk]) not in page
    assert reverse("orders:customer_edit", args=[kept.pk]) in page


def test_the_page_offers_only_the_same_stores_records(kept, store, other_store, general_manager,
                                                      client):
    far = CustomerFactory(store=other_store, name="张远")
    login(client, general_manager)
    url = reverse("orders:customer_merge", args=[kept.pk])
    assert "张远" not in client.get(url, {"q": "张"}).content.decode()
    assert client.get(url, {"merged": far.pk}).status_code == 400
    assert client.post(url, {"merged": far.pk}).status_code == 400
    assert Customer.objects.get(pk=far.pk).merged_into is None


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.FRONT_DESK])
def test_the_page_refuses_roles_without_merge_customer(kept, merged, staff_of, client, role):
    login(client, staff_of(role).user)
    url = reverse("orders:customer_merge", args=[kept.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"merged": merged.pk}).status_code == 403


def test_the_page_answers_404_out_of_scope(kept, other_manager, client):
    login(client, other_manager)
    assert client.get(reverse("orders:customer_merge", args=[kept.pk])).status_code == 404


# --- the API -------------------------------------------------------------------------------------

def test_the_api_merges_and_answers_the_kept_customer(kept, merged, supervisor, client):
    login(client, supervisor)
    response = _merge_api(client, kept, merged.pk)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == kept.pk and response.json()["wechat"] == "wx_zs"


def test_the_api_answers_409_for_a_record_merged_already(kept, merged, store, supervisor, client):
    third = CustomerFactory(store=store)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    login(client, supervisor)
    assert _merge_api(client, third, merged.pk).status_code == 409
    assert _merge_api(client, merged, third.pk).status_code == 409


def test_the_api_answers_409_across_stores_for_a_general_manager(kept, other_store,
                                                                 general_manager, client):
    far = CustomerFactory(store=other_store)
    login(client, general_manager)
    response = _merge_api(client, kept, far.pk)
    assert response.status_code == 409 and response.json()["code"] == "other_store"


def test_the_api_answers_400_for_itself_a_missing_or_a_hidden_record(kept, other_store,
                                                                    supervisor, client):
    far = CustomerFactory(store=other_store)
    login(client, supervisor)
    assert "merged" in _merge_api(client, kept, kept.pk).json()
    for pk in (far.pk, 987654321):
        response = _merge_api(client, kept, pk)
        assert response.status_code == 400 and "merged" in response.json()
    assert post(client, reverse("api:customer-merge", args=[kept.pk]), {}).status_code == 400


def test_the_api_refuses_roles_without_the_permission_and_ids_out_of_scope(
        kept, merged, specialist, front_desk, other_manager, client):
    for user in (specialist, front_desk):
        login(client, user)
        assert _merge_api(client, kept, merged.pk).status_code == 403
    login(client, other_manager)
    assert _merge_api(client, kept, merged.pk).status_code == 404
    assert Customer.objects.get(pk=merged.pk).merged_into is None


def test_merged_at_is_the_time_of_the_merge(kept, merged, supervisor, time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 7, 0, tzinfo=MERGED_AT.tzinfo), tick=False)
    customers_merge(kept=kept, merged=merged, by=supervisor)
    assert Customer.objects.get(pk=merged.pk).merged_at == datetime(2026, 3, 9, 7, 0,
                                                                     tzinfo=MERGED_AT.tzinfo)
