"""The demo studio: every role can log in, the data covers every stage, a rerun changes nothing."""
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from complaints.models import Complaint
from customers.models import Customer
from devtools.demo import demo_seed_rest
from devtools.demo.orders import CLOSES, DEMO_LOGINS, DEMO_PASSWORD, OPENS, demo_seed, local_slot
from frontdesk.models import Booking, ProductionItem
from membership.models import MemberAccount
from orders.models import Order, OrderStage, Payment
from staff.models import MonthlyTarget, StaffMember, Store, User

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


# Role words used as names (张摄影, 吴化妆): what a demo made by a programmer looks like.
ROLE_WORD_NAME = re.compile(r"^.(摄影|化妆|客服|前台|选片|设计|收银|主管|店长)$")


@pytest.mark.clock
def test_the_demo_studio_looks_like_a_studio():
    """Issue 17 item 16: people's names, bookings in opening hours spread over the day, varied
    complaints and products, members in several tiers, orders paid in full and owing, this
    month's targets — the small demo the browser tests use, built at whatever time it is."""
    now = timezone.now()
    demo_seed(customers_per_store=8, now=now)
    demo_seed_rest(now=now)

    names = [u.display_name for u in User.objects.filter(staff_profile__isnull=False)]
    assert names and not [n for n in names if ROLE_WORD_NAME.match(n)]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names), names
    assert len(set(names)) == len(names)

    bookings = list(Booking.objects.all())
    assert len(bookings) >= 3
    for booking in bookings:
        starts, ends = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
        assert OPENS <= starts.time() < CLOSES and ends.date() == starts.date(), booking
        assert ends.time() <= CLOSES, booking
    assert len({timezone.localtime(b.starts_at).time() for b in bookings}) >= 3

    complaints = Complaint.objects.all()
    assert len({c.category for c in complaints}) >= 3
    assert len({c.status for c in complaints}) >= 2
    assert len({c.severity for c in complaints}) >= 2
    assert Complaint.objects.filter(store__code="S02").exists()

    products = ProductionItem.objects.all()
    assert len({p.kind for p in products}) >= 2 and len({p.status for p in products}) >= 2

    assert MemberAccount.objects.values("tier").distinct().count() >= 3

    assert Order.objects.filter(balance_owed=0).exists()
    assert Order.objects.filter(balance_owed__gt=0).exists()

    month = timezone.localdate(now).replace(day=1)
    if timezone.localdate(now).day > 1:  # the month-end report is not empty: orders and
        # complaints this month (before today), in each store
        for store in Store.objects.all():
            assert Order.objects.filter(store=store, created_at__gte=local_slot(
                month, "00:00"), created_at__lt=now).exists(), store
            assert Complaint.objects.filter(store=store, received_at__gte=local_slot(
                month, "00:00"), received_at__lt=now).exists(), store
    for store in Store.objects.all():
        targets = MonthlyTarget.objects.filter(store=store, month=month)
        assert targets.filter(department__isnull=True, person__isnull=True,
                              revenue_target__gt=0).exists(), store
        assert targets.filter(department__isnull=False).exists(), store
        assert targets.filter(person__isnull=False).exists(), store
