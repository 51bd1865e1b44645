"""The benchmark data set: bulk-written, yet every order reads as if the services had written it."""
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from customers.models import Customer
from customers.validators import MOBILE_RE
from orders.models import (
    Order,
    OrderStage,
    OrderStatus,
    Payment,
    PaymentKind,
    StageEvent,
    StageStatus,
)
from staff.models import Role, StaffMember, Store, User

pytestmark = pytest.mark.django_db

CUSTOMERS, STORES = 300, 2


def _generate(**options) -> str:
    out = StringIO()
    call_command("generate_bench_data", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def bench() -> str:
    # A small batch size so that several batches (and cross-batch referrals) are exercised.
    return _generate(customers=CUSTOMERS, stores=STORES, seed=7, batch_size=120)


@pytest.fixture
def orders(bench) -> list[Order]:
    return list(Order.objects.select_related("package").prefetch_related("stages", "payments"))


def test_counts_are_in_proportion_and_the_summary_says_so(bench, orders):
    assert sorted(Store.objects.values_list("code", flat=True)) == ["B01", "B02"]
    assert Customer.objects.count() == CUSTOMERS
    assert 1.3 * CUSTOMERS <= len(orders) <= 1.7 * CUSTOMERS
    assert OrderStage.objects.count() == sum(len(o.package.stage_kinds) for o in orders)
    assert Payment.objects.count() >= len(orders)  # a deposit each, then more
    # Every store has customers, and every store's staff has every role the rows need.
    assert set(Customer.objects.values_list("store__code", flat=True)) == {"B01", "B02"}
    for store in Store.objects.all():
        roles = set(StaffMember.objects.filter(store=store).values_list("role", flat=True))
        assert {Role.SPECIALIST, Role.SUPERVISOR, Role.PHOTOGRAPHER} <= roles
    assert "压测数据生成完毕" in bench and f"客户 {CUSTOMERS:,}" in bench


def test_bench_staff_cannot_log_in_and_sit_in_their_role_group(bench):
    users = list(User.objects.filter(username__startswith="bench_").prefetch_related("groups"))
    assert users
    assert not any(u.has_usable_password() for u in users)
    assert all(len(u.groups.all()) == 1 for u in users)


def test_every_order_has_its_packages_stages_in_sequence_with_the_order_stage_done(orders):
    for order in orders:
        stages = sorted(order.stages.all(), key=lambda s: s.sequence)
        assert [(s.sequence, s.kind) for s in stages] == list(enumerate(order.package.stage_kinds))
        assert stages[0].status == StageStatus.DONE
        assert stages[0].completed_at == order.created_at


def test_stages_are_done_in_order_and_carry_their_times(orders):
    for order in orders:
        statuses = [s.status for s in sorted(order.stages.all(), key=lambda s: s.sequence)]
        done = statuses.count(StageStatus.DONE)
        assert statuses[:done] == [StageStatus.DONE] * done, order.pk  # no gap before a done stage
        assert all(st == StageStatus.PENDING for st in statuses[done + 1:]), order.pk
        for stage in order.stages.all():
            assert (stage.completed_at is not None) == (stage.status == StageStatus.DONE)
            if stage.status == StageStatus.SCHEDULED:
                assert stage.scheduled_at is not None


def test_current_stage_is_the_first_stage_not_done_and_status_follows(orders):
    for order in orders:
        not_done = [s.kind for s in sorted(order.stages.all(), key=lambda s: s.sequence)
                    if s.status != StageStatus.DONE]
        assert order.current_stage == (not_done[0] if not_done else "")
        if not not_done:
            assert order.status == OrderStatus.COMPLETED
        else:
            assert order.status in (OrderStatus.ACTIVE, OrderStatus.CANCELLED)
    statuses = Counter(o.status for o in orders)
    assert statuses[OrderStatus.COMPLETED] and statuses[OrderStatus.ACTIVE]


def test_paid_total_is_the_signed_sum_of_the_ledger_and_no_refund_overdraws_it(orders):
    for order in orders:
        running = Decimal(0)
        for payment in sorted(order.payments.all(), key=lambda p: (p.paid_at, p.pk)):
            running += payment.signed_amount
            assert running >= 0, f"order {order.pk}: refund beyond what was paid"
        assert order.paid_total == running
    assert Payment.objects.filter(kind=PaymentKind.REFUND).exists()
    assert Payment.objects.filter(kind=PaymentKind.BALANCE).exists()


def test_extras_and_balance_owed_agree_with_the_stages_and_the_ledger(orders):
    for order in orders:
        assert order.extras_total == sum((s.extra_amount for s in order.stages.all()), Decimal(0))
        assert order.balance_owed == order.amount - order.discount + order.extras_total - order.paid_total
        assert order.discount <= order.amount
        assert order.balance_owed >= 0, f"order {order.pk} paid more than it costs"
    assert any(o.balance_owed > 0 for o in orders) and any(o.balance_owed == 0 for o in orders)


@pytest.mark.clock
def test_nothing_but_bookings_lies_in_the_future(bench):
    now = timezone.now()
    assert not Customer.objects.filter(created_at__gt=now).exists()
    assert not Order.objects.filter(updated_at__gt=now).exists()
    assert not Payment.objects.filter(paid_at__gt=now).exists()
    assert not StageEvent.objects.filter(at__gt=now).exists()
    assert not OrderStage.objects.filter(completed_at__gt=now).exists()
    # A cancelled order keeps no booking in the future (order_cancel stops the work).
    assert not OrderStage.objects.filter(order__status=OrderStatus.CANCELLED, scheduled_at__gt=now,
                                         status=StageStatus.SCHEDULED).exists()


@pytest.mark.clock
def test_some_stages_are_late_some_booked_ahead_and_some_waiting(bench):
    now = timezone.now()
    scheduled = OrderStage.objects.filter(status=StageStatus.SCHEDULED)
    assert scheduled.filter(scheduled_at__lt=now).exists()  # late
    assert scheduled.filter(scheduled_at__gt=now).exists()  # booked ahead
    assert OrderStage.objects.filter(status=StageStatus.PENDING).exists()
    # The history has a row for each booking and completion, as the services write them.
    assert StageEvent.objects.count() > OrderStage.objects.filter(status=StageStatus.DONE).count()


def test_mobiles_are_valid_and_unique_per_store(bench):
    mobiles = list(Customer.objects.values_list("store_id", "mobile"))
    assert all(MOBILE_RE.match(mobile) for _, mobile in mobiles)
    assert len(set(mobiles)) == len(mobiles)


def test_most_customers_belong_to_a_specialist_of_their_store_and_some_wait(bench):
    specialists = defaultdict(set)
    for store_id, user_id in StaffMember.objects.filter(role=Role.SPECIALIST).values_list(
            "store_id", "user_id"):
        specialists[store_id].add(user_id)
    assigned = Customer.objects.filter(assigned_to__isnull=False)
    assert 0.7 * CUSTOMERS <= assigned.count() < CUSTOMERS
    assert all(user_id in specialists[store_id]
               for store_id, user_id in assigned.values_list("store_id", "assigned_to_id"))


def test_history_is_spread_over_time_not_stamped_with_the_run(orders):
    created = [o.created_at for o in orders]
    assert max(created) - min(created) > timedelta(days=180)
    # The command switches auto_now_add off while it writes, and must switch it back on.
    assert Order._meta.get_field("created_at").auto_now_add
    assert Customer._meta.get_field("updated_at").auto_now


def test_a_second_run_is_refused_unless_appending(bench):
    with pytest.raises(CommandError, match="--append"):
        _generate(customers=10, stores=STORES)
    _generate(customers=50, stores=STORES, append=True, seed=7)
    assert Customer.objects.count() == CUSTOMERS + 50
    assert not Customer.objects.values("store", "mobile").annotate(n=Count("id")).filter(n__gt=1)
    assert User.objects.filter(username__startswith="bench_").count() == 16 * STORES
