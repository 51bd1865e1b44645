"""Personal data: a role without customers.view_full_mobile never receives a full mobile.

The world of test_access_grid (customers with known mobiles 13900000001-3, each with one of
everything) is requested as a specialist and as a cashier, over every list (plain and exported)
and every page, download and API endpoint that takes an id; no response body, no .xlsx cell
and no log record (caplog at DEBUG) may hold a full number. The one way to a full number is the
call page's reveal: a POST, permission-checked and audited.
"""
import logging

import pytest
from django.urls import reverse

from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.factories import StaffMemberFactory

from .test_access_grid import (
    CUSTOMERS,
    GRID,
    World,
    _client_for,
    _list_names,
    _request,
    body_text,
    make_everything,
)

MOBILES = [mobile for _name, mobile in CUSTOMERS.values()]
MASKED = {mobile: f"{mobile[:3]}****{mobile[-4:]}" for mobile in MOBILES}



@pytest.fixture
def world(request, db) -> World:
    return World(request)


# The reveal answers the full number by design (see test_revealing_is_a_post_and_audited).
REVEALS = {"callbacks:reveal"}


def _viewer(world, role: str):
    if role == "specialist":
        return world.users["specialist"]
    return StaffMemberFactory(role=Role.CASHIER, store=world.s1, user__username="cashier").user


@pytest.mark.parametrize("role", ["specialist", "cashier"])
@pytest.mark.clock
def test_no_full_mobile_reaches_a_role_without_the_permission(world, role, caplog):
    make_everything(world)
    user = _viewer(world, role)
    assert not user.has_perm("customers.view_full_mobile")
    client = _client_for(user)
    caplog.set_level(logging.DEBUG)
    seen, found, masked_seen = 0, [], False
    requests = [(name, reverse(name), "get", params) for name in _list_names() for params in (
        {"kind": "gown"} if name == "api:stage-list" else {},
        {"export": "xlsx", "view": "all", "status": "all", "all": "1"})]
    for row in GRID:
        if row.name in REVEALS:
            continue
        for target in row.targets:
            if target in ("A", "B", "S01", "global"):
                requests.append((row.id, row, target, None))
    for label, url_or_row, method_or_target, params in requests:
        if params is None:
            row = url_or_row
            response = _request(client, row, row.url(world, method_or_target, user))
        else:
            response = client.get(url_or_row, params)
        if response.status_code >= 400:
            continue
        seen += 1
        text = body_text(response)
        masked_seen |= any(masked in text for masked in MASKED.values())
        found += [f"{label} {params or ''}: {mobile}" for mobile in MOBILES if mobile in text]
    logged = [f"{record.name}: {mobile}" for record in caplog.records for mobile in MOBILES
              if mobile in record.getMessage() or mobile in str(record.args)]
    assert not found, f"full mobiles shown to the {role}: {found}"
    assert not logged, f"full mobiles in the log: {logged}"
    assert seen > 40 and masked_seen  # the scan read real pages that show customers' numbers


def test_revealing_is_a_post_permission_checked_and_audited(world, client):
    task = world.callback["A"]
    url = reverse("callbacks:reveal", kwargs={"pk": task.pk})
    client.force_login(world.users["specialist"])
    assert client.get(url).status_code == 405
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL_MOBILE).exists()
    response = client.post(url, REMOTE_ADDR="10.1.2.3")
    assert response.json() == {"mobile": world.customer["A"].mobile}
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL_MOBILE)
    assert (entry.actor, entry.object_id, entry.ip_address) == (
        world.users["specialist"], str(world.customer["A"].pk), "10.1.2.3")
    assert entry.at is not None
    cashier = _viewer(world, "cashier")  # sees the store's customers, makes no calls
    client.force_login(cashier)
    assert client.post(url).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL_MOBILE).count() == 1


@pytest.mark.parametrize("url_name, attr", [
    ("orders:customer", "customer"), ("api:customer-detail", "customer"),
    ("membership:detail", "member"), ("api:member-detail", "member"),
    ("complaints:detail", "complaint"), ("api:complaint-detail", "complaint"),
])
def test_opening_a_customers_file_is_audited_with_who_when_and_where(world, client, url_name,
                                                                     attr):
    obj = getattr(world, attr)["A"]
    client.force_login(world.users["specialist"])
    response = client.get(reverse(url_name, kwargs={"pk": obj.pk}), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_CUSTOMER)
    assert (entry.actor, entry.object_type, entry.object_id, entry.ip_address) == (
        world.users["specialist"], "customers.customer", str(world.customer["A"].pk), "10.9.8.7")


def test_exporting_personal_data_is_audited(world, client):
    client.force_login(world.users["supervisor"])
    response = client.get(reverse("orders:customers"), {"export": "xlsx", "q": "甲一"},
                          REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 200
    assert "13900000001" in body_text(response)  # the supervisor may see full numbers
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor, entry.ip_address) == (world.users["supervisor"], "10.0.0.5")
    assert entry.detail["rows"] == 1 and entry.detail["filters"] == {"q": "甲一"}


def test_a_role_without_the_permission_cannot_export_personal_data(world, client):
    client.force_login(world.users["specialist"])
    response = client.get(reverse("orders:customers"), {"export": "xlsx"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
