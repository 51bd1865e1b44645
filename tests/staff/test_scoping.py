"""Who sees what: one rule, applied to customers and orders alike, for every role."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from customers.selectors import customers_visible_to
from orders.selectors import orders_visible_to, stages_visible_to
from orders.services import order_create
from staff.models import Role, Store
from staff.scoping import store_for, stores_to_pick
from tests.factories import CustomerFactory, StoreFactory, UserFactory

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


# ---- store_for: the store a request reads or writes ------------------------------------------

BOUND_ROLES = [Role.SPECIALIST, Role.SUPERVISOR, Role.STORE_MANAGER, Role.FRONT_DESK,
               Role.CASHIER]


def _refusal(excinfo) -> str:
    """The code of a store_for refusal (it names the `store` field)."""
    [error] = excinfo.value.error_dict["store"]
    return error.code


@pytest.fixture
def closed_store(db):
    return StoreFactory(code="S09", name="已关店", is_active=False)


@pytest.fixture
def asked(store, other_store, closed_store):
    """What a request may name, by case."""
    return {"none": None, "blank": "", "own": str(store.pk), "other": str(other_store.pk),
            "garbage": "abc", "unknown": "99999", "closed": str(closed_store.pk)}


@pytest.mark.parametrize("role", BOUND_ROLES)
@pytest.mark.parametrize("writing", [False, True])
@pytest.mark.parametrize(("case", "outcome"), [
    ("none", "own"), ("blank", "own"), ("own", "own"), ("other", "other_store"),
    ("garbage", "invalid_store"), ("unknown", "other_store"), ("closed", "other_store"),
])
def test_someone_bound_to_a_store_gets_it_and_is_refused_any_other(
        staff_of, store, asked, role, writing, case, outcome):
    user = staff_of(role).user
    if outcome == "own":
        assert store_for(user, asked[case], writing=writing) == store
        assert store_for(user, asked[case], writing=writing, one_store=True) == store
    else:
        with pytest.raises(ValidationError) as excinfo:
            store_for(user, asked[case], writing=writing)
        assert _refusal(excinfo) == outcome


@pytest.mark.parametrize(("case", "reading", "one_store", "writing"), [
    # what is named: (reading every store), (reading a one-store page), (writing)
    ("none", None, "own", "store_required"),
    ("blank", None, "own", "store_required"),
    ("own", "own", "own", "own"),
    ("other", "other", "other", "other"),
    ("garbage", "invalid_store", "invalid_store", "invalid_store"),
    ("unknown", "unknown_store", "unknown_store", "unknown_store"),
    ("closed", "closed_store", "closed_store", "closed_store"),
])
def test_a_general_manager_gets_the_store_named_else_every_store_their_own_or_a_refusal(
        general_manager, store, other_store, asked, case, reading, one_store, writing):
    stores = {"own": store, "other": other_store}
    for kwargs, expected in (({"writing": False}, reading),
                             ({"writing": False, "one_store": True}, one_store),
                             ({"writing": True}, writing)):
        if expected is None or expected in stores:
            assert store_for(general_manager, asked[case], **kwargs) == stores.get(expected)
        else:
            with pytest.raises(ValidationError) as excinfo:
                store_for(general_manager, asked[case], **kwargs)
            assert _refusal(excinfo) == expected, kwargs


def test_a_superuser_is_a_general_manager_whose_one_store_page_opens_on_the_first_open_store(
        store, other_store, closed_store):
    admin = UserFactory(is_superuser=True)
    assert store_for(admin, None, writing=False) is None
    assert store_for(admin, None, writing=False, one_store=True) == store  # S01 before S02
    assert store_for(admin, other_store.pk, writing=True) == other_store
    with pytest.raises(ValidationError):
        store_for(admin, None, writing=True)


def test_a_general_manager_whose_store_closed_opens_on_the_first_open_store(
        general_manager, store, other_store):
    Store.objects.filter(pk=store.pk).update(is_active=False)
    assert store_for(general_manager, None, writing=False, one_store=True) == other_store


@pytest.mark.parametrize("named", ["  {pk} ", "{pk}", "{pk_int}", "{store}"])
def test_a_store_may_be_named_by_text_id_or_instance(general_manager, other_store, named):
    value = {"{pk}": str(other_store.pk), "  {pk} ": f"  {other_store.pk} ",
             "{pk_int}": other_store.pk, "{store}": other_store}[named]
    assert store_for(general_manager, value, writing=True) == other_store


@pytest.mark.parametrize("bad", ["１", "²", "-1", "0", "1.0", "9" * 30, True])
def test_what_is_not_a_store_id_is_refused_not_a_500(general_manager, store, bad):
    with pytest.raises(ValidationError) as excinfo:
        store_for(general_manager, bad, writing=False)
    assert _refusal(excinfo) in ("invalid_store", "unknown_store")


def test_someone_with_no_scope_is_refused(store):
    with pytest.raises(PermissionDenied):
        store_for(UserFactory(), None, writing=False)


def test_the_refusal_names_the_store_field_with_a_clear_message(supervisor, other_store):
    with pytest.raises(ValidationError) as excinfo:
        store_for(supervisor, other_store.pk, writing=False)
    assert excinfo.value.message_dict == {"store": ["只能选择您所在的门店（人民路店）。"]}


def test_only_a_general_manager_is_offered_stores_to_pick(general_manager, supervisor, store,
                                                           other_store, closed_store):
    assert list(stores_to_pick(general_manager)) == [store, other_store]
    assert not stores_to_pick(supervisor).exists()


# ---- the rule as pages and the API answer it -------------------------------------------------

@pytest.mark.parametrize(("url", "params", "message"), [
    ("dashboards:manager", {"store": "abc"}, "门店须为门店 ID（整数），而不是“abc”。"),
    ("dashboards:manager", {"store": "99999"}, "没有 ID 为 99999 的门店。"),
    ("callbacks:summary", {"store": "99999"}, "没有 ID 为 99999 的门店。"),
    ("complaints:statistics", {"store": "x1"}, "门店须为门店 ID（整数），而不是“x1”。"),
    ("membership:segments", {"store": "99999"}, "没有 ID 为 99999 的门店。"),
    ("orders:assignment", {"store": "abc"}, "门店须为门店 ID（整数），而不是“abc”。"),
])
def test_a_page_answers_a_bad_store_with_400_and_the_reason(client, general_manager, url, params,
                                                             message):
    client.force_login(general_manager)
    response = client.get(reverse(url), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_page_refuses_another_store_to_someone_bound_to_one(client, supervisor, other_store):
    client.force_login(supervisor)
    response = client.get(reverse("callbacks:summary"), {"store": other_store.pk})
    assert response.status_code == 400
    assert "只能选择您所在的门店（人民路店）。" in response.content.decode()
    assert client.get(reverse("callbacks:summary")).status_code == 200


def test_a_general_manager_writing_without_a_store_is_refused_on_the_page(client, general_manager):
    client.force_login(general_manager)
    response = client.post(reverse("callbacks:campaigns"), {"name": "店庆", "purpose": "holiday"})
    assert response.status_code == 400 and "请选择门店。" in response.content.decode()


def test_the_api_answers_a_bad_store_with_400_and_field_errors(client, supervisor,
                                                                general_manager, other_store):
    client.force_login(supervisor)
    response = client.get("/api/callback-campaigns/", {"store": other_store.pk})
    assert response.status_code == 400
    assert response.json() == {"store": ["只能选择您所在的门店（人民路店）。"]}
    response = client.get("/api/complaints/statistics/", {"store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    client.force_login(general_manager)
    response = client.post("/api/segments/", {"name": "高消费"}, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"store": ["请选择门店。"]})
    response = client.get("/api/customers/", {"store": 99999})
    assert (response.status_code, response.json()) == (400, {"store": ["没有 ID 为 99999 的门店。"]})
