"""The stores' departments are in the API (issue 17 item 20: judging a complaint names one)."""
import pytest

from staff.models import Department, DepartmentKind
from tests.api import get_json, login

pytestmark = pytest.mark.django_db
URL = "/api/departments/"


@pytest.fixture
def departments(store, other_store):
    return {
        "service": Department.objects.create(store=store, kind=DepartmentKind.CUSTOMER_SERVICE,
                                             name="客服部"),
        "photo": Department.objects.create(store=store, kind=DepartmentKind.PHOTOGRAPHY,
                                           name="摄影部"),
        "far": Department.objects.create(store=other_store, kind=DepartmentKind.PHOTOGRAPHY,
                                         name="滨江摄影部"),
    }


def _ids(data) -> set[int]:
    return {row["id"] for row in data["results"]}


@pytest.mark.parametrize("who", ["specialist", "supervisor", "front_desk", "manager"])
def test_staff_see_their_own_store_s_departments(client, request, departments, who):
    login(client, request.getfixturevalue(who))
    data = get_json(client, URL)
    assert _ids(data) == {departments["service"].pk, departments["photo"].pk}
    row = next(r for r in data["results"] if r["id"] == departments["photo"].pk)
    assert (row["kind"], row["kind_display"], row["name"]) == ("photography", "摄影部", "摄影部")


def test_a_general_manager_sees_every_store_and_narrows_by_store_and_kind(
        client, general_manager, departments, other_store):
    login(client, general_manager)
    assert _ids(get_json(client, URL)) == {d.pk for d in departments.values()}
    assert _ids(get_json(client, URL, {"store": other_store.pk})) == {departments["far"].pk}
    assert _ids(get_json(client, URL, {"kind": "photography"})) == {
        departments["photo"].pk, departments["far"].pk}
    assert client.get(URL, {"kind": "nope"}).status_code == 400


def test_another_store_is_refused_and_anonymous_is_401(client, manager, departments, other_store):
    login(client, manager)
    assert client.get(URL, {"store": other_store.pk}).status_code == 400
    client.logout()
    assert client.get(URL).status_code == 401
