"""Monthly sales targets (月度业绩指标, seed L152 "每月25日前要分解下月业绩下达到部门及个人").

The store manager sets next month's targets for the store, each department and each person.
When a month may be set:

* a month that has not started yet: by the store manager (their own store) or a general
  manager (any store). Setting it after the 25th of the month before is allowed but late (L152),
  so the service warns;
* the current month (already started): the same people, as a correction, with a warning (a
  store whose month began without targets must still be able to set them: issue 17 item 10);
* a past month: by nobody. Its actuals are final and its targets are the record they are
  judged against.

Every change is written to the audit log (AuditAction.CHANGE_TARGET: before and after).
Only the numbers set live here; the actuals they are measured against are read by
dashboards.selectors.target_vs_actual (staff sits below orders and does not read them).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.audit import audit_log
from studio.errors import DomainError
from studio.models import AuditAction
from studio.money import ZERO, money_parse

from .models import Department, MonthlyTarget, StaffMember, Store, User
from .scoping import scope_for

DEADLINE_DAY = 25  # L152: the month's targets are handed down by the 25th of the month before
_FIGURES = ("orders_target", "revenue_target", "upsell_target", "performance_target")


@dataclass(frozen=True)
class TargetSetResult:
    target: MonthlyTarget
    created: bool
    warnings: list[str] = field(default_factory=list)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def _amount(value, name: str) -> Decimal:
    amount = money_parse(value, field=name, blank=ZERO)
    if amount < 0:
        raise ValidationError({name: _("目标不能为负数。")})
    return amount


def _count(value, name: str) -> int:
    try:
        number = int(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        raise ValidationError({name: _("请输入整数。")}) from None
    if number < 0:
        raise ValidationError({name: _("目标不能为负数。")})
    return number


def target_month_check(*, by: User, month: date, now: datetime) -> list[str]:
    """Whether `by` may set `month`'s targets now: raises DomainError if not; the warnings
    (late, or a correction of a running month) otherwise."""
    today = timezone.localdate(now)
    this_month = month_start(today)
    if month < this_month:
        raise DomainError(_("%(month)s 已经过去，不能再设定或修改该月目标。") % {
            "month": f"{month:%Y-%m}"}, code="target_month_past")
    if month == this_month:
        return [_("%(month)s 已经开始：本次为月中调整，已记入操作日志。") % {
            "month": f"{month:%Y-%m}"}]
    if month == next_month(this_month) and today.day > DEADLINE_DAY:
        return [_("已过 %(day)s 日：下月目标应在每月 %(deadline)s 日前下达到部门及个人。") % {
            "day": today.day, "deadline": DEADLINE_DAY}]
    return []


@transaction.atomic
def target_set(
    *, by: User, store: Store, month: date, department: Department | None = None,
    person: User | None = None, orders_target=0, revenue_target=0, upsell_target=0,
    performance_target=0, now: datetime | None = None, ip_address: str | None = None,
) -> TargetSetResult:
    """Set (or replace) one month's targets for a store, one of its departments or one of its
    people. Refuses a past month and another store's (a store manager); warns for a running
    month and when set after the 25th (see the module docstring). Writes who set it and when,
    and an audit row with the figures before and after."""
    now = now or timezone.now()
    scope = scope_for(by)
    if scope.nothing or not (scope.all_stores or scope.store_id == store.pk):
        raise PermissionDenied(_("只能设定本店的目标。"))
    if month.day != 1:
        raise ValidationError({"month": _("月份须为该月第一天。")})
    if department is not None and person is not None:
        raise ValidationError(_("一条目标只能针对部门或个人之一。"))
    if department is not None and department.store_id != store.pk:
        raise ValidationError({"department": _("部门不属于该门店。")})
    if person is not None and not StaffMember.objects.filter(user=person, store=store).exists():
        raise ValidationError({"person": _("该员工不属于该门店。")})
    warnings = target_month_check(by=by, month=month, now=now)
    values = {"orders_target": _count(orders_target, "orders_target"),
              "revenue_target": _amount(revenue_target, "revenue_target"),
              "upsell_target": _amount(upsell_target, "upsell_target"),
              "performance_target": _amount(performance_target, "performance_target"),
              "set_by": by, "set_at": now}
    target = (MonthlyTarget.objects.select_for_update()
              .filter(store=store, month=month, department=department, person=person)
              .order_by("pk").first())
    created = target is None
    if created:
        target = MonthlyTarget(store=store, month=month, department=department, person=person)
    before = None if created else {name: str(getattr(target, name)) for name in _FIGURES}
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    audit_log(actor=by, action=AuditAction.CHANGE_TARGET, obj=target, ip_address=ip_address,
              detail={"store": store.pk, "month": f"{month:%Y-%m}",
                      "department": department.pk if department else None,
                      "person": person.pk if person else None, "before": before,
                      "after": {name: str(values[name]) for name in _FIGURES}})
    return TargetSetResult(target=target, created=created, warnings=warnings)


def targets_for_month(store: Store, month: date) -> QuerySet[MonthlyTarget]:
    """A store's targets for one month: the store's own, then departments, then people."""
    return (MonthlyTarget.objects.filter(store=store, month=month)
            .select_related("department", "person", "set_by"))
