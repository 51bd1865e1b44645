"""Demo targets (月度业绩指标): this month's for each store, its departments and its people,
handed down by the store manager on the 20th of last month (L152 每月25日前要分解下月业绩下达到
部门及个人), through staff.targets.target_set. The figures are the store's monthly average of
the last six months, plus a tenth."""
import math
from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from orders.models import Order, OrderStage, OrderStatus, Payment, StageKind, StageStatus
from staff.models import DepartmentKind, MonthlyTarget, Role, StaffMember, Store
from staff.targets import month_start, previous_month, target_set

HISTORY_MONTHS = 6
GROWTH = Decimal("1.1")
# Who carries which figure: the front desk signs the orders and takes the money, selection
# sells the add-ons, the shoot's performance is split as the schedule's default rule (60/40).
SPLIT = {
    DepartmentKind.SALES: ({Role.FRONT_DESK}, {"orders_target": 1, "revenue_target": 1}),
    DepartmentKind.CUSTOMER_SERVICE: ({Role.SPECIALIST}, {"orders_target": 1}),
    DepartmentKind.SELECTION_DESIGN: ({Role.SELECTION_CONSULTANT}, {"upsell_target": 1}),
    DepartmentKind.PHOTOGRAPHY: ({Role.PHOTOGRAPHER}, {"performance_target": Decimal("0.6")}),
    DepartmentKind.MAKEUP: ({Role.MAKEUP_ARTIST}, {"performance_target": Decimal("0.4")}),
}


def _up(value, step: int) -> Decimal:
    """Rounded up to a whole `step` (targets are round numbers), at least one step."""
    return Decimal(max(1, math.ceil(Decimal(value) / step)) * step)


def _store_figures(store: Store, *, since: datetime) -> dict[str, Decimal]:
    months = Decimal(HISTORY_MONTHS)
    orders = (Order.objects.filter(store=store, created_at__gte=since)
              .exclude(status=OrderStatus.CANCELLED).count())
    revenue = (Payment.objects.filter(store=store, paid_at__gte=since)
               .exclude(kind="refund").aggregate(total=Sum("amount"))["total"] or 0)
    stages = OrderStage.objects.filter(order__store=store, status=StageStatus.DONE,
                                       completed_at__gte=since)
    upsell = stages.aggregate(total=Sum("extra_amount"))["total"] or 0
    shoots = (stages.filter(kind=StageKind.SHOOT)
              .aggregate(total=Sum("order__package__price"), n=Count("pk"))["total"] or 0)
    return {"orders_target": Decimal(math.ceil(orders / months * GROWTH)),
            "revenue_target": _up(revenue / months * GROWTH, 10_000),
            "upsell_target": _up(upsell / months * GROWTH, 1_000),
            "performance_target": _up(shoots / months * GROWTH, 1_000)}


def _share(total: Decimal, ratio, people: int, name: str) -> Decimal | int:
    part = total * Decimal(ratio) / people
    return max(1, math.ceil(part)) if name == "orders_target" else _up(part, 500)


def demo_seed(*, now: datetime, seed: int = 2031) -> dict[str, int]:
    if MonthlyTarget.objects.exists():
        return {}
    month = month_start(timezone.localdate(now))
    set_at = timezone.make_aware(datetime.combine(previous_month(month).replace(day=20),
                                                  time(10, 30)))
    since = now - timedelta(days=30 * HISTORY_MONTHS)
    created = 0
    for store in Store.objects.order_by("code"):
        manager = (StaffMember.objects.filter(store=store, role=Role.STORE_MANAGER)
                   .select_related("user").order_by("pk").first())
        if manager is None:
            continue
        by = manager.user
        figures = _store_figures(store, since=since)
        target_set(by=by, store=store, month=month, now=set_at, **figures)
        created += 1
        people = defaultdict(list)
        for member in (StaffMember.objects.filter(store=store, is_active=True)
                       .select_related("user", "department").order_by("pk")):
            people[member.role].append(member)
        for department in store.departments.order_by("kind"):
            if department.kind not in SPLIT:
                continue
            roles, ratios = SPLIT[department.kind]
            target_set(by=by, store=store, month=month, department=department, now=set_at,
                       **{name: _share(figures[name], ratio, 1, name)
                          for name, ratio in ratios.items()})
            created += 1
            members = [m for role in roles for m in people[role]]
            for member in members:
                target_set(by=by, store=store, month=month, person=member.user, now=set_at,
                           **{name: _share(figures[name], ratio, len(members), name)
                              for name, ratio in ratios.items()})
                created += 1
    return {"targets": created}
