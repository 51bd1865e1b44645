"""The callback summary report is in the API (issue 17 item 20): the same figures as the page
for the same period, store and scope, with member coverage; refused to roles without it."""
import pytest
from django.urls import reverse

from tests.api import get_json, login
from tests.callbacks.test_summary import (
    march,  # noqa: F401 - the report's hand-counted March
    serve,  # noqa: F401
)

pytestmark = pytest.mark.django_db
URL = "/api/callback-summary/"
MARCH = {"start": "2025-03-01", "end": "2025-03-31"}


def test_the_api_gives_the_page_s_report(client, march, supervisor, store):  # noqa: F811
    login(client, supervisor)
    page = client.get(reverse("callbacks:summary"), MARCH).context["summary"]
    data = get_json(client, URL, MARCH)
    # A supervisor's report is their store's, on the page as in the API.
    assert (data["start"], data["end"], data["store"]) == ("2025-03-01", "2025-03-31", store.pk)
    for name in ("created", "due", "completed", "on_time", "overdue", "unreachable", "open"):
        assert data["tasks"][name] == page["tasks"][name], name
    assert data["satisfaction"]["answers"] == page["satisfaction"].answers
    assert data["satisfaction"]["satisfied_rate"] == page["satisfaction"].satisfied_rate
    assert [r["label"] for r in data["by_stage"]] == [str(r.label) for r in page["by_stage"]]
    assert [r["answers"] for r in data["by_specialist"]] == [
        r.answers for r in page["by_specialist"]]
    for name in ("services", "services_covered", "members", "members_covered", "rate"):
        assert data["coverage"][name] == page["coverage"][name], name
    assert len(data["coverage"]["missing"]) == len(page["coverage"]["missing"])
    assert data["suggestions_total"] == page["suggestions_total"]
    assert data["satisfaction_note"]


def test_roles_without_the_report_are_refused(client, march, specialist,  # noqa: F811
                                               front_desk):
    login(client, specialist)
    assert client.get(URL, MARCH).status_code == 403
    login(client, front_desk)
    assert client.get(URL, MARCH).status_code == 403
    client.logout()
    assert client.get(URL, MARCH).status_code == 401


def test_bad_input_is_a_400(client, march, supervisor, other_store):  # noqa: F811
    login(client, supervisor)
    assert client.get(URL, {"start": "2025-13-01"}).status_code == 400
    assert client.get(URL, {"store": other_store.pk}).status_code == 400  # not theirs to pick
