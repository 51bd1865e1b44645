"""A stage keeps its customer's specialist (OrderStage.specialist), so that a specialist's stage
lists read one index: every way the specialist changes moves the copy, and the nightly repair
puts right whatever drifted."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.services import assignment_apply, customers_assign
from orders.models import OrderStage
from orders.selectors import stages_visible_to
from orders.services import order_create, stages_follow_customers
from orders.tasks import repair_stage_specialists_task
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _specialists(order) -> set:
    return set(OrderStage.objects.filter(order=order).values_list("specialist_id", flat=True))


def test_an_order_lays_out_its_stages_with_the_customers_specialist(order, specialist):
    assert _specialists(order) == {specialist.pk}


def test_an_unassigned_customers_stages_have_no_specialist(store, package, front_desk):
    order = order_create(customer=CustomerFactory(store=store, assigned_to=None), package=package,
                         by=front_desk)
    assert _specialists(order) == {None}


def test_reassigning_moves_every_stage_and_the_lists_follow(client, order, customer, specialist,
                                                            other_specialist, supervisor):
    customers_assign(customers=[customer], to=other_specialist, by=supervisor)

    assert _specialists(order) == {other_specialist.pk}
    assert not stages_visible_to(specialist).filter(order=order).exists()
    assert stages_visible_to(other_specialist).filter(order=order).count() == order.stages.count()
    client.force_login(other_specialist)
    response = client.get(reverse("orders:stage_list", args=["gown"]))
    assert [stage.order_id for stage, _values in response.context["rows"]] == [order.pk]
    client.force_login(specialist)
    response = client.get(reverse("orders:stage_list", args=["gown"]))
    assert response.context["rows"] == []


def test_the_balanced_assignment_moves_the_stages_of_the_customers_it_gives_out(
        store, package, front_desk, specialist, supervisor):
    customer = CustomerFactory(store=store, assigned_to=None)
    order = order_create(customer=customer, package=package, by=front_desk)

    assignment_apply(pairs={customer.pk: specialist.pk}, store_id=store.pk, by=supervisor)

    assert _specialists(order) == {specialist.pk}


def test_changing_the_specialist_in_the_admin_moves_the_stages(client, order, customer,
                                                               other_specialist, store):
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
    assert _specialists(order) == {other_specialist.pk}


def test_the_nightly_repair_puts_right_only_the_stages_that_drifted(order, customer, specialist,
                                                                    other_specialist, store,
                                                                    package, front_desk):
    untouched = order_create(customer=CustomerFactory(store=store, assigned_to=specialist),
                             package=package, by=front_desk)
    unassigned = order_create(customer=CustomerFactory(store=store, assigned_to=None),
                              package=package, by=front_desk)
    # Drift, as a bulk write that bypassed the services would leave it.
    type(customer).objects.filter(pk=customer.pk).update(assigned_to=other_specialist)
    OrderStage.objects.filter(order=unassigned).update(specialist=specialist)

    with CaptureQueriesContext(connection) as queries:
        changed = repair_stage_specialists_task()

    assert len(queries) == 1
    assert changed == order.stages.count() + unassigned.stages.count()
    assert _specialists(order) == {other_specialist.pk}
    assert _specialists(unassigned) == {None}
    assert _specialists(untouched) == {specialist.pk}
    assert stages_follow_customers() == 0  # run twice: nothing left to do
