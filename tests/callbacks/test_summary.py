"""The callback summary report (《回访总结报告》): every figure against a hand-computed March.

All times are local (Asia/Shanghai). The March fixture, store 人民路店 (S01), a = specialist_a,
b = specialist_b; packages P1 经典婚纱照 (with gown selection), P2 儿童套系 (without):

  cust.   VIP pkg service done at                 its callback task
  A 张三  yes P1  gown 03-02 10:00                T1  03-03 10:00 by a: satisfied, 5, suggestion   on time
                  shoot 03-05 10:00               T2  03-06 15:00 by a: average, 3                 on time
  B 李四  no  P2  shoot 03-03 10:00               T3  03-04 by a: reached, booked for 03-10 10:00;
                                                      03-09 15:00 by b: dissatisfied, 1, suggestion
                                                      → on time by the booked due time in force
                  selection 03-06 10:00           T4  03-12 07:00 by b: satisfied, 4   late (due 03-09)
  C 王五  yes P1  gown 03-04 10:00                (task deleted: a member without a callback)
  D 赵六  yes P2  shoot 03-10 10:00               T6  not reached three times → unreachable
  A, B    holiday campaign 03-08 10:00            T8  (A) never called → swept overdue on 03-15
                                                  T8b (B) 03-09 10:00 by a: satisfied, no score  on time
  F 孙八  no  P2  shoot 03-19 10:00               T9  pending, due 03-22 10:00 → overdue at NOW
  G 周九  no  P2  shoot 03-01 07:00 (02-28 UTC)   T10 cancelled; in March by its local date
  J 吴十  no  P2  shoot 03-22 10:00               T12 pending, due 03-25 → open, not overdue
  E 钱七  yes P1  gown 02-25 10:00                T7  02-26 satisfied with a suggestion → February
  I 郑一  no  P2  shoot 04-01 01:00 (03-31 UTC)   T11 April by its local date → outside
  H 冯二  yes P2  shoot 03-05 (滨江店), task deleted → another store, outside the scope passed

Period 2025-03-01..2025-03-31, NOW = 2025-03-23 12:00.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from callbacks.models import CallbackPurpose, CallbackStatus, CallbackTask
from callbacks.services import callback_record, callbacks_mark_overdue, campaign_create
from callbacks.summary import SatisfactionRow, callback_summary, summary_xlsx, summary_xlsx_rows
from customers.models import Customer
from orders.models import OrderStage, StageKind
from orders.services import order_create, stage_complete
from studio.models import AuditAction, AuditEntry
from tests.factories import ChildrenPackageFactory, CustomerFactory, PackageFactory
from tests.xlsx import heading, sections_of, workbook_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = date(2025, 3, 1), date(2025, 3, 31)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(3, 23, 12)


@dataclass
class March:
    store: object
    specialist: object
    other_specialist: object
    customers: dict[str, Customer]
    tasks: dict[str, CallbackTask]


@pytest.fixture
def serve(front_desk, django_capture_on_commit_callbacks):
    """serve(customer, package, (kind, at), ...) books an order the day before the first
    service and completes the services; each completion creates its callback (signal on
    commit → eager Celery task)."""

    def run(customer: Customer, package, *services: tuple[str, datetime]) -> None:
        first = services[0][1]
        order = order_create(customer=customer, package=package, by=front_desk,
                             at=first - timedelta(days=1))
        for kind, done_at in services:
            with django_capture_on_commit_callbacks(execute=True):
                stage_complete(order=order, kind=kind, by=front_desk, at=done_at,
                               picked_up_by="本人" if kind == StageKind.PICKUP else "")

    return run


def task_of(customer: Customer, kind: str) -> CallbackTask:
    return CallbackTask.objects.get(stage__order__customer=customer, stage__kind=kind)


@pytest.fixture
def march(store, other_store, specialist, other_specialist, supervisor, serve) -> March:
    p1 = PackageFactory(name="经典婚纱照")
    p2 = ChildrenPackageFactory(name="儿童套系")

    def customer(name: str, vip: bool = False, store_=store) -> Customer:
        return CustomerFactory(store=store_, name=name, is_vip=vip, assigned_to=specialist)

    c = {n: customer(n, vip) for n, vip in [("张三", True), ("李四", False), ("王五", True),
                                           ("赵六", True), ("孙八", False), ("周九", False),
                                           ("吴十", False), ("钱七", True), ("郑一", False)]}
    c["冯二"] = customer("冯二", True, other_store)
    serve(c["张三"], p1, ("gown", at(3, 2)), ("shoot", at(3, 5)))
    serve(c["李四"], p2, ("shoot", at(3, 3)), ("selection", at(3, 6)))
    serve(c["王五"], p1, ("gown", at(3, 4)))
    serve(c["赵六"], p2, ("shoot", at(3, 10)))
    serve(c["孙八"], p2, ("shoot", at(3, 19)))
    serve(c["周九"], p2, ("shoot", at(3, 1, 7)))
    serve(c["吴十"], p2, ("shoot", at(3, 22)))
    serve(c["钱七"], p1, ("gown", at(2, 25)))
    serve(c["郑一"], p2, ("shoot", at(4, 1, 1)))
    serve(c["冯二"], p2, ("shoot", at(3, 5)))
    task_of(c["王五"], "gown").delete()
    task_of(c["冯二"], "shoot").delete()
    campaign = campaign_create(name="三八节回访", purpose=CallbackPurpose.HOLIDAY, store=store,
                               customers=Customer.objects.filter(pk__in=[c["张三"].pk, c["李四"].pk]),
                               by=supervisor, now=at(3, 8))
    t = {"T1": task_of(c["张三"], "gown"), "T2": task_of(c["张三"], "shoot"),
         "T3": task_of(c["李四"], "shoot"), "T4": task_of(c["李四"], "selection"),
         "T6": task_of(c["赵六"], "shoot"), "T7": task_of(c["钱七"], "gown"),
         "T8": campaign.tasks.get(customer=c["张三"]), "T8b": campaign.tasks.get(customer=c["李四"]),
         "T9": task_of(c["孙八"], "shoot"), "T10": task_of(c["周九"], "shoot"),
         "T12": task_of(c["吴十"], "shoot")}
    a, b = specialist, other_specialist
    callback_record(task=t["T1"], by=a, reached=True, satisfaction="satisfied", score=5,
                    suggestions="希望多一些外景", now=at(3, 3))
    callback_record(task=t["T2"], by=a, reached=True, satisfaction="average", score=3,
                    now=at(3, 6, 15))
    callback_record(task=t["T3"], by=a, reached=True, next_appointment_at=at(3, 10), now=at(3, 4))
    callback_record(task=t["T3"], by=b, reached=True, satisfaction="dissatisfied", score=1,
                    suggestions="选片等待时间太长", now=at(3, 9, 15))
    callback_record(task=t["T4"], by=b, reached=True, satisfaction="satisfied", score=4,
                    now=at(3, 12, 7))
    for when in (at(3, 10, 15), at(3, 11), at(3, 11, 15)):
        callback_record(task=t["T6"], by=a, reached=False, now=when)
    callback_record(task=t["T8b"], by=a, reached=True, satisfaction="satisfied", now=at(3, 9))
    callback_record(task=t["T7"], by=a, reached=True, satisfaction="satisfied", score=5,
                    suggestions="二月的建议不在三月报告里", now=at(2, 26))
    callbacks_mark_overdue(now=at(3, 15))
    CallbackTask.objects.filter(pk=t["T10"].pk).update(status=CallbackStatus.CANCELLED)
    return March(store=store, specialist=a, other_specialist=b, customers=c, tasks=t)


def summary_of(march: March, now: datetime = NOW) -> dict:
    return callback_summary(tasks=CallbackTask.objects.filter(store=march.store),
                            stages=OrderStage.objects.filter(order__store=march.store),
                            start=START, end=END, now=now)


def as_tuple(row: SatisfactionRow) -> tuple:
    return (row.label, row.answers, row.satisfied, row.average, row.dissatisfied,
            row.satisfied_rate, row.avg_score)


def test_the_fixture_is_what_the_table_says(march):
    t = {k: CallbackTask.objects.get(pk=v.pk) for k, v in march.tasks.items()}
    assert [t[k].status for k in ("T1", "T2", "T3", "T4", "T8b")] == [CallbackStatus.DONE] * 5
    assert t["T3"].due_at == at(3, 10)  # the booked time became the due time
    assert t["T4"].completed_at > t["T4"].due_at
    assert t["T6"].status == CallbackStatus.UNREACHABLE
    assert t["T8"].status == CallbackStatus.OVERDUE
    assert t["T9"].status == CallbackStatus.PENDING and t["T9"].due_at < NOW
    assert t["T12"].status == CallbackStatus.PENDING and t["T12"].due_at > NOW
    assert t["T10"].status == CallbackStatus.CANCELLED


def test_task_figures(march):
    figures = summary_of(march)["tasks"]
    # In March (local dates): T1 T2 T3 T4 T6 T8 T8b T9 T10 T12 = 10; T7 (Feb), T11 (Apr) and
    # the other store's task are out. T10 cancelled → 9 due.
    # Done: T1 T2 T3 T4 T8b = 5; on time: all but T4 = 4 (T3 by its booked time 03-10).
    # Overdue now: T8 (status overdue) + T9 (pending, due 03-22 < 03-23) = 2.
    # Open: T8 T9 T12 = 3. Unreachable: T6 = 1.
    assert figures == {
        "created": 10, "cancelled": 1, "due": 9, "completed": 5, "on_time": 4, "overdue": 2,
        "unreachable": 1, "open": 3,
        "completion_rate": 55.6,  # 5/9 = 55.56 %
        "on_time_rate": 44.4,  # 4/9 = 44.44 %
    }


def test_overdue_counts_pending_tasks_past_due_before_the_sweep_marks_them(march):
    # At 03-20 12:00 T9 (due 03-22) is not yet overdue: only T8 is.
    assert summary_of(march, now=at(3, 20, 12))["tasks"]["overdue"] == 1


def test_satisfaction_overall_and_by_service_stage(march):
    summary = summary_of(march)
    # Answers (reached, with a satisfaction) of March tasks: T1 satisfied 5, T2 average 3,
    # T3 dissatisfied 1 (its first, booking call has none), T4 satisfied 4, T8b satisfied (no
    # score) = 5 answers, 3 satisfied → 60.0 %; average score (5+3+1+4)/4 = 3.25 → 3.3.
    assert as_tuple(summary["satisfaction"]) == ("合计", 5, 3, 1, 1, 60.0, 3.3)
    # By service, in service order, the campaign under its purpose:
    assert [as_tuple(r) for r in summary["by_stage"]] == [
        ("礼服挑选", 1, 1, 0, 0, 100.0, 5.0),  # T1
        ("拍摄", 2, 0, 1, 1, 0.0, 2.0),  # T2 average 3, T3 dissatisfied 1
        ("选片", 1, 1, 0, 0, 100.0, 4.0),  # T4
        ("节日回访", 1, 1, 0, 0, 100.0, None),  # T8b, no score
    ]


def test_satisfaction_by_specialist_and_package(march):
    summary = summary_of(march)
    a, b = march.specialist.display_name, march.other_specialist.display_name
    # a answered T1 (satisfied 5), T2 (average 3), T8b (satisfied): 2/3 = 66.7 %, (5+3)/2 = 4.0
    # b answered T3 (dissatisfied 1), T4 (satisfied 4): 50.0 %, 2.5. Most answers first.
    assert [as_tuple(r) for r in summary["by_specialist"]] == [
        (a, 3, 2, 1, 0, 66.7, 4.0),
        (b, 2, 1, 0, 1, 50.0, 2.5),
    ]
    # 经典婚纱照: T1, T2; 儿童套系: T3, T4; the campaign task has no package.
    assert {r.label: as_tuple(r)[1:] for r in summary["by_package"]} == {
        "经典婚纱照": (2, 1, 1, 0, 50.0, 4.0),
        "儿童套系": (2, 1, 0, 1, 50.0, 2.5),
        "其他回访（无套系）": (1, 1, 0, 0, 100.0, None),
    }


def test_member_coverage_finds_the_member_without_a_callback(march):
    coverage = summary_of(march)["coverage"]
    # VIP members served in March in this store: 张三 (gown T1, shoot T2), 王五 (gown, task
    # deleted), 赵六 (shoot T6, unreachable but called) = 3 members, 4 services, 3 with a task.
    # 钱七 was served in February; 冯二 is in another store; 李四 and the rest are not VIP.
    assert {k: v for k, v in coverage.items() if k != "missing"} == {
        "members": 3, "members_covered": 2, "members_missed": 1, "rate": 66.7,
        "services": 4, "services_covered": 3,
    }
    assert coverage["missing"] == [{"customer_id": march.customers["王五"].pk, "name": "王五",
                                    "service": "礼服挑选", "completed_on": date(2025, 3, 4)}]


def test_suggestions_newest_first_and_only_the_periods(march):
    summary = summary_of(march)
    # T3's (03-09, by b) then T1's (03-03, by a); T7's is from a February task.
    assert summary["suggestions_total"] == 2
    assert [(s["customer"], s["called_on"], s["specialist"], s["service"], s["text"])
            for s in summary["suggestions"]] == [
        ("李四", date(2025, 3, 9), march.other_specialist.display_name, "拍摄", "选片等待时间太长"),
        ("张三", date(2025, 3, 3), march.specialist.display_name, "礼服挑选", "希望多一些外景"),
    ]


def test_daily_trend_by_local_call_date(march):
    summary = summary_of(march)
    # 03-03 T1 satisfied; 03-06 T2 average; 03-09 T8b satisfied + T3 dissatisfied;
    # 03-12 07:00 T4 satisfied (03-11 23:00 UTC: the local date counts).
    assert [(d["date"], d["answers"], d["satisfied"], d["satisfied_rate"])
            for d in summary["trend"]] == [
        (date(2025, 3, 3), 1, 1, 100.0), (date(2025, 3, 6), 1, 0, 0.0),
        (date(2025, 3, 9), 2, 1, 50.0), (date(2025, 3, 12), 1, 1, 100.0),
    ]
    chart = summary["chart"]
    assert chart["stages"] == {"labels": ["礼服挑选", "拍摄", "选片", "节日回访"],
                               "satisfied": [1, 0, 1, 1], "average": [0, 1, 0, 0],
                               "dissatisfied": [0, 1, 0, 0]}
    assert chart["trend"]["dates"] == ["2025-03-03", "2025-03-06", "2025-03-09", "2025-03-12"]
    assert chart["trend"]["rates"] == [100.0, 0.0, 50.0, 100.0]


def test_an_empty_period_has_no_rates(march):
    summary = callback_summary(tasks=CallbackTask.objects.all(), stages=OrderStage.objects.all(),
                               start=date(2024, 1, 1), end=date(2024, 1, 31), now=NOW)
    assert summary["tasks"]["created"] == 0
    assert summary["tasks"]["completion_rate"] is None and summary["tasks"]["on_time_rate"] is None
    assert summary["satisfaction"].satisfied_rate is None and summary["satisfaction"].avg_score is None
    assert summary["by_stage"] == summary["suggestions"] == summary["trend"] == []
    assert summary["coverage"]["rate"] is None


def test_the_summary_takes_a_fixed_number_of_queries(march, serve, specialist, other_specialist,
                                                      django_assert_num_queries):
    with CaptureQueriesContext(connection) as small:
        summary_of(march)
    assert len(small.captured_queries) == 9
    # Twelve more VIP members on a new package: more answers, suggestions, missing callbacks.
    package = PackageFactory(name="轻奢婚纱照")
    for i in range(12):
        customer = CustomerFactory(store=march.store, name=f"会员{i}", is_vip=True,
                                   assigned_to=specialist)
        serve(customer, package, ("gown", at(3, 2 + i)), ("shoot", at(3, 3 + i)))
        if i % 3 == 0:
            task_of(customer, "shoot").delete()
        callback_record(task=task_of(customer, "gown"), by=other_specialist if i % 2 else specialist,
                        reached=True, satisfaction=["satisfied", "average", "dissatisfied"][i % 3],
                        score=1 + i % 5, suggestions=f"建议{i}", now=at(3, 3 + i, 11))
    with django_assert_num_queries(len(small.captured_queries)):
        bigger = summary_of(march)
    assert bigger["coverage"]["members"] == 15 and len(bigger["coverage"]["missing"]) == 5


@pytest.fixture
def rf_request(supervisor):
    request = RequestFactory().get("/callbacks/summary/", {"start": "2025-03-01", "end": "2025-03-31"})
    request.user = supervisor
    return request


def test_the_xlsx_is_a_report_with_sections_and_is_audited(march, rf_request, supervisor):
    response = summary_xlsx(request=rf_request, summary=summary_of(march), store_name="人民路店",
                            start=START, end=END)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "20250301-20250331" in response["Content-Disposition"]
    book = workbook_of(response)
    titles = ["总体情况", "按服务阶段", "按客服", "按套系", "会员回访覆盖（未建回访任务的会员）", "客户建议"]
    assert [sheet.title for sheet in book.worksheets] == titles  # a sheet a table, in order
    for sheet, title in zip(book.worksheets, titles, strict=True):
        assert heading(sheet)[:4] == ["回访总结报告", title, "统计期间：2025-03-01 至 2025-03-31",
                                      "门店：人民路店"]
    tables = sections_of(book)

    def section(title: str) -> list[tuple]:
        return [tuple(v for v in r if v is not None) for r in tables[title]]

    overall = dict(section("总体情况")[1:])  # percentages as fractions shown as 55.6%
    assert overall["回访任务数"] == 10 and overall["完成率"] == 0.556
    assert overall["按时完成率"] == 0.444 and overall["平均评分"] == 3.3
    assert overall["会员回访覆盖率"] == 0.667 and overall["收到建议数"] == 2
    assert section("按服务阶段")[0] == ("服务阶段", "回答数", "满意", "一般", "不满意", "满意率",
                                     "平均评分")
    assert section("按服务阶段")[1] == ("礼服挑选", 1, 1, 0, 0, 1, 5)
    assert section("会员回访覆盖（未建回访任务的会员）")[1] == ("王五", "礼服挑选", datetime(2025, 3, 4))
    assert [r[-1] for r in section("客户建议")[1:]] == ["选片等待时间太长", "希望多一些外景"]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == supervisor
    assert entry.detail["report"] == "callback_summary" and entry.detail["store"] == "人民路店"
    assert entry.detail["rows"] == sum(len(s.rows) for s in summary_xlsx_rows(summary_of(march)))


def test_exported_suggestions_that_look_like_formulas_are_neutralised(march, rf_request):
    task = march.tasks["T12"]
    callback_record(task=task, by=march.specialist, reached=True, satisfaction="satisfied",
                    suggestions="=HYPERLINK(1)", now=at(3, 23))
    response = summary_xlsx(request=rf_request, summary=summary_of(march), store_name=None,
                            start=START, end=END)
    book = workbook_of(response)
    assert heading(book["客户建议"])[3] == "门店：全部门店"
    assert any("'=HYPERLINK(1)" in r for r in sections_of(book)["客户建议"])


def test_the_page_renders_the_figures_tables_and_charts(march, rf_request, other_store):
    summary = summary_of(march)
    html = render_to_string("callbacks/summary.html", {
        "summary": summary, "start": START, "end": END, "stores": [march.store, other_store],
        "store": march.store, "query": "start=2025-03-01&end=2025-03-31",
    }, request=rf_request)
    assert "回访总结报告" in html and 'value="2025-03-01"' in html
    assert f'<option value="{march.store.pk}" selected>' in html
    assert "?start=2025-03-01&amp;end=2025-03-31&export=xlsx" in html
    assert 'data-testid="tasks-created">10<' in html
    assert "55.6%" in html and "44.4%" in html and "60.0%" in html and "66.7%" in html
    assert reverse("orders:customer", args=[march.customers["王五"].pk]) in html
    assert "选片等待时间太长" in html and "节日回访" in html and "其他回访（无套系）" in html
    assert 'id="summary-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert 'id="chart-stages"' in html and 'id="chart-trend"' in html


def test_the_page_renders_an_empty_period_without_a_store_select(rf_request, store):
    summary = callback_summary(tasks=CallbackTask.objects.all(), stages=OrderStage.objects.all(),
                               start=START, end=END, now=NOW)
    html = render_to_string("callbacks/summary.html", {
        "summary": summary, "start": START, "end": END, "stores": [], "store": None, "query": "",
    }, request=rf_request)
    assert 'name="store"' not in html and 'id="chart-stages"' not in html
    assert "本期没有满意度回答。" in html and "本期没有收到建议。" in html
    assert "?export=xlsx" in html
