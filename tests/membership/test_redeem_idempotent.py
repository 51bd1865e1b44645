"""A redemption sent twice redeems once (issue 17, item 3), as a payment does: the service's
`request_key`, the member page's one-time form key, the API's Idempotency-Key. Different keys
are different redemptions. The clock starts at a fixed time and ticks, as requests sent again
would see it (a frozen clock would hide a key made of the time)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from membership.models import MemberAccount, PointsEntry, PointsKind
from membership.services import points_redeem
from staff.models import Role
from tests.api import login
from tests.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 3, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def member(customer, front_desk, time_machine) -> MemberAccount:
    time_machine.move_to(AT, tick=True)
    return MemberAccountFactory(customer=customer, by=front_desk, points=1000)


def _state(member: MemberAccount) -> tuple[int, int]:
    member.refresh_from_db()
    return member.points_balance, member.entries.filter(kind=PointsKind.REDEEM).count()


def test_the_same_key_twice_redeems_once_and_returns_the_same_entry(member, front_desk):
    first = points_redeem(account=member, points=300, by=front_desk, note="相框", request_key="k1")
    again = points_redeem(account=member, points=300, by=front_desk, note="相框", request_key="k1")
    assert again.pk == first.pk
    assert _state(member) == (700, 1)


def test_the_same_key_is_answered_even_when_the_balance_no_longer_covers_it(member, front_desk):
    points_redeem(account=member, points=800, by=front_desk, note="升级套系", request_key="k1")
    again = points_redeem(account=member, points=800, by=front_desk, note="升级套系",
                          request_key="k1")
    assert again.points == -800 and _state(member) == (200, 1)


def test_different_keys_are_two_redemptions(member, front_desk):
    points_redeem(account=member, points=300, by=front_desk, note="相框", request_key="k1")
    points_redeem(account=member, points=300, by=front_desk, note="相框", request_key="k2")
    assert _state(member) == (400, 2)


def test_a_key_used_for_another_member_is_refused(member, front_desk, store):
    other = MemberAccountFactory(customer=CustomerFactory(store=store), by=front_desk, points=500)
    points_redeem(account=member, points=100, by=front_desk, note="相框", request_key="k1")
    with pytest.raises(ValidationError):
        points_redeem(account=other, points=100, by=front_desk, note="相框", request_key="k1")
    assert _state(other) == (500, 0)


def test_a_long_api_key_fits_the_ledger_and_still_redeems_once(member, front_desk):
    key = f"api:{front_desk.pk}:" + "x" * 60
    for _ in range(2):
        points_redeem(account=member, points=100, by=front_desk, note="相框", request_key=key)
    assert _state(member) == (900, 1)
    assert len(PointsEntry.objects.get(kind=PointsKind.REDEEM).key) <= 64


# ---- the member page ---------------------------------------------------------------------------

def _redeem_key_on_page(client, member) -> str:
    form = client.get(reverse("membership:detail", args=[member.pk])).context["redeem_form"]
    key = form["request_key"].value()
    assert key and 'name="request_key"' in str(form["request_key"])
    return key


def test_the_page_sent_twice_redeems_once(client, member, front_desk):
    client.force_login(front_desk)
    key = _redeem_key_on_page(client, member)
    url = reverse("membership:action", args=[member.pk, "redeem"])
    for _ in range(2):  # a double click, or the browser sending the form again
        response = client.post(url, {"points": "300", "note": "相框", "request_key": key})
        assert response.status_code == 302
    assert _state(member) == (700, 1)


def test_each_page_has_its_own_key_so_two_redemptions_count_twice(client, member, front_desk):
    client.force_login(front_desk)
    url = reverse("membership:action", args=[member.pk, "redeem"])
    keys = [_redeem_key_on_page(client, member) for _ in range(2)]
    assert keys[0] != keys[1]
    for key in keys:
        client.post(url, {"points": "300", "note": "相框", "request_key": key})
    assert _state(member) == (400, 2)


# ---- the API -----------------------------------------------------------------------------------

def _api_redeem(client, member, key: str | None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/members/{member.pk}/redeem/", {"points": 300, "note": "相框"},
                       content_type="application/json", **headers)


def test_an_api_request_sent_again_with_its_key_redeems_once(client, member, front_desk):
    login(client, front_desk)
    first, again = _api_redeem(client, member, "abc-1"), _api_redeem(client, member, "abc-1")
    assert first.status_code == again.status_code == 201, again.content
    assert again.json()["entry"]["id"] == first.json()["entry"]["id"]
    assert again.json()["member"]["points_balance"] == 700
    assert _state(member) == (700, 1)


def test_api_requests_with_different_keys_redeem_twice(client, member, front_desk):
    login(client, front_desk)
    assert _api_redeem(client, member, "abc-1").status_code == 201
    assert _api_redeem(client, member, "abc-2").status_code == 201
    assert _state(member) == (400, 2)


def test_the_api_key_is_kept_apart_per_user(client, member, front_desk, staff_of):
    other_desk = staff_of(Role.FRONT_DESK).user
    assert _api_redeem(login(client, front_desk), member, "abc-1").status_code == 201
    assert _api_redeem(login(client, other_desk), member, "abc-1").status_code == 201
    assert _state(member) == (400, 2)


def test_the_schema_documents_the_idempotency_key(client, front_desk):
    schema = login(client, front_desk).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    params = schema.json()["paths"]["/api/members/{member_id}/redeem/"]["post"]["parameters"]
    assert "Idempotency-Key" in {p["name"] for p in params}
