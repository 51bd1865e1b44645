"""One FilterSet for the complaint archive (complaints.filters.ComplaintFilter): the page, its
Excel export and the API pick the same complaints for the same query string."""
import pytest
from django.http import QueryDict
from django.urls import reverse

from complaints.apis import ComplaintListApi
from complaints.exports import complaint_archive_filtered
from complaints.filters import ComplaintFilter
from complaints.services import complaint_judge, complaint_register
from studio.exports import _EXPORTERS
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(registered, store, supervisor):
    """An open complaint (registered) and one judged invalid (rejected: ended)."""
    rejected = complaint_register(store=store, by=supervisor, channel="phone", category="price",
                                  customer=CustomerFactory(store=store, name="李四"),
                                  content="价格太贵")
    complaint_judge(complaint=rejected, by=supervisor, valid=False, reason="不成立",
                    explanation="已向客户解释")
    return {"open": registered.pk, "rejected": rejected.pk}


def _page(client, params) -> set[int]:
    response = client.get(reverse("complaints:archive"), params)
    assert response.status_code == 200, response.content
    return {c.pk for c in response.context["page"].object_list}


def _export(user, params) -> set[int]:
    query = QueryDict(mutable=True)
    query.update(params)
    return set(_EXPORTERS["complaints"](user, query).queryset.values_list("pk", flat=True))


def _api(client, params) -> set[int]:
    response = client.get("/api/complaints/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_page_the_export_and_the_api_use_the_one_filterset():
    assert ComplaintListApi.filterset_class is ComplaintFilter
    assert "ComplaintFilter" in complaint_archive_filtered.__code__.co_names


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"open", "rejected"}),
    ({"status": "open"}, {"open"}),
    ({"status": "ended"}, {"rejected"}),           # the page's; the API has it now too
    ({"status": "rejected"}, {"rejected"}),
    ({"valid": "no"}, {"rejected"}),               # the page's; the API has it now too
    ({"overdue": "yes"}, set()),
    ({"category": "price"}, {"rejected"}),
    ({"q": "李四"}, {"rejected"}),
])
def test_the_same_query_picks_the_same_complaints_everywhere(client, supervisor, two, params,
                                                             expected):
    client.force_login(supervisor)
    want = {two[name] for name in expected}
    assert _page(client, params) == _export(supervisor, params) == _api(client, params) == want


def test_a_value_that_is_not_one_is_left_out_by_the_page_and_a_400_in_the_api(
        client, supervisor, two):
    client.force_login(supervisor)
    assert _page(client, {"status": "lost", "start": "昨天"}) == set(two.values())
    response = client.get("/api/complaints/", {"status": "lost"})
    assert response.status_code == 400 and "status" in response.json()


def test_a_store_not_ones_to_pick_is_a_400_on_the_page_and_in_the_api(client, supervisor,
                                                                       other_store, two):
    client.force_login(supervisor)
    for params in ({"store": other_store.pk}, {"store": "abc"}):
        assert client.get(reverse("complaints:archive"), params).status_code == 400
        response = client.get("/api/complaints/", params)
        assert response.status_code == 400 and "store" in response.json()
