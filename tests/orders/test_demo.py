"""The demo studio: every role can log in, the data covers every stage, a rerun changes nothing."""
import pytest
from django.core.management import call_command

from customers.models import Customer
from devtools.demo.orders import DEMO_LOGINS, DEMO_PASSWORD
from orders.models import Order, OrderStage, Payment
from staff.models import StaffMember

pytestmark = pytest.mark.django_db


def _counts():
    return tuple(m.objects.count() for m in (Customer, Order, OrderStage, Payment, StaffMember))


def test_seed_demo_loads_once_and_a_second_run_changes_nothing(client):
    call_command("seed_demo")
    first = _counts()
    assert first[0] == 306  # 300 with orders, 6 walk-in prospects (走单)
    call_command("seed_demo")
    assert _counts() == first
    for username, *_ in DEMO_LOGINS:
        assert client.login(username=username, password=DEMO_PASSWORD), username
    stages = set(Order.objects.values_list("current_stage", flat=True))
    assert {"gown", "shoot", "selection", "pickup", ""} <= stages
    assert Order.objects.filter(balance_owed__gt=0).exists()
    assert Customer.objects.filter(assigned_to__isnull=True).exists()
    assert not Order.objects.filter(balance_owed__lt=0).exists()
