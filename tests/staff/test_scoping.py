"""Who sees what: one rule, applied to customers and orders alike, for every role."""
import pytest

from customers.selectors import customers_visible_to
from orders.selectors import orders_visible_to, stages_visible_to
from orders.services import order_create
from staff.models import Role
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(store, other_store, specialist, other_specialist, package, front_desk):
    """Three customers with an order each: A's, B's (same store) and one in the other store."""
    mine = CustomerFactory(store=store, assigned_to=specialist)
    theirs = CustomerFactory(store=store, assigned_to=other_specialist)
    unassigned = CustomerFactory(store=store)
    elsewhere = CustomerFactory(store=other_store)
    for c in (mine, theirs, unassigned, elsewhere):
        order_create(customer=c, package=package, by=front_desk)
    return {"mine": mine, "theirs": theirs, "unassigned": unassigned, "elsewhere": elsewhere}


def _names(qs):
    return set(qs.values_list("pk", flat=True))


def test_a_specialist_sees_only_the_customers_assigned_to_them(book, specialist):
    assert _names(customers_visible_to(specialist)) == {book["mine"].pk}
    assert set(orders_visible_to(specialist).values_list("customer_id", flat=True)) == {book["mine"].pk}
    assert set(stages_visible_to(specialist).values_list("order__customer_id", flat=True)) == {
        book["mine"].pk}


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.FRONT_DESK, Role.STORE_MANAGER,
                                  Role.PHOTOGRAPHER, Role.CASHIER])
def test_store_roles_see_their_whole_store_and_nothing_of_another(book, staff_of, role):
    user = staff_of(role).user
    expected = {book["mine"].pk, book["theirs"].pk, book["unassigned"].pk}
    assert _names(customers_visible_to(user)) == expected
    assert set(orders_visible_to(user).values_list("customer_id", flat=True)) == expected


def test_the_other_stores_manager_sees_only_the_other_store(book, other_manager):
    assert _names(customers_visible_to(other_manager)) == {book["elsewhere"].pk}


def test_a_general_manager_sees_every_store(book, general_manager):
    assert _names(customers_visible_to(general_manager)) == {c.pk for c in book.values()}


def test_a_login_without_a_staff_profile_sees_nothing(book):
    assert not customers_visible_to(UserFactory()).exists()


def test_an_inactive_staff_member_sees_nothing(book, specialist):
    specialist.staff_profile.is_active = False
    specialist.staff_profile.save()
    assert not customers_visible_to(specialist).exists()
