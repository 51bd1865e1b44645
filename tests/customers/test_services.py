"""Assignment: the balanced proposal, applying it, manual reassignment and its history."""
import math

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from customers.models import Customer, CustomerAssignment
from customers.services import (
    SpecialistLoad,
    assignment_apply,
    assignment_propose,
    customer_add_note,
    customers_assign,
)
from staff.models import Role, StaffMember
from tests.factories import CustomerFactory


def _loads(*pairs):
    """SpecialistLoad for (skill, customers held) pairs, with user ids 1..n (no database)."""
    return [SpecialistLoad(member=StaffMember(user_id=i, skill_rating=skill, role=Role.SPECIALIST),
                           customers=held) for i, (skill, held) in enumerate(pairs, start=1)]


@given(held=st.lists(st.integers(0, 30), min_size=1, max_size=6), new=st.integers(0, 200))
def test_with_equal_skills_nobody_gets_more_than_ceil_avg_plus_one(held, new):
    loads = _loads(*[(3, 0) for _ in held])  # everybody starts empty: the cap is about shares
    proposal = assignment_propose(loads=loads, customer_ids=list(range(new)))
    assert sum(len(v) for v in proposal.values()) == new
    assert max(len(v) for v in proposal.values()) <= math.ceil(new / len(held)) + 1


def test_the_proposal_fills_the_least_loaded_specialist_first():
    proposal = assignment_propose(loads=_loads((3, 10), (3, 2)), customer_ids=list(range(8)))
    assert (len(proposal[1]), len(proposal[2])) == (0, 8)


def test_a_more_skilled_specialist_gets_more_customers():
    proposal = assignment_propose(loads=_loads((5, 0), (2, 0)), customer_ids=list(range(70)))
    assert len(proposal[1]) == 50 and len(proposal[2]) == 20


def test_no_specialist_means_no_proposal():
    with pytest.raises(ValidationError):
        assignment_propose(loads=[], customer_ids=[1])


@pytest.mark.django_db
def test_applying_a_proposal_assigns_in_one_go_and_records_each_change(
        store, specialist, other_specialist, supervisor):
    a, b, c = CustomerFactory.create_batch(3, store=store)
    assert assignment_apply(pairs={a.pk: specialist.pk, b.pk: other_specialist.pk,
                                   c.pk: specialist.pk}, store_id=store.pk, by=supervisor) == 3
    assert set(Customer.objects.filter(assigned_to=specialist).values_list("pk", flat=True)) == {
        a.pk, c.pk}
    assert CustomerAssignment.objects.filter(by=supervisor, from_user=None).count() == 3


@pytest.mark.django_db
def test_a_customer_assigned_meanwhile_keeps_their_specialist(store, specialist, other_specialist,
                                                              supervisor):
    customer = CustomerFactory(store=store, assigned_to=other_specialist)
    assert assignment_apply(pairs={customer.pk: specialist.pk}, store_id=store.pk,
                            by=supervisor) == 0
    customer.refresh_from_db()
    assert customer.assigned_to == other_specialist


@pytest.mark.django_db
def test_a_failed_apply_leaves_nothing_half_done(store, specialist, front_desk, supervisor):
    a, b = CustomerFactory.create_batch(2, store=store)
    with pytest.raises(ValidationError):
        assignment_apply(pairs={a.pk: specialist.pk, b.pk: front_desk.pk}, store_id=store.pk,
                         by=supervisor)
    assert not Customer.objects.filter(assigned_to__isnull=False).exists()
    assert not CustomerAssignment.objects.exists()


@pytest.mark.django_db
def test_customers_can_only_go_to_a_specialist_of_their_store(store, other_store, staff_of,
                                                              supervisor):
    elsewhere = staff_of(Role.SPECIALIST, other_store).user
    with pytest.raises(ValidationError):
        customers_assign(customers=[CustomerFactory(store=store)], to=elsewhere, by=supervisor)


@pytest.mark.django_db
def test_reassigning_records_from_and_to(store, specialist, other_specialist, supervisor):
    customer = CustomerFactory(store=store, assigned_to=specialist)
    customers_assign(customers=[customer], to=other_specialist, by=supervisor, reason="请假")
    row = CustomerAssignment.objects.get()
    assert (row.from_user, row.to_user, row.by, row.reason) == (
        specialist, other_specialist, supervisor, "请假")


@pytest.mark.django_db
def test_an_empty_note_is_refused(customer, specialist):
    with pytest.raises(ValidationError):
        customer_add_note(customer=customer, by=specialist, text="   ")
    assert customer_add_note(customer=customer, by=specialist, text="想要海景").text == "想要海景"
