"""One FilterSet for the customer list (customers.filters.CustomerFilter): the page, its Excel
export and the API pick the same customers for the same query string."""
import pytest
from django.http import QueryDict
from django.urls import reverse

from customers.apis import CustomerListApi
from customers.filters import CustomerFilter
from studio.exports import _EXPORTERS
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(store, specialist):
    return {"mine": CustomerFactory(store=store, assigned_to=specialist, name="张三",
                                    mobile="13800001234").pk,
            "nobody": CustomerFactory(store=store, assigned_to=None, name="李四",
                                      mobile="13900005678").pk}


def _page(client, params) -> set[int]:
    response = client.get(reverse("orders:customers"), params)
    assert response.status_code == 200, response.content
    return {c.pk for c in response.context["page"].object_list}


def _export(user, params) -> set[int]:
    query = QueryDict(mutable=True)
    query.update(params)
    return set(_EXPORTERS["customers"](user, query).queryset.values_list("pk", flat=True))


def _api(client, params) -> set[int]:
    response = client.get("/api/customers/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_api_uses_the_lists_filterset():
    assert CustomerListApi.filterset_class is CustomerFilter


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"mine", "nobody"}),
    ({"unassigned": "1"}, {"nobody"}),     # the page's link
    ({"unassigned": "true"}, {"nobody"}),  # the API's
    ({"unassigned": "false"}, {"mine"}),
    ({"q": "张"}, {"mine"}),
    ({"q": "5678"}, {"nobody"}),
])
def test_the_same_query_picks_the_same_customers_everywhere(client, supervisor, book, params,
                                                            expected):
    client.force_login(supervisor)
    want = {book[name] for name in expected}
    assert _page(client, params) == _export(supervisor, params) == _api(client, params) == want


def test_the_specialist_filter_is_the_same_on_the_page(client, supervisor, specialist, book):
    client.force_login(supervisor)
    params = {"assigned_to": specialist.pk}
    assert _page(client, params) == _api(client, params) == {book["mine"]}


def test_a_value_that_is_not_one_is_left_out_by_the_page_and_a_400_in_the_api(
        client, supervisor, book):
    client.force_login(supervisor)
    assert _page(client, {"assigned_to": "x"}) == set(book.values())
    response = client.get("/api/customers/", {"assigned_to": "x"})
    assert response.status_code == 400 and "assigned_to" in response.json()


def test_a_store_not_ones_to_pick_is_a_400_on_the_page_and_in_the_api(client, supervisor,
                                                                       other_store, book):
    client.force_login(supervisor)
    for params in ({"store": other_store.pk}, {"store": "abc"}):
        assert client.get(reverse("orders:customers"), params).status_code == 400
        response = client.get("/api/customers/", params)
        assert response.status_code == 400 and "store" in response.json()
