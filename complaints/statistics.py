"""The supervisor's complaint classification statistics (《顾客投诉分类统计表》, seed L68
"由客服主管填写《顾客投诉分类统计表》,并做数据分析统计,提出改进对策").

For the complaints received in a period: how many, valid or not, open or closed; by category ×
month and category × responsible department; by channel and severity; the time each step took;
repeat complainants; what settling them cost; the penalties; escalations; and the month's
improvement measures. Every figure is aggregated in the database: ten queries (nine without
measures), whatever the period holds. The caller passes querysets already scoped to the viewer.
"""
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, DateField, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callbacks.summary import percent, person_name
from staff.models import DepartmentKind
from studio.exports import Percent, XlsxColumn, XlsxSection, xlsx_report_response

from .models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPenalty,
    ComplaintSolution,
    ComplaintStatus,
    ImprovementMeasure,
    Severity,
    SolutionKind,
)

CLOSED_STATUSES = [ComplaintStatus.CLOSED, ComplaintStatus.REJECTED]
_HOUR = Decimal(3600 * 10**6)  # microseconds

# Each step: (key, label, when it started, when it ended). A complaint counts for a step once
# it has both times; "close" is the whole way, a complaint found not valid closing at judgement.
STEPS: list[tuple[str, Any, str, str]] = [
    ("judge", gettext_lazy("登记→判定"), "received_at", "judged_at"),
    ("investigate", gettext_lazy("判定→调查完成"), "judged_at", "investigated_at"),
    ("propose", gettext_lazy("调查完成→提出方案"), "investigated_at", "proposed_at"),
    ("approve", gettext_lazy("提出方案→主管审批"), "proposed_at", "approved_at"),
    ("implement", gettext_lazy("审批→实施结案"), "approved_at", "closed_at"),
    ("close", gettext_lazy("登记→结案（全程）"), "received_at", "closed_at"),
]


def hours(duration: timedelta | None) -> float | None:
    """A duration in hours, rounded half up to one decimal as a report prints it."""
    if duration is None:
        return None
    micro = Decimal(duration // timedelta(microseconds=1))
    return float((micro / _HOUR).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _validity_counts() -> dict[str, Any]:
    return {
        "total": Count("pk"),
        "valid": Count("pk", filter=Q(is_valid=True)),
        "invalid": Count("pk", filter=Q(is_valid=False)),
        "unjudged": Count("pk", filter=Q(is_valid__isnull=True)),
        "open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        "closed": Count("pk", filter=Q(status__in=CLOSED_STATUSES)),
    }


def _overall(period: QuerySet[Complaint], now: datetime) -> tuple[dict[str, Any], list[dict]]:
    """The counts, escalations and the time of every step: one query."""
    step_aggregates = {}
    for key, _label, begin, finish in STEPS:
        took = F(finish) - F(begin)
        done = Q(**{f"{begin}__isnull": False, f"{finish}__isnull": False})
        step_aggregates |= {f"{key}_n": Count("pk", filter=done),
                            f"{key}_avg": Avg(took, filter=done),
                            f"{key}_max": Max(took, filter=done)}
    escalated_ever = Exists(ComplaintEvent.objects.filter(complaint=OuterRef("pk"),
                                                          action="escalate"))
    figures = period.aggregate(
        **_validity_counts(),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, step_due_at__lt=now)),
        # The level is the current step's: a new step starts unescalated.
        escalated=Count("pk", filter=Q(escalation_level__gte=1)),
        escalated_to_manager=Count("pk", filter=Q(escalation_level__gte=2)),
        escalated_ever=Count("pk", filter=Q(escalated_ever)),
        **step_aggregates,
    )
    steps = [{"key": key, "label": str(label), "count": figures.pop(f"{key}_n"),
              "avg_hours": hours(figures.pop(f"{key}_avg")),
              "max_hours": hours(figures.pop(f"{key}_max"))}
             for key, label, _begin, _finish in STEPS]
    figures["valid_rate"] = percent(figures["valid"], figures["valid"] + figures["invalid"])
    figures["closed_rate"] = percent(figures["closed"], figures["total"])
    return figures, steps


def _by_category(period: QuerySet[Complaint], months: list[date]) -> dict[str, Any]:
    """Rows category, columns month, then validity and the time to close: two queries."""
    per_month = (period.annotate(month=TruncMonth("received_at", output_field=DateField()))
                 .values("category", "month").annotate(n=Count("pk")).order_by())
    counts = {(g["category"], g["month"]): g["n"] for g in per_month}
    per_category = {g["category"]: g for g in (
        period.values("category")
        .annotate(**_validity_counts(), close_avg=Avg(F("closed_at") - F("received_at")))
        .order_by())}
    fields = ("total", "valid", "invalid", "unjudged", "open", "closed")
    rows = []
    for category in ComplaintCategory:
        g = per_category.get(category.value, {})
        rows.append({"category": category.value, "label": str(category.label),
                     "months": [counts.get((category.value, m), 0) for m in months],
                     **{f: g.get(f, 0) for f in fields},
                     "avg_close_hours": hours(g.get("close_avg"))})
    total = {"category": "", "label": _("合计"),
             "months": [sum(r["months"][i] for r in rows) for i in range(len(months))],
             **{f: sum(r[f] for r in rows) for f in fields}}
    return {"months": months, "rows": rows, "total": total}


def _by_department(period: QuerySet[Complaint]) -> dict[str, Any]:
    """Valid complaints by category and responsible department: one query. Departments are
    taken by kind, so that several stores' 摄影部 add up; a kind is shown by its department's
    name when every store names it alike."""
    groups = list(period.filter(is_valid=True)
                  .values("category", "responsible_department__kind",
                          "responsible_department__name")
                  .annotate(n=Count("pk")).order_by())
    names: dict[str | None, set[str]] = {}
    counts: dict[tuple[str, str | None], int] = {}
    for g in groups:
        kind = g["responsible_department__kind"]
        names.setdefault(kind, set()).add(g["responsible_department__name"] or "")
        counts[(g["category"], kind)] = counts.get((g["category"], kind), 0) + g["n"]
    kinds = [k for k in DepartmentKind.values if k in names] + ([None] if None in names else [])

    def label(kind: str | None) -> str:
        if kind is None:
            return _("未定责任部门")
        return next(iter(names[kind])) if len(names[kind]) == 1 else str(DepartmentKind(kind).label)

    rows = [{"category": category.value, "label": str(category.label),
             "counts": [counts.get((category.value, k), 0) for k in kinds]}
            for category in ComplaintCategory]
    for row in rows:
        row["total"] = sum(row["counts"])
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(kinds))]
    return {"departments": [label(k) for k in kinds], "rows": rows,
            "total": {"label": _("合计"), "counts": totals, "total": sum(totals)}}


def _distribution(period: QuerySet[Complaint], field: str, choices, total: int) -> list[dict]:
    """Every choice with its count and share of the total, zeros included: one query."""
    counts = {g[field]: g["n"] for g in period.values(field).annotate(n=Count("pk")).order_by()}
    return [{"key": choice.value, "label": str(choice.label), "count": counts.get(choice.value, 0),
             "percent": percent(counts.get(choice.value, 0), total)} for choice in choices]


def _repeat_customers(period: QuerySet[Complaint]) -> list[dict[str, Any]]:
    """Customers who complained at least twice in the period, most complaints first."""
    groups = (period.values("customer_id", "customer__name")
              .annotate(n=Count("pk"), last=Max("received_at")).filter(n__gte=2)
              .order_by("-n", "customer__name", "customer_id"))
    return [{"customer_id": g["customer_id"], "name": g["customer__name"], "count": g["n"],
             "last_received_at": g["last"]} for g in groups]


def _compensation(period: QuerySet[Complaint]) -> dict[str, Any]:
    """The cost of the approved solutions, by kind: one query."""
    groups = {g["kind"]: g for g in (
        ComplaintSolution.objects.filter(complaint__in=period, is_approved=True)
        .values("kind").annotate(n=Count("pk"), cost=Sum("cost")).order_by())}
    by_kind = [{"key": kind.value, "label": str(kind.label), "count": groups[kind.value]["n"],
                "cost": groups[kind.value]["cost"]}
               for kind in SolutionKind if kind.value in groups]
    return {"count": sum(k["count"] for k in by_kind),
            "cost": sum((k["cost"] for k in by_kind), Decimal("0.00")), "by_kind": by_kind}


def _penalties(period: QuerySet[Complaint]) -> dict[str, Any]:
    """The penalties recorded for these complaints, by person: one query."""
    groups = (ComplaintPenalty.objects.filter(complaint__in=period)
              .values("staff_id", "staff__first_name", "staff__last_name", "staff__username")
              .annotate(n=Count("pk"), amount=Sum("amount"),
                        as_head=Count("pk", filter=Q(is_department_head=True)))
              .order_by("-amount", "staff__username"))
    by_staff = [{"staff_id": g["staff_id"],
                 "name": person_name(g["staff__first_name"], g["staff__last_name"],
                                     g["staff__username"]),
                 "count": g["n"], "amount": g["amount"], "as_head": g["as_head"]}
                for g in groups]
    return {"count": sum(p["count"] for p in by_staff),
            "amount": sum((p["amount"] for p in by_staff), Decimal("0.00")), "by_staff": by_staff}


def _measures(measures: QuerySet[ImprovementMeasure] | None, start: date, end: date) -> list[dict]:
    if measures is None:
        return []
    rows = (measures.filter(month__gte=start.replace(day=1), month__lte=end)
            .select_related("store", "written_by").order_by("month", "store__code"))
    return [{"store": m.store.name, "store_id": m.store_id, "month": m.month, "text": m.text,
             "written_by": m.written_by.display_name, "written_at": m.written_at} for m in rows]


def _chart(by_category: dict[str, Any], steps: list[dict]) -> dict[str, Any]:
    """Plain lists for ECharts (passed with json_script), named in the UI language."""
    return {
        "names": {"avg_hours": _("平均用时（小时）"), "count": _("投诉数")},
        "months": [f"{m:%Y-%m}" for m in by_category["months"]],
        "categories": [{"name": r["label"], "data": r["months"]} for r in by_category["rows"]
                       if r["total"]],
        "steps": {"labels": [s["label"] for s in steps],
                  "avg_hours": [s["avg_hours"] for s in steps]},
    }


def complaint_statistics(*, complaints: QuerySet[Complaint], start: date, end: date,
                         now: datetime, measures: QuerySet[ImprovementMeasure] | None = None
                         ) -> dict[str, Any]:
    """The statistics of the complaints received on local dates start..end (inclusive).

    `complaints` (and `measures`, the improvement measures to show) come scoped to the viewer
    (complaints_visible_to) and, for one store, filtered by it. `now` decides what is overdue.
    Ten queries with measures, nine without.
    """
    # A range on the indexed column, bounded by local midnights (time is local).
    period = complaints.filter(received_at__gte=_local_midnight(start),
                               received_at__lt=_local_midnight(end + timedelta(days=1)))
    overall, steps = _overall(period, now)
    by_category = _by_category(period, _months(start, end))
    by_category["total"]["avg_close_hours"] = steps[-1]["avg_hours"]  # the same closed complaints
    return {
        "start": start,
        "end": end,
        "overall": overall,
        "by_category": by_category,
        "by_department": _by_department(period),
        "by_channel": _distribution(period, "channel", ComplaintChannel, overall["total"]),
        "by_severity": _distribution(period, "severity", Severity, overall["total"]),
        "steps": steps,
        "repeat_customers": _repeat_customers(period),
        "compensation": _compensation(period),
        "penalties": _penalties(period),
        "measures": _measures(measures, start, end),
        "chart": _chart(by_category, steps),
    }


def statistics_xlsx_sections(stats: dict[str, Any]) -> list[XlsxSection]:
    """The table's sections, in the order a supervisor files them."""
    o, months = stats["overall"], stats["by_category"]["months"]
    overall = [
        (_("投诉总数"), o["total"]),
        (_("投诉成立"), o["valid"]),
        (_("投诉不成立"), o["invalid"]),
        (_("尚未判定"), o["unjudged"]),
        (_("成立率"), Percent(o["valid_rate"])),
        (_("处理中"), o["open"]),
        (_("已结案"), o["closed"]),
        (_("结案率"), Percent(o["closed_rate"])),
        (_("当前超时未处理"), o["overdue"]),
        (_("当前已上报客服主管"), o["escalated"]),
        (_("当前已上报店长"), o["escalated_to_manager"]),
        (_("曾超时上报"), o["escalated_ever"]),
        *((_("渠道：%(label)s") % {"label": c["label"]}, c["count"]) for c in stats["by_channel"]),
        *((_("严重程度：%(label)s") % {"label": s["label"]}, s["count"])
          for s in stats["by_severity"]),
    ]
    category_columns = [XlsxColumn(_("投诉类别"), 18),
                        *(XlsxColumn(f"{m:%Y-%m}", 10) for m in months),
                        XlsxColumn(_("合计"), 10), XlsxColumn(_("成立"), 10),
                        XlsxColumn(_("不成立"), 10), XlsxColumn(_("未判定"), 10),
                        XlsxColumn(_("已结案"), 10), XlsxColumn(_("平均结案用时（小时）"), 14)]
    by_category = stats["by_category"]
    category_rows = [(r["label"], *r["months"], r["total"], r["valid"], r["invalid"],
                      r["unjudged"], r["closed"], r["avg_close_hours"])
                     for r in [*by_category["rows"], by_category["total"]]]
    d = stats["by_department"]
    department_rows = [(r["label"], *r["counts"], r["total"]) for r in [*d["rows"], d["total"]]]
    c, p = stats["compensation"], stats["penalties"]
    return [
        XlsxSection(_("总体情况"), [XlsxColumn(_("指标"), 24), XlsxColumn(_("数值"), 12)], overall),
        XlsxSection(_("按类别×月份"), category_columns, category_rows),
        XlsxSection(_("按类别×责任部门（成立的投诉）"),
                    [XlsxColumn(_("投诉类别"), 18), *(XlsxColumn(n, 12) for n in d["departments"]),
                     XlsxColumn(_("合计"), 10)], department_rows),
        XlsxSection(_("各步骤用时"),
                    [XlsxColumn(_("步骤"), 24), XlsxColumn(_("投诉数"), 10),
                     XlsxColumn(_("平均用时（小时）"), 14), XlsxColumn(_("最长用时（小时）"), 14)],
                    [(s["label"], s["count"], s["avg_hours"], s["max_hours"]) for s in stats["steps"]]),
        XlsxSection(_("重复投诉客户"),
                    [XlsxColumn(_("客户"), 18), XlsxColumn(_("投诉次数"), 10),
                     XlsxColumn(_("最近投诉时间"), 18)],
                    [(r["name"], r["count"], r["last_received_at"])
                     for r in stats["repeat_customers"]] or [(_("无"),)]),
        XlsxSection(_("补偿成本"),
                    [XlsxColumn(_("方案类型"), 18), XlsxColumn(_("方案数"), 10),
                     XlsxColumn(_("成本（元）"), 14)],
                    [*((k["label"], k["count"], k["cost"]) for k in c["by_kind"]),
                     (_("合计"), c["count"], c["cost"])]),
        XlsxSection(_("处罚记录"),
                    [XlsxColumn(_("受罚人"), 18), XlsxColumn(_("处罚次数"), 10),
                     XlsxColumn(_("罚款（元）"), 14), XlsxColumn(_("其中部门主管连带"), 14)],
                    [*((s["name"], s["count"], s["amount"], s["as_head"]) for s in p["by_staff"]),
                     (_("合计"), p["count"], p["amount"])]),
        XlsxSection(_("改进对策"),
                    [XlsxColumn(_("月份"), 18), XlsxColumn(_("门店"), 12), XlsxColumn(_("改进对策"), 60),
                     XlsxColumn(_("填写人"), 14)],
                    [(f"{m['month']:%Y-%m}", m["store"], m["text"], m["written_by"])
                     for m in stats["measures"]] or [(_("本期尚未填写改进对策"),)]),
    ]


def statistics_xlsx(*, request: HttpRequest, stats: dict[str, Any], store_name: str | None,
                    start: date, end: date) -> FileResponse:
    """《顾客投诉分类统计表》 as one sheet to file: title, period, store, its sections; audited."""
    store_name = store_name or _("全部门店")
    return xlsx_report_response(
        request=request, filename=f"顾客投诉分类统计表-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
        title=_("顾客投诉分类统计表"), sections=statistics_xlsx_sections(stats),
        lines=[_("统计期间：%(start)s 至 %(end)s") % {"start": start.isoformat(),
                                                  "end": end.isoformat()},
               _("门店：%(store)s") % {"store": store_name}],
        audit_detail={"report": "complaint_statistics", "start": start.isoformat(),
                      "end": end.isoformat(), "store": store_name})
