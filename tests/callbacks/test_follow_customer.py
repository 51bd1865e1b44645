"""A callback belongs to its customer's specialist (issue 17, item 1): reassigning customers moves
their open callbacks and open late follow-ups to the new specialist in the same transaction, and
the assignment history says what moved; done ones stay; the one-click distribution gives each
task to its customer's specialist and balances only customers with no specialist; the nightly
repair puts drifted owners right. A specialist is never handed a callback whose customer page
answers 404 for them."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from callbacks.models import CallbackStatus, CallbackTask
from callbacks.services import callbacks_follow_customers, campaign_create
from callbacks.tasks import repair_callback_owners_task
from customers.models import Customer, CustomerAssignment
from customers.services import assignment_apply, customers_assign
from orders.models import FollowUpStatus, LateFollowUp
from staff.models import Role
from tests.callbacks.factories import CallbackTaskFactory
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _task(customer, *, assigned_to, status=CallbackStatus.PENDING, **fields) -> CallbackTask:
    return CallbackTaskFactory(customer=customer, assigned_to=assigned_to, triggered_at=AT,
                               due_at=AT + timedelta(days=2), status=status, **fields)


def _owner(row) -> int | None:
    row.refresh_from_db()
    return row.assigned_to_id


def _followup(order, *, assigned_to, status=FollowUpStatus.OPEN, hours=0) -> LateFollowUp:
    return LateFollowUp.objects.create(
        stage=order.stages.get(kind="shoot"), scheduled_at=AT - timedelta(hours=hours + 1),
        assigned_to=assigned_to, created_at=AT, status=status)


def test_reassigning_moves_open_callbacks_and_followups_and_leaves_done_ones(
        customer, order, specialist, other_specialist, supervisor, front_desk):
    pending = _task(customer, assigned_to=specialist)
    overdue = _task(customer, assigned_to=specialist, status=CallbackStatus.OVERDUE)
    nobodys = _task(customer, assigned_to=None)
    done = _task(customer, assigned_to=specialist, status=CallbackStatus.DONE, completed_at=AT)
    desks = _task(customer, assigned_to=front_desk)  # the front desk's on purpose (a reminder)
    open_followup = _followup(order, assigned_to=specialist)
    done_followup = _followup(order, assigned_to=specialist, status=FollowUpStatus.DONE, hours=5)
    someone_elses = _task(CustomerFactory(store=customer.store, assigned_to=specialist),
                          assigned_to=specialist)

    assert customers_assign(customers=[customer], to=other_specialist, by=supervisor,
                            reason="客服离岗") == 1

    assert {_owner(pending), _owner(overdue), _owner(nobodys)} == {other_specialist.pk}
    assert _owner(open_followup) == other_specialist.pk
    assert _owner(done) == specialist.pk and _owner(done_followup) == specialist.pk
    assert _owner(desks) == front_desk.pk
    assert _owner(someone_elses) == specialist.pk
    # The history says what followed the customer.
    row = CustomerAssignment.objects.get(customer=customer)
    assert (row.from_user_id, row.to_user_id) == (specialist.pk, other_specialist.pk)
    assert row.reason.startswith("客服离岗") and "3 个待回访" in row.reason
    assert "1 个逾期跟进" in row.reason


def test_the_history_shows_it_on_the_customer_page(client, customer, specialist,
                                                   other_specialist, supervisor):
    _task(customer, assigned_to=specialist)
    customers_assign(customers=[customer], to=other_specialist, by=supervisor, reason="调整")
    client.force_login(supervisor)
    page = client.get(reverse("orders:customer", args=[customer.pk])).content.decode()
    assert "1 个待回访" in page


def test_a_failing_reassignment_moves_nothing(customer, specialist, supervisor, staff_of,
                                              other_store):
    task = _task(customer, assigned_to=specialist)
    far = staff_of(Role.SPECIALIST, other_store).user
    with pytest.raises(Exception):  # noqa: B017 - another store's specialist is refused
        customers_assign(customers=[customer], to=far, by=supervisor)
    assert _owner(task) == specialist.pk


def test_changing_the_specialist_in_the_admin_moves_callbacks_and_writes_the_history(
        client, customer, order, specialist, other_specialist):
    task, followup = _task(customer, assigned_to=specialist), _followup(order, assigned_to=None)
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")
    client.force_login(root)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"assigned_to": other_specialist.pk, "referrer": ""})
    data.pop("store", None)
    for field in ("wedding_on", "child_birthday_on"):
        data[field] = data.get(field) or ""
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _owner(task) == other_specialist.pk and _owner(followup) == other_specialist.pk
    row = CustomerAssignment.objects.get(customer=customer)
    assert (row.from_user_id, row.to_user_id, row.by_id) == (specialist.pk, other_specialist.pk,
                                                             root.pk)
    assert "1 个待回访" in row.reason and "1 个逾期跟进" in row.reason


def test_assigning_new_customers_gives_them_their_waiting_callbacks(store, specialist,
                                                                    supervisor):
    newcomer = CustomerFactory(store=store, assigned_to=None)
    task = _task(newcomer, assigned_to=None)
    assert assignment_apply(pairs={newcomer.pk: specialist.pk}, store_id=store.pk,
                            by=supervisor) == 1
    assert _owner(task) == specialist.pk
    assert "1 个待回访" in CustomerAssignment.objects.get(customer=newcomer).reason


def test_the_nightly_repair_puts_drifted_callbacks_right_in_one_update(
        customer, specialist, other_specialist, front_desk):
    drifted = _task(customer, assigned_to=specialist)
    Customer.objects.filter(pk=customer.pk).update(assigned_to=other_specialist)  # a bulk write
    desks = _task(customer, assigned_to=front_desk)
    ownerless = _task(CustomerFactory(store=customer.store, assigned_to=None),
                      assigned_to=specialist)
    with CaptureQueriesContext(connection) as queries:
        assert repair_callback_owners_task() == 1
    assert len(queries) == 2  # the count per customer (for the history) and one UPDATE
    assert _owner(drifted) == other_specialist.pk
    assert _owner(desks) == front_desk.pk and _owner(ownerless) == specialist.pk
    assert callbacks_follow_customers() == {}  # run twice: nothing left to do


# ---- the one-click distribution ----------------------------------------------------------------

def test_distribution_gives_each_task_to_its_customers_specialist(
        client, store, specialist, other_specialist, supervisor):
    mine = [_task(CustomerFactory(store=store, assigned_to=specialist), assigned_to=None)
            for _ in range(3)]
    theirs = _task(CustomerFactory(store=store, assigned_to=other_specialist), assigned_to=None)
    nobodys = [CustomerFactory(store=store, assigned_to=None) for _ in range(4)]
    balanced = [_task(c, assigned_to=None) for c in nobodys]

    client.force_login(supervisor)
    client.post(reverse("callbacks:distribute"), {"action": "balance"})

    assert {_owner(t) for t in mine} == {specialist.pk}
    assert _owner(theirs) == other_specialist.pk
    # The customers with no specialist are balanced: the one with fewer open callbacks first.
    owners = [_owner(t) for t in balanced]
    assert None not in owners
    assert owners.count(other_specialist.pk) > owners.count(specialist.pk)
    # ... and each becomes their new caller's customer, in the history.
    for customer, owner in zip(nobodys, owners, strict=True):
        customer.refresh_from_db()
        assert customer.assigned_to_id == owner
        assert CustomerAssignment.objects.get(customer=customer).reason.startswith("回访均衡分配")
    assert not CallbackTask.objects.filter(assigned_to__isnull=True).exists()


def test_a_specialist_never_gets_a_callback_whose_customer_page_answers_404(
        client, store, specialist, other_specialist, supervisor, staff_of):
    gone = staff_of(Role.SPECIALIST, is_active=False).user  # left the studio
    for owner in [specialist, other_specialist, gone, None, None, None]:
        _task(CustomerFactory(store=store, assigned_to=owner), assigned_to=None)
    client.force_login(supervisor)
    client.post(reverse("callbacks:distribute"), {"action": "balance"})

    tasks = list(CallbackTask.objects.select_related("assigned_to"))
    assert all(t.assigned_to_id in (specialist.pk, other_specialist.pk) for t in tasks)
    for task in tasks:
        client.force_login(task.assigned_to)
        assert client.get(reverse("orders:customer", args=[task.customer_id])).status_code == 200


def test_a_campaign_gives_each_customer_with_a_specialist_to_them(
        store, specialist, other_specialist, supervisor):
    theirs = [CustomerFactory(store=store, assigned_to=specialist, is_vip=True) for _ in range(4)]
    nobodys = [CustomerFactory(store=store, assigned_to=None, is_vip=True) for _ in range(4)]
    campaign = campaign_create(name="元旦回访", purpose="holiday", store=store, by=supervisor,
                               customers=Customer.objects.filter(is_vip=True), now=AT)
    owner = dict(campaign.tasks.values_list("customer_id", "assigned_to_id"))
    assert {owner[c.pk] for c in theirs} == {specialist.pk}
    # specialist already takes four: the customers with no specialist go to the other
    assert {owner[c.pk] for c in nobodys} == {other_specialist.pk}
    # ...and become hers, so that the customer page of each call opens for her
    assert {c.assigned_to_id for c in Customer.objects.filter(pk__in=[c.pk for c in nobodys])} \
        == {other_specialist.pk}
    client = Client()
    client.force_login(other_specialist)
    assert client.get(reverse("orders:customer", args=[nobodys[0].pk])).status_code == 200
