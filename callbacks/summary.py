"""The callback summary report (《回访总结报告》, seed L20-L22 "最后分析结果并撰写《回访总结报告》").

For a period: how many callbacks were due, done and done on time (callbacks triggered in the
period); how satisfied customers were by service, specialist and package (calls made in the
period: satisfaction_answers, the one definition the supervisor dashboard counts by too);
whether every member was called back (L30: 100%); what they suggested. Every figure is
aggregated in the database: a fixed number of queries (nine), whatever the period holds.
The caller passes querysets already scoped to the viewer.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import STAGE_SEQUENCE, OrderStage, OrderStatus, StageKind, StageStatus
from orders.selectors import stages_visible_to
from studio.exports import Percent, XlsxColumn, XlsxSection, xlsx_report_response

from .models import (
    OPEN_STATUSES,
    CallbackPurpose,
    CallbackRecord,
    CallbackStatus,
    CallbackTask,
    Satisfaction,
    late_q,
)
from .selectors import callbacks_visible_to
from .services import SERVICE_STAGES

MEMBERS_LISTED = 50
SUGGESTIONS_LISTED = 100


def _one_decimal(part: int, whole: int, scale: int = 1) -> float | None:
    """scale·part/whole rounded half up to one decimal, as a report prints it; None for 0/0."""
    if not whole:
        return None
    return float((Decimal(scale * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    return _one_decimal(part, whole, scale=100)


# The one definition of satisfaction (issue 17 item 8), stated under the figure on every page
# that shows it (the 回访总结报告 and the supervisor dashboard).
SATISFACTION_NOTE = gettext_lazy(
    "满意率 = 满意 ÷ 回答数；回答数为期间内接通且记录了满意度的回访，按回访（通话）时间计入期间。")


def satisfaction_answers(records: QuerySet[CallbackRecord], start: date,
                         end: date) -> QuerySet[CallbackRecord]:
    """The answers a satisfaction figure counts: reached calls with a satisfaction, made on
    the local dates start..end (inclusive), by the call's time, not the service's or the
    task's. Every satisfaction figure (report, dashboard) starts from here."""
    zone = timezone.get_current_timezone()
    return (records.filter(reached=True,
                           called_at__gte=datetime.combine(start, time.min, zone),
                           called_at__lt=datetime.combine(end + timedelta(days=1), time.min, zone))
            .exclude(satisfaction=""))


def person_name(first_name: str, last_name: str, username: str) -> str:
    """User.display_name from a values() row."""
    return f"{first_name} {last_name}".strip() or username


@dataclass(frozen=True)
class SatisfactionRow:
    """The answers (reached calls with a satisfaction) of one group."""

    label: str
    answers: int = 0
    satisfied: int = 0
    average: int = 0
    dissatisfied: int = 0
    score_total: int = 0
    scored: int = 0  # answers with a 1-5 score

    @property
    def satisfied_rate(self) -> float | None:
        return percent(self.satisfied, self.answers)

    @property
    def avg_score(self) -> float | None:
        return _one_decimal(self.score_total, self.scored)

    def plus(self, other: "SatisfactionRow", label: str) -> "SatisfactionRow":
        return SatisfactionRow(label, self.answers + other.answers,
                               self.satisfied + other.satisfied, self.average + other.average,
                               self.dissatisfied + other.dissatisfied,
                               self.score_total + other.score_total, self.scored + other.scored)


_COUNT_FIELDS = ("answers", "satisfied", "average", "dissatisfied", "score_total", "scored")
_ANSWER_COUNTS = {
    "answers": Count("pk"),
    "satisfied": Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
    "average": Count("pk", filter=Q(satisfaction=Satisfaction.AVERAGE)),
    "dissatisfied": Count("pk", filter=Q(satisfaction=Satisfaction.DISSATISFIED)),
    "score_total": Coalesce(Sum("score"), 0),
    "scored": Count("score"),
}


def _row(label: str, values: dict[str, Any]) -> SatisfactionRow:
    return SatisfactionRow(str(label), *(values[f] for f in _COUNT_FIELDS))


def _service_label(purpose: str, kind: str | None) -> str:
    """The service a callback is about: the stage for a post-service call, else its purpose."""
    if purpose == CallbackPurpose.POST_SERVICE and kind:
        return str(StageKind(kind).label)
    return str(CallbackPurpose(purpose).label)


def _service_order(purpose: str, kind: str | None) -> tuple[int, int]:
    if purpose == CallbackPurpose.POST_SERVICE and kind:
        return (0, STAGE_SEQUENCE.index(kind))
    return (1, CallbackPurpose.values.index(purpose))


def _by_stage(answers: QuerySet[CallbackRecord]) -> list[SatisfactionRow]:
    groups = (answers.values("task__purpose", "task__stage__kind").annotate(**_ANSWER_COUNTS)
              .order_by())
    merged: dict[tuple[int, int], SatisfactionRow] = {}
    for g in groups:  # one group per (purpose, stage kind): a handful, not rows
        purpose, kind = g["task__purpose"], g["task__stage__kind"]
        key, label = _service_order(purpose, kind), _service_label(purpose, kind)
        row = _row(label, g)
        merged[key] = merged[key].plus(row, label) if key in merged else row
    return [merged[key] for key in sorted(merged)]


def _by_specialist(answers: QuerySet[CallbackRecord]) -> list[SatisfactionRow]:
    groups = (answers.values("by_id", "by__first_name", "by__last_name", "by__username")
              .annotate(**_ANSWER_COUNTS).order_by("-answers", "by__username"))
    return [_row(person_name(g["by__first_name"], g["by__last_name"], g["by__username"]), g)
            for g in groups]


def _by_package(answers: QuerySet[CallbackRecord]) -> list[SatisfactionRow]:
    groups = (answers.values("task__stage__order__package__name").annotate(**_ANSWER_COUNTS)
              .order_by(F("task__stage__order__package__name").asc(nulls_last=True)))
    return [_row(g["task__stage__order__package__name"] or _("其他回访（无套系）"), g)
            for g in groups]


def _trend(answers: QuerySet[CallbackRecord]) -> list[dict[str, Any]]:
    days = (answers.annotate(day=TruncDate("called_at"))  # local date (current time zone)
            .values("day")
            .annotate(answers=Count("pk"),
                      satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)))
            .order_by("day"))
    return [{"date": d["day"], "answers": d["answers"], "satisfied": d["satisfied"],
             "satisfied_rate": percent(d["satisfied"], d["answers"])} for d in days]


def _task_figures(period: QuerySet[CallbackTask], now: datetime) -> dict[str, Any]:
    figures = period.aggregate(
        created=Count("pk"),
        cancelled=Count("pk", filter=Q(status=CallbackStatus.CANCELLED)),
        completed=Count("pk", filter=Q(status=CallbackStatus.DONE)),
        # due_at moves when a time is booked in time with the customer: on time is by the due
        # time in force
        on_time=Count("pk", filter=Q(status=CallbackStatus.DONE, completed_at__lte=F("due_at"))),
        overdue=Count("pk", filter=late_q(now)),  # the one definition (the lists' too)
        unreachable=Count("pk", filter=Q(status=CallbackStatus.UNREACHABLE)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    )
    # A cancelled callback was not owed: the rates are over the callbacks that were due.
    figures["due"] = figures["created"] - figures["cancelled"]
    figures["completion_rate"] = percent(figures["completed"], figures["due"])
    figures["on_time_rate"] = percent(figures["on_time"], figures["due"])
    return figures


def _member_coverage(stages: QuerySet[OrderStage], start: date, end: date) -> dict[str, Any]:
    """VIP members served in the period, and whether each service has its callback (L30)."""
    has_callback = Exists(CallbackTask.objects.filter(
        stage=OuterRef("pk"), purpose=CallbackPurpose.POST_SERVICE,
    ).exclude(status=CallbackStatus.CANCELLED))
    served = (stages.filter(status=StageStatus.DONE, kind__in=SERVICE_STAGES,
                            completed_at__date__gte=start, completed_at__date__lte=end,
                            order__customer__is_vip=True)
              .exclude(order__status=OrderStatus.CANCELLED))
    coverage = served.aggregate(
        services=Count("pk"),
        services_covered=Count("pk", filter=Q(has_callback)),
        members=Count("order__customer", distinct=True),
        members_missed=Count("order__customer", distinct=True, filter=~Q(has_callback)),
    )
    coverage["members_covered"] = coverage["members"] - coverage["members_missed"]
    coverage["rate"] = percent(coverage["members_covered"], coverage["members"])
    missing = (served.filter(~Q(has_callback))
               .values("order__customer_id", "order__customer__name", "kind", "completed_at")
               .order_by("completed_at", "pk")[:MEMBERS_LISTED])
    coverage["missing"] = [
        {"customer_id": m["order__customer_id"], "name": m["order__customer__name"],
         "service": str(StageKind(m["kind"]).label),
         "completed_on": timezone.localdate(m["completed_at"])}
        for m in missing]
    return coverage


def _suggestions(period: QuerySet[CallbackTask]) -> tuple[int, list[dict[str, Any]]]:
    with_suggestion = CallbackRecord.objects.filter(task__in=period).exclude(suggestions="")
    newest = (with_suggestion
              .values("called_at", "suggestions", "task__customer_id", "task__customer__name",
                      "task__purpose", "task__stage__kind",
                      "by__first_name", "by__last_name", "by__username")
              .order_by("-called_at", "-pk")[:SUGGESTIONS_LISTED])
    return with_suggestion.count(), [
        {"customer_id": s["task__customer_id"], "customer": s["task__customer__name"],
         "called_on": timezone.localdate(s["called_at"]),
         "specialist": person_name(s["by__first_name"], s["by__last_name"], s["by__username"]),
         "service": _service_label(s["task__purpose"], s["task__stage__kind"]),
         "text": s["suggestions"]}
        for s in newest]


def _chart(by_stage: list[SatisfactionRow], trend: list[dict[str, Any]]) -> dict[str, Any]:
    """Plain lists for ECharts (passed with json_script), the series named in the UI language."""
    return {
        "names": {"satisfied": str(Satisfaction.SATISFIED.label),
                  "average": str(Satisfaction.AVERAGE.label),
                  "dissatisfied": str(Satisfaction.DISSATISFIED.label),
                  "rate": _("满意率（%）")},
        "stages": {"labels": [r.label for r in by_stage],
                   "satisfied": [r.satisfied for r in by_stage],
                   "average": [r.average for r in by_stage],
                   "dissatisfied": [r.dissatisfied for r in by_stage]},
        "trend": {"dates": [d["date"].isoformat() for d in trend],
                  "rates": [d["satisfied_rate"] for d in trend],
                  "answers": [d["answers"] for d in trend]},
    }


def callback_summary_for(user, *, store, start: date, end: date, now: datetime) -> dict[str, Any]:
    """The report as `user` may see it (their callbacks and services; one store's, when given):
    the page and the API read this one."""
    tasks = callbacks_visible_to(user)
    stages = stages_visible_to(user)  # member coverage: services in the same scope
    if store is not None:
        tasks, stages = tasks.filter(store=store), stages.filter(order__store=store)
    return callback_summary(tasks=tasks, stages=stages, start=start, end=end, now=now)


def callback_summary(*, tasks: QuerySet[CallbackTask], stages: QuerySet[OrderStage],
                     start: date, end: date, now: datetime) -> dict[str, Any]:
    """The report for local dates start..end (inclusive): the callbacks triggered in it,
    and the satisfaction of the calls made in it (satisfaction_answers).

    `tasks` and `stages` come scoped to the viewer (callbacks_visible_to, stages_visible_to)
    and, for one store, filtered by it; `stages` feed the member coverage. Nine queries.
    """
    period = tasks.filter(triggered_at__date__gte=start, triggered_at__date__lte=end)
    answers = satisfaction_answers(CallbackRecord.objects.filter(task__in=tasks), start, end)
    by_stage = _by_stage(answers)
    overall = SatisfactionRow(_("合计"))
    for row in by_stage:  # each answer is in exactly one service group
        overall = overall.plus(row, overall.label)
    trend = _trend(answers)
    suggestions_total, suggestions = _suggestions(period)
    return {
        "start": start,
        "end": end,
        "tasks": _task_figures(period, now),
        "satisfaction": overall,
        "satisfaction_note": SATISFACTION_NOTE,
        "by_stage": by_stage,
        "by_specialist": _by_specialist(answers),
        "by_package": _by_package(answers),
        "coverage": _member_coverage(stages, start, end),
        "suggestions": suggestions,
        "suggestions_total": suggestions_total,
        "trend": trend,
        "chart": _chart(by_stage, trend),
    }


def _satisfaction_section(title: str, first: str, rows: list[SatisfactionRow]) -> XlsxSection:
    columns = [XlsxColumn(first, 18), XlsxColumn(_("回答数"), 10), XlsxColumn(_("满意"), 10),
               XlsxColumn(_("一般"), 10), XlsxColumn(_("不满意"), 10),
               XlsxColumn(_("满意率"), 12, percent=True), XlsxColumn(_("平均评分"), 12)]
    return XlsxSection(title, columns, [
        (r.label, r.answers, r.satisfied, r.average, r.dissatisfied, r.satisfied_rate, r.avg_score)
        for r in rows] or [(_("无"),)])


def summary_xlsx_rows(summary: dict[str, Any]) -> list[XlsxSection]:
    """The report's sections, in the order a supervisor files them."""
    t, s, c = summary["tasks"], summary["satisfaction"], summary["coverage"]
    overall = [
        (_("回访任务数"), t["created"]),
        (_("已取消"), t["cancelled"]),
        (_("应回访数"), t["due"]),
        (_("已完成"), t["completed"]),
        (_("按时完成"), t["on_time"]),
        (_("当前逾期"), t["overdue"]),
        (_("无法联系"), t["unreachable"]),
        (_("未完成（待回访/逾期）"), t["open"]),
        (_("完成率"), Percent(t["completion_rate"])),
        (_("按时完成率"), Percent(t["on_time_rate"])),
        (_("满意度回答数"), s.answers),
        (_("满意"), s.satisfied),
        (_("一般"), s.average),
        (_("不满意"), s.dissatisfied),
        (_("满意率"), Percent(s.satisfied_rate)),
        (_("平均评分"), s.avg_score),
        (_("服务会员数"), c["members"]),
        (_("已建回访任务的会员数"), c["members_covered"]),
        (_("会员回访覆盖率"), Percent(c["rate"])),
        (_("收到建议数"), summary["suggestions_total"]),
    ]
    return [
        XlsxSection(_("总体情况"), [XlsxColumn(_("指标"), 24), XlsxColumn(_("数值"), 12)], overall),
        _satisfaction_section(_("按服务阶段"), _("服务阶段"), summary["by_stage"]),
        _satisfaction_section(_("按客服"), _("客服"), summary["by_specialist"]),
        _satisfaction_section(_("按套系"), _("套系"), summary["by_package"]),
        XlsxSection(_("会员回访覆盖（未建回访任务的会员）"),
                    [XlsxColumn(_("客户"), 18), XlsxColumn(_("服务"), 12),
                     XlsxColumn(_("服务完成日期"), 12)],
                    [(m["name"], m["service"], m["completed_on"]) for m in c["missing"]]
                    or [(_("全部会员已建回访任务"),)]),
        XlsxSection(_("客户建议"),
                    [XlsxColumn(_("日期"), 18), XlsxColumn(_("客户"), 12), XlsxColumn(_("客服"), 12),
                     XlsxColumn(_("服务"), 12), XlsxColumn(_("建议"), 60)],
                    [(g["called_on"], g["customer"], g["specialist"], g["service"], g["text"])
                     for g in summary["suggestions"]] or [(_("无"),)]),
    ]


def summary_xlsx(*, request: HttpRequest, summary: dict[str, Any], store_name: str | None,
                 start: date, end: date) -> FileResponse:
    """The report as one sheet to file: title, period, store, then its sections; audited."""
    store_name = store_name or _("全部门店")
    return xlsx_report_response(
        request=request, filename=f"回访总结报告-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
        title=_("回访总结报告"), sections=summary_xlsx_rows(summary),
        lines=[_("统计期间：%(start)s 至 %(end)s") % {"start": start.isoformat(),
                                                  "end": end.isoformat()},
               _("门店：%(store)s") % {"store": store_name}],
        audit_detail={"report": "callback_summary", "start": start.isoformat(),
                      "end": end.isoformat(), "store": store_name})
