"""The dashboards' reads: aggregates composed from the other apps' scoped selectors.

Every figure is counted or summed in the database, so each function runs a fixed number of
queries however much the store holds (the tests pin the numbers). Time is local: a month or a
day starts at local midnight (Asia/Shanghai).

Targets against actuals (SPEC §5, L152) are measured like this, for one store and month:

* orders: orders booked in the month, not cancelled; credited to the order's 门市顾问;
* revenue: money received in the month (deposits + balances + add-ons − refunds, by the
  payment's time), credited to the order's 门市顾问;
* upsell (二消): the add-on amounts of gown selections and photo selections completed in the
  month (orders not cancelled), credited to the stage's service person;
* performance (业绩): the flow-card credits dated in the month, credited to their person.

A department's actual is the sum over the people whose staff profile is in it; what belongs to
nobody in a department of this store (no consultant, or a person from elsewhere) shows in a
row of its own, so departments and that row add up to the store.
"""
from calendar import monthrange
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from callbacks.models import OPEN_STATUSES as CALLBACK_OPEN
from callbacks.models import Satisfaction, due_today_q, late_q
from callbacks.selectors import callback_records_visible_to, callbacks_visible_to
from callbacks.summary import SATISFACTION_NOTE, percent, person_name, satisfaction_answers
from complaints.models import OPEN_STATUSES as COMPLAINT_OPEN
from complaints.models import ComplaintStatus
from complaints.selectors import calls_to_complain, complaints_visible_to
from complaints.statistics import complaint_statistics
from frontdesk.models import PerformanceCredit
from membership.selectors import members_visible_to, points_entries_visible_to
from membership.statistics import membership_statistics
from orders.models import (
    STAGE_SEQUENCE,
    Order,
    OrderStage,
    OrderStatus,
    Payment,
    PaymentKind,
    StageKind,
    StageStatus,
)
from orders.selectors import (
    orders_visible_to,
    payments_visible_to,
    specialist_loads,
    stages_visible_to,
)
from staff.models import Department, MonthlyTarget, Store, User
from staff.targets import next_month, targets_for_month

ZERO = Decimal("0.00")
UPSELL_STAGES = [StageKind.GOWN, StageKind.SELECTION]
TREND_WEEKS = 8


# ---- time -----------------------------------------------------------------------------------

def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def month_range(month: date) -> tuple[datetime, datetime]:
    """The month as [local midnight of the 1st, local midnight of the next 1st)."""
    return local_midnight(month), local_midnight(next_month(month))


def month_last_day(month: date) -> date:
    return month.replace(day=monthrange(month.year, month.month)[1])


def month_elapsed(month: date, now: datetime) -> float:
    """How much of the month has passed (in %, whole days, today counted): 时间进度."""
    today = timezone.localdate(now)
    if today < month:
        return 0.0
    days = monthrange(month.year, month.month)[1]
    if today > month_last_day(month):
        return 100.0
    return percent(today.day, days) or 0.0


# ---- targets against actuals ----------------------------------------------------------------

@dataclass
class Figures:
    orders: int = 0
    revenue: Decimal = ZERO
    upsell: Decimal = ZERO
    performance: Decimal = ZERO

    def add(self, other: "Figures") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def minus(self, other: "Figures") -> "Figures":
        return Figures(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    @property
    def is_zero(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


METRICS = ["orders", "revenue", "upsell", "performance"]


def metric_labels() -> dict[str, str]:
    return {"orders": _("订单数"), "revenue": _("营业额"), "upsell": _("二消"),
            "performance": _("业绩")}


@dataclass
class TargetRow:
    """One line of the targets page: whose, the target set (if any) and the actual so far."""

    kind: str  # "store" | "department" | "person" | "other"
    label: str
    target: MonthlyTarget | None = None
    actual: Figures = field(default_factory=Figures)
    department: Department | None = None
    person: User | None = None
    note: str = ""
    people: list[int] = field(default_factory=list)  # a department's people with a row

    @property
    def consultant_query(self) -> str | None:
        """The lists' filter for whose orders and money this row counts (the store: all of
        them; the remainder row: none that a list can select)."""
        if self.kind == "store":
            return ""
        if self.kind == "person":
            return f"consultant={self.person.pk}"
        if self.kind == "department" and self.people:
            return "&".join(f"consultant={pk}" for pk in self.people)
        return None

    def target_of(self, metric: str) -> int | Decimal | None:
        """The target set for `metric`; None when none was (a 0 in a set row is none)."""
        return (getattr(self.target, f"{metric}_target") or None) if self.target else None

    def rate_of(self, metric: str) -> float | None:
        target = self.target_of(metric)
        return percent(getattr(self.actual, metric), target) if target else None

    @property
    def metrics(self) -> list[dict[str, Any]]:
        labels = metric_labels()
        return [{"key": m, "label": labels[m], "target": self.target_of(m),
                 "actual": getattr(self.actual, m), "rate": self.rate_of(m),
                 "money": m != "orders"} for m in METRICS]


def _signed_revenue() -> dict[str, Any]:
    return {"paid": Sum("amount", filter=~Q(kind=PaymentKind.REFUND), default=ZERO),
            "refunded": Sum("amount", filter=Q(kind=PaymentKind.REFUND), default=ZERO)}


def _actuals_by_person(store: Store, month: date) -> tuple[dict[int | None, Figures], list[dict]]:
    """Each person's actuals (None: nobody) and the month's daily revenue: five queries."""
    start, end = month_range(month)
    by_person: dict[int | None, Figures] = {}

    def credit(person_id: int | None, metric: str, value) -> None:
        figures = by_person.setdefault(person_id, Figures())
        setattr(figures, metric, getattr(figures, metric) + value)

    orders = (Order.objects.filter(store=store, created_at__gte=start, created_at__lt=end)
              .exclude(status=OrderStatus.CANCELLED))
    for row in orders.values("consultant_id").annotate(n=Count("pk")).order_by():
        credit(row["consultant_id"], "orders", row["n"])
    payments = Payment.objects.filter(store=store, paid_at__gte=start, paid_at__lt=end)
    for row in payments.values("order__consultant_id").annotate(**_signed_revenue()).order_by():
        credit(row["order__consultant_id"], "revenue", row["paid"] - row["refunded"])
    upsells = (OrderStage.objects.filter(store=store, kind__in=UPSELL_STAGES,
                                         status=StageStatus.DONE, completed_at__gte=start,
                                         completed_at__lt=end, extra_amount__gt=0,
                                         order_cancelled=False))
    for row in upsells.values("assigned_to_id").annotate(total=Sum("extra_amount")).order_by():
        credit(row["assigned_to_id"], "upsell", row["total"])
    credits = PerformanceCredit.objects.filter(flow_card__store=store, on__gte=month,
                                               on__lt=next_month(month))
    for row in credits.values("user_id").annotate(total=Sum("amount")).order_by():
        credit(row["user_id"], "performance", row["total"])
    days = (payments.annotate(day=TruncDate("paid_at")).values("day")
            .annotate(**_signed_revenue()).order_by("day"))
    daily = [{"day": d["day"], "revenue": d["paid"] - d["refunded"]} for d in days]
    return by_person, daily


def _revenue_chart(month: date, daily: list[dict], target: Decimal | None,
                   now: datetime) -> dict[str, Any]:
    """Cumulative revenue day by day against the target spread evenly over the month."""
    days = monthrange(month.year, month.month)[1]
    today = timezone.localdate(now)
    per_day = {d["day"]: d["revenue"] for d in daily}
    labels, actual, planned, running = [], [], [], ZERO
    for n in range(1, days + 1):
        day = month.replace(day=n)
        labels.append(f"{day:%m-%d}")
        running += per_day.get(day, ZERO)
        actual.append(float(running) if day <= today else None)
        planned.append(round(float(target) * n / days, 2) if target else None)
    return {"days": labels, "actual": actual, "planned": planned,
            "names": {"actual": _("累计营业额"), "planned": _("目标进度")}}


def target_vs_actual(store: Store, month: date, *, now: datetime | None = None) -> dict[str, Any]:
    """A store's targets for `month` against its actuals so far, for the store, each
    department and each person with a target or an actual. Eight queries."""
    now = now or timezone.now()
    by_person, daily = _actuals_by_person(store, month)
    targets = list(targets_for_month(store, month))
    departments = list(Department.objects.filter(store=store).order_by("kind"))
    person_ids = {pid for pid in by_person if pid is not None}
    person_ids |= {t.person_id for t in targets if t.person_id}
    people = {u.pk: u for u in User.objects.filter(pk__in=person_ids)
              .select_related("staff_profile__department")}

    store_target = next((t for t in targets if not t.department_id and not t.person_id), None)
    dept_targets = {t.department_id: t for t in targets if t.department_id}
    person_targets = {t.person_id: t for t in targets if t.person_id}

    total = Figures()
    for figures in by_person.values():
        total.add(figures)
    dept_rows = {d.pk: TargetRow("department", d.name, dept_targets.get(d.pk), department=d)
                 for d in departments}
    person_rows = []
    for pid, user in people.items():
        profile = getattr(user, "staff_profile", None)
        dept_id = profile.department_id if profile is not None else None
        row = TargetRow("person", user.display_name, person_targets.get(pid),
                        by_person.get(pid, Figures()), person=user,
                        department=dept_rows[dept_id].department if dept_id in dept_rows else None,
                        note=profile.get_role_display() if profile is not None else "")
        if dept_id in dept_rows:
            dept_rows[dept_id].actual.add(row.actual)
            dept_rows[dept_id].people.append(pid)
        person_rows.append(row)
    dept_order = {d.pk: i for i, d in enumerate(departments)}
    person_rows.sort(key=lambda r: (dept_order.get(r.department.pk if r.department else None,
                                                   len(dept_order)), r.label))
    in_departments = Figures()
    for row in dept_rows.values():
        in_departments.add(row.actual)
    other = total.minus(in_departments)
    other_row = None if other.is_zero else TargetRow(
        "other", _("未归属部门"), None, other, note=_("无门市顾问或服务人员不属本店部门"))
    store_row = TargetRow("store", store.name, store_target, total)
    return {
        "store": store,
        "month": month,
        "last_day": month_last_day(month),
        "elapsed": month_elapsed(month, now),
        "store_row": store_row,
        "departments": list(dept_rows.values()),
        "other": other_row,
        "summary_rows": [store_row, *dept_rows.values(), *([other_row] if other_row else [])],
        "people": person_rows,
        "targets_count": len(targets),
        "chart": {
            "labels": list(metric_labels().values()),
            "rates": [store_row.rate_of(m) for m in METRICS],
            "elapsed": month_elapsed(month, now),
            "names": {"rate": _("完成率（%）"), "elapsed": _("时间进度")},
            "revenue": _revenue_chart(month, daily, store_target.revenue_target
                                      if store_target else None, now),
        },
    }


# ---- the supervisor's dashboard -------------------------------------------------------------

def _age_buckets(now: datetime) -> list[dict[str, Any]]:
    """Ages of an open complaint by the local date it came in, as the archive filters them."""
    today = timezone.localdate(now)
    spans = [("today", _("今天"), 0, 0), ("d1", _("1-2 天"), 1, 2), ("d3", _("3-6 天"), 3, 6),
             ("d7", _("7 天及以上"), 7, None)]
    buckets = []
    for key, label, youngest, oldest in spans:
        end = today - timedelta(days=youngest)
        start = today - timedelta(days=oldest) if oldest is not None else None
        buckets.append({"key": key, "label": label, "start": start, "end": end})
    return buckets


def _complaints_by_step(complaints: QuerySet, now: datetime) -> dict[str, Any]:
    """Open complaints by step (status) and age, with how many are past the step's deadline:
    one query."""
    buckets = _age_buckets(now)
    counts = {"n": Count("pk"), "late": Count("pk", filter=Q(step_due_at__lt=now))}
    for b in buckets:
        received = Q(received_at__lt=local_midnight(b["end"] + timedelta(days=1)))
        if b["start"] is not None:
            received &= Q(received_at__gte=local_midnight(b["start"]))
        counts[b["key"]] = Count("pk", filter=received)
    groups = {g["status"]: g for g in
              complaints.filter(status__in=COMPLAINT_OPEN).values("status").annotate(**counts)
              .order_by()}
    rows = []
    for status in COMPLAINT_OPEN:
        g = groups.get(status, {})
        rows.append({"status": status, "label": str(ComplaintStatus(status).label),
                     "total": g.get("n", 0), "late": g.get("late", 0),
                     "ages": [{**b, "count": g.get(b["key"], 0)} for b in buckets]})
    total = {"total": sum(r["total"] for r in rows), "late": sum(r["late"] for r in rows),
             "ages": [{**b, "count": sum(r["ages"][i]["count"] for r in rows)}
                      for i, b in enumerate(buckets)]}
    return {"buckets": buckets, "rows": rows, "total": total}


def _satisfaction_trend(records: QuerySet, now: datetime) -> list[dict[str, Any]]:
    """The satisfied share of answered callbacks, week by week (Monday first), by the call's
    time as the 回访总结报告 counts it (satisfaction_answers): one query."""
    this_monday = timezone.localdate(now) - timedelta(days=timezone.localdate(now).weekday())
    first = this_monday - timedelta(weeks=TREND_WEEKS - 1)
    answers = satisfaction_answers(records, first, this_monday + timedelta(days=6))
    weeks = {(w["week"].date() if isinstance(w["week"], datetime) else w["week"]): w
             for w in answers.annotate(week=TruncWeek("called_at")).values("week")
             # Counting columns of the (store, called_at) index: read from the index alone.
             .annotate(answers=Count("called_at"),
                       satisfied=Count("called_at", filter=Q(satisfaction=Satisfaction.SATISFIED)),
                       dissatisfied=Count("called_at",
                                          filter=Q(satisfaction=Satisfaction.DISSATISFIED)))
             .order_by("week")}
    trend = []
    for i in range(TREND_WEEKS):
        monday = first + timedelta(weeks=i)
        w = weeks.get(monday, {})
        answered, satisfied = w.get("answers", 0), w.get("satisfied", 0)
        trend.append({"start": monday, "end": monday + timedelta(days=6), "answers": answered,
                      "satisfied": satisfied, "dissatisfied": w.get("dissatisfied", 0),
                      "rate": percent(satisfied, answered)})
    return trend


def _specialists(tasks: QuerySet, store: Store, now: datetime) -> tuple[list[dict], dict]:
    """Each specialist's load: customers held, open follow-ups (one query) and callbacks due
    today, overdue and open (one query); anyone else holding callbacks is listed too."""
    # Today's and late are disjoint, as on the callback lists the figures link to.
    calls = {g["assigned_to_id"]: g for g in (
        tasks.filter(status__in=CALLBACK_OPEN)
        .values("assigned_to_id", "assigned_to__first_name", "assigned_to__last_name",
                "assigned_to__username")
        .annotate(today=Count("pk", filter=due_today_q(now)),
                  overdue=Count("pk", filter=late_q(now)), open=Count("pk"))
        .order_by())}
    rows = []
    for member in specialist_loads(store.pk):
        g = calls.pop(member.user_id, {})
        rows.append({"user_id": member.user_id, "name": member.user.display_name,
                     "skill": member.skill_rating, "customers": member.customers_held,
                     "followups": member.open_followups, "today": g.get("today", 0),
                     "overdue": g.get("overdue", 0), "open": g.get("open", 0)})
    unassigned = calls.pop(None, {})
    for uid, g in sorted(calls.items(), key=lambda item: item[1]["assigned_to__username"]):
        rows.append({"user_id": uid, "name": person_name(
            g["assigned_to__first_name"], g["assigned_to__last_name"], g["assigned_to__username"]),
            "skill": None, "customers": None, "followups": None, "today": g["today"],
            "overdue": g["overdue"], "open": g["open"], "not_specialist": True})
    totals = {k: sum(r[k] or 0 for r in rows) + unassigned.get(k, 0)
              for k in ("today", "overdue", "open")}
    totals["unassigned"] = unassigned.get("open", 0)
    totals["unassigned_today"] = unassigned.get("today", 0)
    totals["unassigned_overdue"] = unassigned.get("overdue", 0)
    return rows, totals


def supervisor_dashboard(user, *, store: Store, now: datetime) -> dict[str, Any]:
    """客服主管看板 for one store: callbacks today and overdue per specialist, late services,
    open complaints by step and age, the satisfaction trend, each specialist's load.
    Five queries."""
    tasks = callbacks_visible_to(user).filter(store=store)
    specialists, callbacks = _specialists(tasks, store, now)
    late = {g["kind"]: g["n"] for g in (
        # A booked stage's order is running unless it was cancelled (the stage knows that).
        stages_visible_to(user)
        .filter(store=store, status=StageStatus.SCHEDULED, scheduled_at__lt=now,
                order_cancelled=False)
        .values("kind").annotate(n=Count("pk")).order_by())}
    late_rows = [{"kind": k, "label": str(StageKind(k).label), "count": late.get(k, 0)}
                 for k in STAGE_SEQUENCE if k != StageKind.ORDER]
    complaints = _complaints_by_step(complaints_visible_to(user).filter(store=store), now)
    # 待转投诉: dissatisfied calls whose complaint is not registered yet (complaints' list).
    complaints["calls_to_register"] = calls_to_complain(user).filter(task__store=store).count()
    trend = _satisfaction_trend(callback_records_visible_to(user).filter(store=store), now)
    answered = sum(w["answers"] for w in trend)
    return {
        "store": store,
        "now": now,
        "callbacks": callbacks,
        "specialists": specialists,
        "late": {"rows": late_rows, "total": sum(r["count"] for r in late_rows)},
        "complaints": complaints,
        "trend": trend,
        "satisfaction": {"answers": answered,
                         "rate": percent(sum(w["satisfied"] for w in trend), answered)},
        "satisfaction_note": SATISFACTION_NOTE,
        "chart": {
            "names": {"rate": _("满意率（%）"), "answers": _("回答数"), "today": _("今日待回访"),
                      "overdue": _("逾期未回访"), "customers": _("负责客户"),
                      "followups": _("逾期跟进")},
            "trend": {"weeks": [f"{w['start']:%m-%d}" for w in trend],
                      "rates": [w["rate"] for w in trend],
                      "answers": [w["answers"] for w in trend]},
            "load": {"names": [r["name"] for r in specialists],
                     "today": [r["today"] for r in specialists],
                     "overdue": [r["overdue"] for r in specialists],
                     "customers": [r["customers"] for r in specialists]},
        },
    }


# ---- the manager's dashboard ----------------------------------------------------------------

def _order_figures(orders: QuerySet, start: datetime, end: datetime) -> dict[str, Any]:
    """The month's orders, orders running, balances owed: one query."""
    booked = Q(created_at__gte=start, created_at__lt=end) & ~Q(status=OrderStatus.CANCELLED)
    owing = Q(balance_owed__gt=0) & ~Q(status=OrderStatus.CANCELLED)
    return orders.aggregate(
        booked=Count("pk", filter=booked),
        booked_amount=Sum(F("amount") - F("discount"), filter=booked, default=ZERO),
        cancelled=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end,
                                       status=OrderStatus.CANCELLED)),
        active=Count("pk", filter=Q(status=OrderStatus.ACTIVE)),
        owing=Count("pk", filter=owing),
        owed=Sum("balance_owed", filter=owing, default=ZERO),
    )


def _revenue(payments: QuerySet, start: datetime, end: datetime) -> dict[str, Any]:
    """The month's money in, by kind: one query."""
    sums = payments.filter(paid_at__gte=start, paid_at__lt=end).aggregate(
        **{kind.value: Sum("amount", filter=Q(kind=kind), default=ZERO) for kind in PaymentKind},
        count=Count("pk"))
    rows = [{"kind": k.value, "label": str(k.label), "amount": sums[k.value]} for k in PaymentKind]
    net = sum((r["amount"] for r in rows if r["kind"] != PaymentKind.REFUND), ZERO)
    return {"rows": rows, "net": net - sums[PaymentKind.REFUND], "count": sums["count"]}


def _stages(orders: QuerySet, stages: QuerySet, start: datetime, end: datetime) -> dict[str, Any]:
    """Per stage: orders waiting at it now, stages done in the month and how long customers
    waited for them (since the stage before was done), and the month's orders funnel:
    three queries."""
    live = orders.exclude(status=OrderStatus.CANCELLED)
    waiting = {g["current_stage"]: g["n"] for g in (
        live.filter(status=OrderStatus.ACTIVE).values("current_stage")
        .annotate(n=Count("pk")).order_by())}
    # .order_by(): the stage before, by its order and sequence, without the model's ordering
    # (which would join every order to sort one row).
    before = OrderStage.objects.filter(order=OuterRef("order"),
                                       sequence=OuterRef("sequence") - 1).order_by()
    done = {g["kind"]: g for g in (
        stages.filter(status=StageStatus.DONE, completed_at__gte=start, completed_at__lt=end,
                      order_cancelled=False)
        .annotate(previous_done_at=Subquery(before.values("completed_at")[:1]))
        .values("kind")
        .annotate(n=Count("pk"), took=Avg(F("completed_at") - F("previous_done_at")))
        .order_by())}
    month_orders = live.filter(created_at__gte=start, created_at__lt=end)
    reached = {g["kind"]: g["n"] for g in (
        stages.filter(order__in=month_orders, status=StageStatus.DONE)
        .values("kind").annotate(n=Count("pk")).order_by())}
    rows = []
    for kind in STAGE_SEQUENCE:
        took = done.get(kind, {}).get("took")
        rows.append({"kind": kind, "label": str(StageKind(kind).label),
                     "waiting": waiting.get(kind, 0) if kind != StageKind.ORDER else None,
                     "done": done.get(kind, {}).get("n", 0),
                     "avg_days": None if took is None or kind == StageKind.ORDER
                     else round(took.total_seconds() / 86400, 1),
                     "reached": reached.get(kind, 0)})
    # Gown selection is optional (some packages leave it out): the funnel follows the stages
    # every order goes through.
    funnel = [{"name": r["label"], "value": r["reached"]} for r in rows
              if r["kind"] != StageKind.GOWN]
    return {"rows": rows, "funnel": funnel}


def manager_dashboard(user, *, store: Store, month: date, now: datetime) -> dict[str, Any]:
    """店长经营看板 for one store and month: orders, revenue, balances owed, the stage funnel
    and durations, targets against actuals, complaint statistics, points outstanding.
    A fixed number of queries (27): its own five, the targets' eight, the complaint
    statistics' nine and the membership statistics' five."""
    start, end = month_range(month)
    last = month_last_day(month)
    orders = orders_visible_to(user).filter(store=store)
    stages = _stages(orders, stages_visible_to(user).filter(store=store), start, end)
    targets = target_vs_actual(store, month, now=now)
    complaints = complaint_statistics(
        complaints=complaints_visible_to(user).filter(store=store), start=month, end=last, now=now)
    points = membership_statistics(
        accounts=members_visible_to(user).filter(store=store),
        entries=points_entries_visible_to(user).filter(store=store), start=month, end=last)
    revenue = _revenue(payments_visible_to(user).filter(store=store), start, end)
    return {
        "store": store,
        "month": month,
        "last_day": last,
        "orders": _order_figures(orders, start, end),
        "revenue": revenue,
        "stages": stages["rows"],
        "targets": targets,
        "complaints": complaints,
        "points": points,
        "chart": {
            "names": {"orders": _("订单数"), "avg_days": _("平均停留（天）"),
                      "complaints": _("投诉数")},
            "funnel": stages["funnel"],
            "durations": {"labels": [r["label"] for r in stages["rows"] if r["avg_days"] is not None],
                          "days": [r["avg_days"] for r in stages["rows"] if r["avg_days"] is not None]},
            "revenue": targets["chart"]["revenue"],
            "targets": {k: targets["chart"][k] for k in ("labels", "rates", "elapsed", "names")},
            "complaints": [{"name": r["label"], "value": r["total"]}
                           for r in complaints["by_category"]["rows"] if r["total"]],
        },
    }
