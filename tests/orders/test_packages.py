"""套系管理 (issue 16): the packages page by role, packages made, changed, taken off sale and put
back (each audited with what changed), a name taken, bad input, the list's query count, and the
store's sales settings.

人民路店 (store, S01) sells 人民路婚纱 and the chain's 全店通用; 滨江店 (S02) sells 滨江婚纱.
"""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Package
from orders.packages import package_save
from orders.services import order_create
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.factories import CustomerFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("orders:packages")
NEW = reverse("orders:package_new")
SETTINGS = reverse("orders:store_settings")


@pytest.fixture
def packages(store, other_store):
    return {
        "chain": PackageFactory(name="全店通用", store=None, price=Decimal("3999.00")),
        "mine": PackageFactory(name="人民路婚纱", store=store, price=Decimal("5999.00"),
                               photos_count=30, album_photos=20, outfits=3, scenes=2,
                               album="12寸水晶相册"),
        "theirs": PackageFactory(name="滨江婚纱", store=other_store, price=Decimal("6999.00")),
    }


def _rows(response) -> dict[str, bool]:
    """Each package on the page: whether the viewer may change it."""
    return {p.name: may for p, may in response.context["rows"]}


def _form(**overrides) -> dict:
    return {"name": "新款套系", "kind": "wedding", "price": "6999", "photos_count": "40",
            "album_photos": "25", "extra_photo_price": "50", "album": "", "outfits": "4",
            "scenes": "3", "includes_gown_selection": "on", "description": "", **overrides}


def _audits(obj) -> list[dict]:
    return [e.detail for e in AuditEntry.objects.filter(
        action=AuditAction.CHANGE_PACKAGE, object_type=obj._meta.label_lower,
        object_id=str(obj.pk)).order_by("pk")]


# --- who sees what -----------------------------------------------------------------------------

def test_a_store_manager_sees_their_stores_and_the_chains_packages_and_changes_their_own(
        client, manager, packages):
    client.force_login(manager)
    response = client.get(LIST)
    assert response.status_code == 200
    assert _rows(response) == {"全店通用": False, "人民路婚纱": True}
    assert response.context["may_add"] and response.context["settings_form"] is not None
    html = response.content.decode()
    assert 'data-testid="package-new"' in html and 'data-testid="store-settings-form"' in html
    assert 'data-testid="nav-packages"' in html
    # Another store asked for: refused, not their own store instead.
    assert client.get(LIST, {"store": packages["theirs"].store_id}).status_code == 400


def test_the_general_manager_sees_and_changes_every_store_and_the_chain(
        client, general_manager, packages, other_store):
    client.force_login(general_manager)
    assert _rows(client.get(LIST)) == {"全店通用": True, "人民路婚纱": True, "滨江婚纱": True}
    one_store = client.get(LIST, {"store": other_store.pk})
    assert _rows(one_store) == {"全店通用": True, "滨江婚纱": True}
    assert one_store.context["settings_form"]["store"].value() == other_store.pk


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CASHIER, Role.PHOTOGRAPHER,
                                  Role.SPECIALIST, Role.SUPERVISOR])
def test_other_roles_read_the_price_list_only(client, staff_of, packages, role):
    user = staff_of(role).user
    client.force_login(user)
    response = client.get(LIST)
    assert response.status_code == 200
    assert _rows(response) == {"全店通用": False, "人民路婚纱": False}
    html = response.content.decode()
    assert "package-new" not in html and "package-edit" not in html
    assert "package-deactivate" not in html and "store-settings-form" not in html
    mine = packages["mine"]
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _form()).status_code == 403
    assert client.get(reverse("orders:package_edit", args=[mine.pk])).status_code == 403
    assert client.post(reverse("orders:package_active", args=[mine.pk]),
                       {"active": "0"}).status_code == 403
    assert client.post(SETTINGS, {"discount_limit": "0"}).status_code == 403
    mine.refresh_from_db()
    assert mine.is_active and not AuditEntry.objects.filter(action=AuditAction.CHANGE_PACKAGE)
    # The menu: the front desk sells packages, the others do not come here from it.
    assert ('data-testid="nav-packages"' in html) == (role == Role.FRONT_DESK)


def test_someone_without_the_permission_is_refused(client, packages):
    client.force_login(UserFactory())  # a login with no staff profile: no permission at all
    assert client.get(LIST).status_code == 403


def test_a_store_manager_may_not_change_the_chains_or_another_stores_package(
        client, manager, packages):
    client.force_login(manager)
    chain, theirs = packages["chain"], packages["theirs"]
    assert client.get(reverse("orders:package_edit", args=[chain.pk])).status_code == 403
    assert client.post(reverse("orders:package_active", args=[chain.pk]),
                       {"active": "0"}).status_code == 403
    assert client.get(reverse("orders:package_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("orders:package_active", args=[theirs.pk]),
                       {"active": "0"}).status_code == 404
    chain.refresh_from_db()
    theirs.refresh_from_db()
    assert chain.is_active and theirs.is_active


# --- making and changing packages ------------------------------------------------------------

def test_a_store_manager_adds_a_package_to_their_store_audited(client, manager, store,
                                                               other_store, packages):
    client.force_login(manager)
    # A store named in the form is not theirs to pick: the package is their store's.
    response = client.post(NEW, _form(store=other_store.pk))
    assert response.status_code == 302
    package = Package.objects.get(name="新款套系")
    assert package.store == store and package.price == Decimal("6999.00")
    assert package.stage_kinds == ["order", "gown", "shoot", "selection", "pickup"]
    [detail] = _audits(package)
    assert detail["created"] is True
    assert detail["changes"]["name"] == [None, "新款套系"]
    assert detail["changes"]["price"] == [None, "6999.00"]
    assert detail["changes"]["store"] == [None, store.pk]
    entry = AuditEntry.objects.get(action=AuditAction.CHANGE_PACKAGE)
    assert entry.actor == manager


def test_the_general_manager_adds_a_chain_package_or_one_for_a_store(client, general_manager,
                                                                     other_store):
    client.force_login(general_manager)
    assert client.post(NEW, _form(name="连锁套系", store="")).status_code == 302
    assert Package.objects.get(name="连锁套系").store is None
    assert client.post(NEW, _form(name="滨江新款", store=other_store.pk,
                                  includes_gown_selection="")).status_code == 302
    package = Package.objects.get(name="滨江新款")
    assert package.store == other_store and "gown" not in package.stage_kinds


def test_a_name_taken_in_the_store_is_the_name_fields_error(client, manager, general_manager,
                                                           packages, other_store):
    client.force_login(manager)
    response = client.post(NEW, _form(name=" 人民路婚纱 "))
    assert response.status_code == 400
    assert "本门店已有同名套系" in response.context["form"].errors["name"][0]
    # The same name in another store is another package; among the chain's it is taken.
    client.force_login(general_manager)
    assert client.post(NEW, _form(name="人民路婚纱", store=other_store.pk)).status_code == 302
    response = client.post(NEW, _form(name="全店通用", store=""))
    assert response.status_code == 400 and "name" in response.context["form"].errors
    # Renaming onto a taken name: the same error, nothing changed.
    response = client.post(reverse("orders:package_edit", args=[packages["mine"].pk]),
                           _form(name="全店通用"))
    assert response.status_code == 302  # a store's package may share a chain package's name
    response = client.post(reverse("orders:package_edit", args=[packages["theirs"].pk]),
                           _form(name="人民路婚纱"))
    assert response.status_code == 400 and "name" in response.context["form"].errors


@pytest.mark.parametrize("bad", [{"price": "-1"}, {"price": "abc"}, {"name": ""},
                                 {"photos_count": "-3"}, {"extra_photo_price": "1.234"},
                                 {"kind": "nonsense"}])
def test_bad_input_is_a_form_error_never_a_500(client, manager, bad):
    client.force_login(manager)
    response = client.post(NEW, _form(**bad))
    assert response.status_code == 400
    assert set(bad) & set(response.context["form"].errors)
    assert not Package.objects.filter(name="新款套系").exists()


def test_changing_a_package_audits_what_changed_only(client, manager, packages):
    mine = packages["mine"]
    client.force_login(manager)
    url = reverse("orders:package_edit", args=[mine.pk])
    form = client.get(url).context["form"]
    data = {name: ("on" if value is True else "" if value is False else value)
            for name, value in form.initial.items()}
    response = client.post(url, {**data, "price": "6499.00", "outfits": "4"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.price == Decimal("6499.00") and mine.outfits == 4
    assert _audits(mine) == [{"changes": {"price": ["5999.00", "6499.00"], "outfits": [3, 4]}}]
    assert client.post(url, {**data, "price": "6499.00", "outfits": "4"}).status_code == 302
    assert len(_audits(mine)) == 1  # nothing changed: nothing written


def test_a_package_taken_off_sale_stays_on_its_orders_and_comes_back(client, manager, store,
                                                                    packages, front_desk):
    mine = packages["mine"]
    order = order_create(customer=CustomerFactory(store=store), package=mine, by=front_desk)
    client.force_login(manager)
    url = reverse("orders:package_active", args=[mine.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    mine.refresh_from_db()
    order.refresh_from_db()
    assert not mine.is_active and order.package == mine
    assert Package.objects.filter(pk=mine.pk).exists()  # never deleted
    response = client.get(LIST)
    assert 'data-testid="package-activate"' in response.content.decode()
    assert client.post(url, {"active": "1"}).status_code == 302
    mine.refresh_from_db()
    assert mine.is_active
    assert _audits(mine) == [{"changes": {"is_active": [True, False]}},
                             {"changes": {"is_active": [False, True]}}]


def test_the_service_refuses_a_store_manager_a_chain_package():
    from django.core.exceptions import PermissionDenied

    from tests.factories import StaffMemberFactory

    manager = StaffMemberFactory(role=Role.STORE_MANAGER).user
    with pytest.raises(PermissionDenied):
        package_save(package=None, by=manager, store=None, name="连锁", price=Decimal("1"))


# --- the list's query count ---------------------------------------------------------------------

def test_the_list_counts_each_packages_orders_in_a_fixed_number_of_queries(
        client, manager, store, other_store, packages, front_desk, staff_of):
    far_desk = staff_of(Role.FRONT_DESK, other_store).user
    for package in (packages["mine"], packages["mine"], packages["chain"]):
        order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
    order_create(customer=CustomerFactory(store=other_store), package=packages["chain"],
                 by=far_desk)
    client.force_login(manager)
    client.get(LIST)  # warm the session

    def counted() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        return len(queries), {p.name: p.orders_count for p, _may in response.context["rows"]}

    few, counts = counted()
    # The store's own orders: the chain package's order at 滨江店 is not 人民路店's.
    assert counts == {"全店通用": 1, "人民路婚纱": 2}
    for i in range(12):
        package = PackageFactory(name=f"加套系{i}", store=store)
        order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
    many, counts = counted()
    assert many == few and len(counts) == 14


# --- the store's sales settings ----------------------------------------------------------------

def test_a_store_manager_sets_their_stores_sales_rules_audited(client, manager, store,
                                                              other_store):
    client.force_login(manager)
    response = client.post(SETTINGS, {"discount_limit": "500", "auto_assign_customers": "on",
                                      "document_terms": "定金不退。\n拍摄前三天可改期一次。"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.discount_limit == Decimal("500.00") and store.auto_assign_customers
    assert store.document_terms.startswith("定金不退")
    [detail] = _audits(store)
    assert detail["store_settings"]["discount_limit"] == ["1000.00", "500.00"]
    assert detail["store_settings"]["auto_assign_customers"] == [False, True]
    # Another store is not theirs to set.
    response = client.post(SETTINGS, {"store": other_store.pk, "discount_limit": "0",
                                      "document_terms": ""})
    assert response.status_code == 400
    other_store.refresh_from_db()
    assert other_store.discount_limit == Decimal("1000.00")


def test_the_general_manager_picks_the_store_to_set(client, general_manager, other_store):
    client.force_login(general_manager)
    response = client.post(SETTINGS, {"discount_limit": "300", "document_terms": ""})
    assert response.status_code == 400
    assert "store" in response.context["settings_form"].errors
    response = client.post(SETTINGS, {"store": other_store.pk, "discount_limit": "300",
                                      "document_terms": "滨江店条款"})
    assert response.status_code == 302
    other_store.refresh_from_db()
    assert other_store.discount_limit == Decimal("300.00")
    assert other_store.document_terms == "滨江店条款"


@pytest.mark.parametrize("limit", ["-1", "abc", ""])
def test_a_bad_discount_limit_is_refused_on_the_form(client, manager, store, limit):
    client.force_login(manager)
    response = client.post(SETTINGS, {"discount_limit": limit, "document_terms": ""})
    assert response.status_code == 400
    assert "discount_limit" in response.context["settings_form"].errors
    store.refresh_from_db()
    assert store.discount_limit == Decimal("1000.00")


# --- the admin keeps the same rules ------------------------------------------------------------

def test_the_admin_saves_through_the_service_and_never_deletes(client, manager, general_manager,
                                                               packages):
    mine, chain = packages["mine"], packages["chain"]
    client.force_login(manager)
    changelist = client.get(reverse("admin:orders_package_changelist"))
    assert changelist.status_code == 200
    assert {p.name for p in changelist.context["cl"].result_list} == {"人民路婚纱", "全店通用"}
    url = reverse("admin:orders_package_change", args=[mine.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("on" if value is True else "" if value is False else
                   "" if value is None else value)
            for name, value in form.initial.items() if name in form.fields}
    data = {key: value for key, value in data.items() if value != ""}
    response = client.post(url, {**data, "price": "6100.00"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    mine.refresh_from_db()
    assert mine.price == Decimal("6100.00")
    assert _audits(mine) == [{"changes": {"price": ["5999.00", "6100.00"]}}]
    # The chain's package is the general manager's; nothing is deleted here.
    assert client.post(reverse("admin:orders_package_change", args=[chain.pk]),
                       {**data, "name": "改名"}).status_code == 403
    assert client.get(reverse("admin:orders_package_delete", args=[mine.pk])).status_code == 403
    client.force_login(general_manager)
    assert client.get(reverse("admin:orders_package_change", args=[chain.pk])).status_code == 200


def test_a_store_manager_adds_a_package_in_the_admin_to_their_store_only(client, manager, store,
                                                                         other_store):
    client.force_login(manager)
    url = reverse("admin:orders_package_add")
    form = client.get(url).context["adminform"].form
    assert list(form.fields["store"].queryset) == [store]
    response = client.post(url, {**_form(name="后台套系"), "store": store.pk, "is_active": "on"})
    assert response.status_code == 302
    package = Package.objects.get(name="后台套系")
    assert package.store == store and _audits(package)[0]["created"] is True
    response = client.post(url, {**_form(name="外店套系"), "store": other_store.pk})
    assert response.status_code == 200 and "store" in response.context["adminform"].form.errors
