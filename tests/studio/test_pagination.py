"""Deep pages read their ids first (a deferred join) and show exactly the rows plain offsets
would, in the same order, in one query."""
import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from studio import pagination
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(store):
    # Equal creation times on purpose: the tie-break (pk) must hold across the two reads.
    return CustomerFactory.create_batch(9, store=store)


@pytest.mark.parametrize("page", [1, 2, 3, 4, 5])
def test_a_deep_page_has_the_rows_of_a_plain_offset_in_one_query(customers, monkeypatch, page):
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 2)
    rows = Customer.objects.order_by("name", "-pk")
    request = RequestFactory().get("/", {"page": page})

    with CaptureQueriesContext(connection) as queries:
        shown = list(pagination.paginate(request, rows, per_page=2).object_list)

    assert shown == list(rows)[(page - 1) * 2:page * 2]
    assert len(queries) == 2  # the count and the page
    if page > 1:
        assert "IN (SELECT" in queries[-1]["sql"].upper()
