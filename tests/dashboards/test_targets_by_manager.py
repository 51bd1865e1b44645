"""Issue 17 item 10: store managers set their own store's targets (the store, its departments
and its people), this month and next (L152: next month's by the 25th); the GM sets any store's;
every change is audited; the targets page then shows the figures."""
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from staff.models import Department, DepartmentKind, MonthlyTarget, Role
from staff.targets import target_set
from studio.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)  # before the 25th: next month is not late
THIS, NEXT = date(2026, 12, 1), date(2027, 1, 1)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def shop(store, staff_of, manager):
    sales = Department.objects.create(store=store, kind=DepartmentKind.SALES, name="门市部")
    seller = staff_of(Role.FRONT_DESK, department=sales, user__username="seller").user
    return {"store": store, "sales": sales, "seller": seller}


def _post(client, month: date, shop, **extra):
    s, p = shop["sales"].pk, shop["seller"].pk
    url = reverse("dashboards:target_edit") + f"?month={month:%Y-%m}"
    return client.post(url, {"store-orders": "30", "store-revenue": "88000",
                             f"d{s}-revenue": "70000", f"p{p}-orders": "7",
                             f"p{p}-revenue": "31000.50", **extra})


def _audited(month: date) -> list[AuditEntry]:
    ids = {str(pk) for pk in MonthlyTarget.objects.filter(month=month).values_list("pk", flat=True)}
    return [e for e in AuditEntry.objects.filter(action=AuditAction.CHANGE_TARGET)
            if e.object_id in ids]


@pytest.mark.parametrize("month", [THIS, NEXT], ids=["this-month", "next-month"])
def test_a_store_manager_sets_their_store_a_department_and_a_person(
        client, frozen, shop, manager, month):
    client.force_login(manager)
    page = client.get(reverse("dashboards:targets"), {"month": f"{month:%Y-%m}"})
    assert 'data-testid="targets-edit"' in page.content.decode()  # not "only the GM"
    response = _post(client, month, shop)
    assert response.status_code == 302
    saved = {(t.department_id, t.person_id): t for t in MonthlyTarget.objects.filter(month=month)}
    assert set(saved) == {(None, None), (shop["sales"].pk, None), (None, shop["seller"].pk)}
    assert saved[(None, None)].orders_target == 30
    assert saved[(shop["sales"].pk, None)].revenue_target == Decimal("70000")
    assert saved[(None, shop["seller"].pk)].revenue_target == Decimal("31000.50")
    assert all(t.set_by == manager for t in saved.values())

    entries = _audited(month)
    assert len(entries) == 3
    assert {e.actor for e in entries} == {manager}
    assert all(e.detail["month"] == f"{month:%Y-%m}" and e.detail["before"] is None
               for e in entries)

    html = client.get(reverse("dashboards:targets"),
                      {"month": f"{month:%Y-%m}"}).content.decode()
    assert 'data-testid="no-targets"' not in html
    targets = re.findall(r'data-testid="target">([^<]+)<', html)
    for shown in ("30", "¥88,000.00", "¥70,000.00", "7", "¥31,000.50"):
        assert shown in targets


def test_a_change_is_audited_with_before_and_after(client, frozen, shop, manager):
    client.force_login(manager)
    _post(client, NEXT, shop)
    _post(client, NEXT, shop, **{"store-revenue": "90000"})
    store_row = MonthlyTarget.objects.get(month=NEXT, department=None, person=None)
    changes = [e for e in _audited(NEXT) if e.object_id == str(store_row.pk)]
    assert len(changes) == 2
    last = max(changes, key=lambda e: e.pk)
    assert last.detail["before"]["revenue_target"] == "88000.00"
    assert last.detail["after"]["revenue_target"] == "90000.00"
    assert last.ip_address == "127.0.0.1"


def test_a_store_manager_cannot_set_another_stores_targets(
        client, frozen, shop, manager, other_store, other_manager):
    client.force_login(manager)
    url = reverse("dashboards:target_edit") + f"?month={THIS:%Y-%m}&store={other_store.pk}"
    assert client.get(url).status_code in (400, 403, 404)
    assert client.post(url, {"store": other_store.pk, "store-orders": "5"}).status_code in (
        400, 403, 404)
    with pytest.raises(PermissionDenied):
        target_set(by=other_manager, store=shop["store"], month=THIS, orders_target=1)
    assert not MonthlyTarget.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.CHANGE_TARGET).exists()


@pytest.mark.parametrize("month", [THIS, NEXT], ids=["this-month", "next-month"])
def test_the_gm_sets_any_stores_targets(client, frozen, shop, general_manager, other_store,
                                        month):
    client.force_login(general_manager)
    url = reverse("dashboards:target_edit") + f"?month={month:%Y-%m}&store={other_store.pk}"
    response = client.post(url, {"store": other_store.pk, "store-orders": "12",
                                 "store-revenue": "40000"})
    assert response.status_code == 302
    target = MonthlyTarget.objects.get(store=other_store, month=month)
    assert (target.orders_target, target.set_by) == (12, general_manager)
    [entry] = _audited(month)
    assert entry.actor == general_manager and entry.detail["store"] == other_store.pk
    html = client.get(reverse("dashboards:targets"),
                      {"month": f"{month:%Y-%m}", "store": other_store.pk}).content.decode()
    assert "¥40,000.00" in re.findall(r'data-testid="target">([^<]+)<', html)


def test_a_past_month_stays_closed(client, frozen, shop, manager):
    client.force_login(manager)
    response = _post(client, date(2026, 11, 1), shop)
    assert response.status_code == 200
    assert 'data-testid="target-edit-locked"' in response.content.decode()
    assert not MonthlyTarget.objects.exists()
