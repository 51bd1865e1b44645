"""The price list's API (issue 16): GET/POST /api/packages/, GET/PATCH /api/packages/<id>/."""
from decimal import Decimal

import pytest

from orders.models import Package
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.api import count_queries, ids, login, post
from tests.orders.factories import ChildrenPackageFactory, PackageFactory

PACKAGES = "/api/packages/"


def detail(package) -> str:
    return f"{PACKAGES}{package.pk}/"


def patch(client, url: str, data: dict):
    return client.patch(url, data, content_type="application/json")


@pytest.fixture
def catalogue(store, other_store):
    """A chain package, one of each store, and one of this store no longer sold."""
    return {
        "chain": PackageFactory(name="全店婚纱", store=None),
        "own": ChildrenPackageFactory(name="本店儿童", store=store),
        "far": PackageFactory(name="滨江婚纱", store=other_store),
        "retired": PackageFactory(name="旧款婚纱", store=store, is_active=False),
    }


# --- The list -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["specialist", "front_desk", "manager"])
def test_a_store_sees_its_own_packages_and_the_chains(request, client, role, catalogue):
    login(client, request.getfixturevalue(role))
    response = client.get(PACKAGES)
    assert ids(response) == {catalogue[k].pk for k in ("chain", "own", "retired")}
    row = next(r for r in response.json()["results"] if r["id"] == catalogue["own"].pk)
    assert row["store_name"] == "人民路店" and row["kind"] == "children"
    assert row["stage_kinds"] == ["order", "shoot", "selection", "pickup"]


def test_the_general_manager_sees_every_package_and_filters_them(client, general_manager,
                                                                  catalogue, other_store):
    login(client, general_manager)
    assert ids(client.get(PACKAGES)) == {p.pk for p in catalogue.values()}
    assert ids(client.get(PACKAGES, {"store": other_store.pk})) == {
        catalogue["far"].pk, catalogue["chain"].pk}
    assert ids(client.get(PACKAGES, {"chain": "true"})) == {catalogue["chain"].pk}
    assert ids(client.get(PACKAGES, {"kind": "children"})) == {catalogue["own"].pk}
    assert ids(client.get(PACKAGES, {"active": "false"})) == {catalogue["retired"].pk}


def test_a_store_may_not_filter_by_another_store(client, manager, catalogue, other_store):
    login(client, manager)
    response = client.get(PACKAGES, {"store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    assert client.get(PACKAGES, {"kind": "cake"}).status_code == 400


def test_the_package_list_costs_the_same_queries_for_3_or_30(client, manager, store):
    login(client, manager)
    PackageFactory.create_batch(3, store=store)
    few = count_queries(client, PACKAGES)
    PackageFactory.create_batch(27, store=store)
    assert count_queries(client, PACKAGES) == few


def test_a_package_of_another_store_answers_404(client, manager, catalogue):
    login(client, manager)
    assert client.get(detail(catalogue["own"])).status_code == 200
    assert client.get(detail(catalogue["far"])).status_code == 404
    assert patch(client, detail(catalogue["far"]), {"price": "1.00"}).status_code == 404


# --- Adding a package ---------------------------------------------------------------------------

def test_a_store_manager_adds_a_package_to_their_own_store(client, manager, store):
    login(client, manager)
    response = post(client, PACKAGES, {"name": "森系婚纱", "price": "6999", "kind": "wedding",
                                       "photos_count": 40, "includes_gown_selection": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["store"] == store.pk and body["price"] == "6999.00" and body["is_active"]
    entry = AuditEntry.objects.get(action=AuditAction.CHANGE_PACKAGE, object_id=str(body["id"]))
    assert entry.actor == manager and entry.detail["created"] is True


def test_a_store_manager_may_not_add_to_another_store(client, manager, other_store):
    login(client, manager)
    response = post(client, PACKAGES, {"name": "滨江新款", "price": "100", "store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    assert not Package.objects.filter(name="滨江新款").exists()


def test_the_general_manager_adds_a_chain_package_or_one_for_a_store(client, general_manager,
                                                                     other_store):
    login(client, general_manager)
    chain = post(client, PACKAGES, {"name": "全店写真", "price": "999", "kind": "portrait"})
    assert chain.status_code == 201 and chain.json()["store"] is None
    far = post(client, PACKAGES, {"name": "滨江写真", "price": "888", "store": other_store.pk})
    assert far.status_code == 201 and far.json()["store"] == other_store.pk
    unknown = post(client, PACKAGES, {"name": "无店", "price": "1", "store": 987654321})
    assert unknown.status_code == 400 and "store" in unknown.json()


@pytest.mark.parametrize("body, field", [
    ({"name": "", "price": "10"}, "name"),
    ({"name": "本店儿童", "price": "10"}, "name"),  # taken in this store
    ({"name": "新款", "price": "-1"}, "price"),
    ({"name": "新款", "price": "abc"}, "price"),
    ({"name": "新款"}, "price"),
    ({"name": "新款", "price": "10", "kind": "cake"}, "kind"),
    ({"name": "新款", "price": "10", "photos_count": -3}, "photos_count"),
    ({"name": "新款", "price": "10", "store": "S01"}, "store"),
])
def test_a_bad_package_is_a_400_on_its_field(client, manager, catalogue, body, field):
    login(client, manager)
    response = post(client, PACKAGES, body)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.SUPERVISOR, Role.FRONT_DESK,
                                  Role.CASHIER])
def test_roles_without_the_permission_may_not_add_or_change_packages(client, staff_of, role,
                                                                     catalogue):
    login(client, staff_of(role).user)
    assert post(client, PACKAGES, {"name": "新款", "price": "10"}).status_code == 403
    assert patch(client, detail(catalogue["own"]), {"price": "1.00"}).status_code == 403


# --- Changing a package -------------------------------------------------------------------------

def test_a_store_manager_changes_and_retires_their_package_audited(client, manager, catalogue,
                                                                   customer):
    own = catalogue["own"]
    login(client, manager)
    response = patch(client, detail(own), {"price": "2199.00", "is_active": False})
    assert response.status_code == 200, response.content
    assert response.json()["price"] == "2199.00" and response.json()["is_active"] is False
    own.refresh_from_db()
    assert own.price == Decimal("2199.00") and not own.is_active
    entry = AuditEntry.objects.get(action=AuditAction.CHANGE_PACKAGE, object_id=str(own.pk))
    assert entry.detail["changes"] == {"price": ["1999.00", "2199.00"],
                                       "is_active": [True, False]}
    # A package no longer sold is refused by a new sale.
    refused = post(client, "/api/orders/", {"customer": customer.pk, "package": own.pk})
    assert refused.status_code == 400 and "package" in refused.json()


def test_only_the_general_manager_changes_a_chain_package(client, manager, general_manager,
                                                          catalogue):
    chain = catalogue["chain"]
    login(client, manager)
    assert patch(client, detail(chain), {"price": "1.00"}).status_code == 403
    login(client, general_manager)
    response = patch(client, detail(chain), {"price": "6666.00"})
    assert response.status_code == 200 and response.json()["price"] == "6666.00"


def test_a_bad_change_is_a_400(client, manager, catalogue):
    login(client, manager)
    own = catalogue["own"]
    assert patch(client, detail(own), {"price": "-5"}).status_code == 400
    taken = patch(client, detail(own), {"name": "旧款婚纱"})
    assert taken.status_code == 400 and "name" in taken.json()
    # The store is set when a package is made: not a field of the change.
    response = patch(client, detail(own), {"store": None, "album": "水晶册"})
    assert response.status_code == 200 and response.json()["store"] == own.store_id
