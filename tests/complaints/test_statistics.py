"""The complaint classification statistics (《顾客投诉分类统计表》): every figure against a
hand-computed February-March.

All times are local (Asia/Shanghai). Store 人民路店 (S01) with departments 客服部, 门市部, 摄影部,
选片设计部; 滨江店 (S02) with 设计部. Every complaint goes through complaints.services; the step
times are then set on the rows so that durations are exact (hours in brackets):

  #   customer received       channel      category          sev.    outcome, department
  C1  张三  02-10 10:00  phone        product_quality   high    closed, 摄影部
          judged 02-10 12:00 (2) investigated 02-11 12:00 (24) proposed 02-11 18:00 (6)
          approved 02-12 09:00 (15) closed 02-13 09:00 (24): 71 in all.
          Solutions reshoot ¥800 (approved), refund ¥500. Penalties photographer ¥200,
          supervisor ¥30 as department head.
  C2  张三  03-03 10:00  in_store     service_attitude  normal  closed, 客服部
          judged 03-03 14:00 (4) investigated 03-04 14:00 (24) proposed 03-05 10:00 (20)
          approved 03-05 14:00 (4) closed 03-06 14:00 (24): 76 in all. Late while being
          investigated (escalated once), level back to 0 at the next step.
          Solutions apology ¥0, gift ¥100 (approved). Penalties specialist ¥50, supervisor ¥20
          as department head.
  C3  李四  03-05 09:00  public_form  price             low     not valid, closed at judgement
          03-05 10:30 (1.5)
  C4  王五  03-10 10:00  phone        product_quality   normal  approved, not implemented, 选片设计部
          judged 03-10 16:00 (6) investigated 03-11 10:00 (18) proposed 03-12 10:00 (24)
          approved 03-13 10:00 (24). Remake ¥300 approved. Due 03-31 06:00 → escalated to 1.
  C5  张三  03-20 10:00  callback     schedule          normal  investigating, 门市部
          judged 03-20 20:00 (10). Due 03-29 10:00 → escalated to 2 (a day late).
  C6  赵六  03-01 07:00  online_review other            high    registered only (02-28 23:00 UTC:
          March by its local date). Due 03-02 07:00 → escalated to 2.
  C8  王五  03-28 10:00  in_store     product_quality   low     investigating, 摄影部
          judged 03-28 11:00 (1). Due 04-01 11:00: not late.
  Outside: O1 钱七 01-31 23:30 (closed, refund ¥999 approved, photographer fined ¥999);
  O2 李四 04-01 01:00 (03-31 UTC: April by its local date); O3 冯二 03-05 in 滨江店 (valid, 设计部).
  Improvement measures: S01 for January, February, March; S02 for March.

Period 2025-02-01..2025-03-31, NOW = 2025-03-31 12:00 (the escalation sweep ran then).
"""
import base64
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, ComplaintStatus, ImprovementMeasure, SolutionKind
from complaints.selectors import complaints_visible_to
from complaints.services import (
    PNG_MAGIC,
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_register,
    complaints_escalate,
    improvement_save,
)
from complaints.statistics import complaint_statistics, statistics_xlsx, statistics_xlsx_sections
from customers.models import Customer
from staff.models import Department, DepartmentKind, Role
from studio.models import AuditAction, AuditEntry
from tests.factories import CustomerFactory
from tests.xlsx import heading, sections_of, workbook_of

pytestmark = pytest.mark.clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = date(2025, 2, 1), date(2025, 3, 31)
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG_MAGIC + b"signed").decode()


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(3, 31, 12)


@dataclass
class Studio:
    """The store, its people and departments, and the steps as one-liners."""

    store: object
    supervisor: object
    manager: object
    specialist: object
    photographer: object
    departments: dict[str, Department]

    def register(self, customer: Customer, received_at: datetime, channel: str, category: str,
                 severity: str = "normal") -> Complaint:
        return complaint_register(store=customer.store, by=self.supervisor, channel=channel,
                                  category=category, severity=severity, content="投诉内容",
                                  customer=customer, received_at=received_at)

    def judge(self, complaint: Complaint, department: str | None) -> None:
        if department is None:
            complaint_judge(complaint=complaint, by=self.supervisor, valid=False,
                            reason="属正常收费", explanation="已向客户说明收费标准",
                            customer_understood=True)
        else:
            complaint_judge(complaint=complaint, by=self.supervisor, valid=True, reason="情况属实",
                            department=self.departments[department],
                            promised_at=timezone.now() + timedelta(days=2))

    def investigate(self, complaint: Complaint) -> None:
        complaint_investigate(complaint=complaint, by=self.supervisor, cause="已查明原因")

    def propose(self, complaint: Complaint, kind: str, cost: int):
        return complaint_propose(complaint=complaint, by=self.supervisor, kind=kind,
                                 description="处理方案", cost=cost)

    def approve(self, complaint: Complaint, solution) -> None:
        complaint_approve(complaint=complaint, by=self.supervisor, solution=solution, comment="同意")

    def implement(self, complaint: Complaint, *penalties: tuple[object, int, bool]) -> None:
        complaint_implement(
            complaint=complaint, by=self.manager, accepted=True, signature_data_url=SIGNATURE,
            feedback="满意",
            penalties=[{"staff": person, "amount": amount, "is_department_head": head,
                        "description": "处罚"} for person, amount, head in penalties])

    def settle(self, complaint: Complaint, kind: str, cost: int,
               *penalties: tuple[object, int, bool]) -> None:
        """From investigation to closing, with one approved solution."""
        self.investigate(complaint)
        self.approve(complaint, self.propose(complaint, kind, cost))
        self.implement(complaint, *penalties)


def set_times(complaint: Complaint, **times: datetime) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(**times)


@dataclass
class FebMar:
    studio: Studio
    other_store: object
    customers: dict[str, Customer]
    complaints: dict[str, Complaint]


@pytest.fixture
def studio(store, supervisor, manager, specialist, staff_of) -> Studio:
    departments = {name: Department.objects.create(store=store, kind=kind, name=name)
                   for name, kind in [("客服部", DepartmentKind.CUSTOMER_SERVICE),
                                      ("门市部", DepartmentKind.SALES),
                                      ("摄影部", DepartmentKind.PHOTOGRAPHY),
                                      ("选片设计部", DepartmentKind.SELECTION_DESIGN)]}
    photographer = staff_of(Role.PHOTOGRAPHER, user__username="photographer").user
    return Studio(store=store, supervisor=supervisor, manager=manager, specialist=specialist,
                  photographer=photographer, departments=departments)


@pytest.fixture
def febmar(studio, other_store, specialist) -> FebMar:
    s = studio
    c = {name: CustomerFactory(store=s.store, name=name, assigned_to=specialist)
         for name in ("张三", "李四", "王五", "赵六", "钱七")}
    c["冯二"] = CustomerFactory(store=other_store, name="冯二")
    k: dict[str, Complaint] = {}

    k["O1"] = s.register(c["钱七"], at(1, 31, 23, 30), "phone", "price")
    s.judge(k["O1"], "门市部")
    s.settle(k["O1"], SolutionKind.REFUND, 999, (s.photographer, 999, False))

    k["C1"] = s.register(c["张三"], at(2, 10), "phone", "product_quality", "high")
    s.judge(k["C1"], "摄影部")
    s.investigate(k["C1"])
    reshoot = s.propose(k["C1"], SolutionKind.RESHOOT, 800)
    s.propose(k["C1"], SolutionKind.REFUND, 500)
    s.approve(k["C1"], reshoot)
    s.implement(k["C1"], (s.photographer, 200, False), (s.supervisor, 30, True))
    set_times(k["C1"], judged_at=at(2, 10, 12), investigated_at=at(2, 11, 12),
              proposed_at=at(2, 11, 18), approved_at=at(2, 12, 9), closed_at=at(2, 13, 9))

    k["C2"] = s.register(c["张三"], at(3, 3), "in_store", "service_attitude")
    s.judge(k["C2"], "客服部")
    set_times(k["C2"], step_due_at=at(3, 4, 10))
    assert complaints_escalate(now=at(3, 4, 12)) == 1  # C2 alone is open and late
    s.investigate(k["C2"])
    s.propose(k["C2"], SolutionKind.APOLOGY, 0)
    gift = s.propose(k["C2"], SolutionKind.GIFT, 100)
    s.approve(k["C2"], gift)
    s.implement(k["C2"], (s.specialist, 50, False), (s.supervisor, 20, True))
    set_times(k["C2"], judged_at=at(3, 3, 14), investigated_at=at(3, 4, 14),
              proposed_at=at(3, 5, 10), approved_at=at(3, 5, 14), closed_at=at(3, 6, 14))

    k["C3"] = s.register(c["李四"], at(3, 5, 9), "public_form", "price", "low")
    s.judge(k["C3"], None)
    set_times(k["C3"], judged_at=at(3, 5, 10, 30), closed_at=at(3, 5, 10, 30))

    k["C4"] = s.register(c["王五"], at(3, 10), "phone", "product_quality")
    s.judge(k["C4"], "选片设计部")
    s.investigate(k["C4"])
    s.approve(k["C4"], s.propose(k["C4"], SolutionKind.REMAKE, 300))
    set_times(k["C4"], judged_at=at(3, 10, 16), investigated_at=at(3, 11, 10),
              proposed_at=at(3, 12, 10), approved_at=at(3, 13, 10), step_due_at=at(3, 31, 6))

    k["C5"] = s.register(c["张三"], at(3, 20), "callback", "schedule")
    s.judge(k["C5"], "门市部")
    set_times(k["C5"], judged_at=at(3, 20, 20), step_due_at=at(3, 29, 10))

    k["C6"] = s.register(c["赵六"], at(3, 1, 7), "online_review", "other", "high")

    k["C8"] = s.register(c["王五"], at(3, 28), "in_store", "product_quality", "low")
    s.judge(k["C8"], "摄影部")
    set_times(k["C8"], judged_at=at(3, 28, 11), step_due_at=at(4, 1, 11))

    k["O2"] = s.register(c["李四"], at(4, 1, 1), "phone", "service_attitude")
    design = Department.objects.create(store=other_store, kind=DepartmentKind.SELECTION_DESIGN,
                                       name="设计部")
    k["O3"] = complaint_register(store=other_store, by=None, channel="phone",
                                 category="product_quality", content="相册有划痕",
                                 customer=c["冯二"], received_at=at(3, 5))
    complaint_judge(complaint=k["O3"], by=s.supervisor, valid=True, reason="属实", department=design,
                    promised_at=timezone.now() + timedelta(days=2))

    complaints_escalate(now=NOW)
    for month, text in [(1, "一月对策"), (2, "二月：摄影部加强修片质检"), (3, "三月：客服话术培训")]:
        improvement_save(store=s.store, month=date(2025, month, 15), text=text, by=s.supervisor)
    improvement_save(store=other_store, month=date(2025, 3, 1), text="滨江店三月对策",
                     by=s.supervisor)
    return FebMar(studio=s, other_store=other_store, customers=c,
                  complaints={key: Complaint.objects.get(pk=v.pk) for key, v in k.items()})


def stats_of(user, now: datetime = NOW, start: date = START, end: date = END) -> dict:
    """As the view does: the viewer's complaints and their stores' measures."""
    profile = user.staff_profile
    measures = ImprovementMeasure.objects.all()
    if not profile.sees_all_stores:
        measures = measures.filter(store=profile.store)
    return complaint_statistics(complaints=complaints_visible_to(user), start=start, end=end,
                                now=now, measures=measures)


def test_the_fixture_is_what_the_table_says(febmar):
    k = febmar.complaints
    assert [k[n].status for n in ("C1", "C2", "C3", "C4", "C5", "C6", "C8")] == [
        ComplaintStatus.CLOSED, ComplaintStatus.CLOSED, ComplaintStatus.REJECTED,
        ComplaintStatus.APPROVED, ComplaintStatus.INVESTIGATING, ComplaintStatus.REGISTERED,
        ComplaintStatus.INVESTIGATING]
    assert [k[n].escalation_level for n in ("C2", "C4", "C5", "C6", "C8")] == [0, 1, 2, 2, 0]
    assert k["C2"].events.filter(action="escalate").count() == 1
    assert k["C6"].step_due_at == at(3, 2, 7)  # register's deadline counts from received_at
    assert k["C1"].solutions.get(is_approved=True).kind == SolutionKind.RESHOOT
    assert k["C1"].signature.name and k["C1"].followup_task_id is not None


def test_overall_counts_validity_and_escalations(febmar):
    o = stats_of(febmar.studio.supervisor)["overall"]
    # C1..C8 (7); valid C1 C2 C4 C5 C8, not valid C3, not judged C6; open C4 C5 C6 C8.
    # Overdue at NOW: C4 (due 03-31 06:00), C5, C6; C8 is due 04-01. Currently escalated:
    # C4 (1), C5 and C6 (2); ever: those and C2 (escalated while investigating).
    assert o == {
        "total": 7, "valid": 5, "invalid": 1, "unjudged": 1, "open": 4, "closed": 3,
        "valid_rate": 83.3,  # 5 / 6 judged
        "closed_rate": 42.9,  # 3 / 7
        "overdue": 3, "escalated": 3, "escalated_to_manager": 2, "escalated_ever": 4,
    }


def test_overdue_is_by_now(febmar):
    # At 03-30 12:00 C4 (due 03-31 06:00) is not yet late: C5 and C6 are.
    assert stats_of(febmar.studio.supervisor, now=at(3, 30, 12))["overall"]["overdue"] == 2


def test_category_by_month_with_validity_and_time_to_close(febmar):
    b = stats_of(febmar.studio.supervisor)["by_category"]
    assert b["months"] == [date(2025, 2, 1), date(2025, 3, 1)]
    # label, [Feb, Mar], total, valid, invalid, unjudged, open, closed, hours to close
    # C6 came at 03-01 07:00 (02-28 UTC): March. Closing: C1 71 h, C2 76 h, C3 1.5 h.
    assert [(r["label"], r["months"], r["total"], r["valid"], r["invalid"], r["unjudged"],
             r["open"], r["closed"], r["avg_close_hours"]) for r in [*b["rows"], b["total"]]] == [
        ("产品质量", [1, 2], 3, 3, 0, 0, 2, 1, 71.0),  # C1 (Feb); C4, C8
        ("服务态度", [0, 1], 1, 1, 0, 0, 0, 1, 76.0),  # C2
        ("档期/时间", [0, 1], 1, 1, 0, 0, 1, 0, None),  # C5
        ("价格/收费", [0, 1], 1, 0, 1, 0, 0, 1, 1.5),  # C3
        ("其他", [0, 1], 1, 0, 0, 1, 1, 0, None),  # C6
        ("合计", [1, 6], 7, 5, 1, 1, 4, 3, 49.5),  # (71 + 76 + 1.5) / 3
    ]


def test_valid_complaints_by_category_and_responsible_department(febmar):
    d = stats_of(febmar.studio.supervisor)["by_department"]
    # Departments in kind order, named as the store names them.
    assert d["departments"] == ["客服部", "门市部", "摄影部", "选片设计部"]
    assert [(r["label"], r["counts"], r["total"]) for r in d["rows"]] == [
        ("产品质量", [0, 0, 2, 1], 3),  # C1 C8 摄影部, C4 选片设计部
        ("服务态度", [1, 0, 0, 0], 1),  # C2
        ("档期/时间", [0, 1, 0, 0], 1),  # C5
        ("价格/收费", [0, 0, 0, 0], 0),  # C3 was not valid
        ("其他", [0, 0, 0, 0], 0),  # C6 not judged
    ]
    assert d["total"] == {"label": "合计", "counts": [1, 1, 2, 1], "total": 5}


def test_by_channel_and_severity_list_every_choice(febmar):
    stats = stats_of(febmar.studio.supervisor)
    assert [(r["label"], r["count"], r["percent"]) for r in stats["by_channel"]] == [
        ("电话", 2, 28.6),  # C1 C4
        ("到店", 2, 28.6),  # C2 C8
        ("网上投诉表", 1, 14.3),  # C3
        ("回访中反映", 1, 14.3),  # C5
        ("网络评价", 1, 14.3),  # C6
    ]
    assert [(r["label"], r["count"], r["percent"]) for r in stats["by_severity"]] == [
        ("一般", 2, 28.6),  # C3 C8
        ("较重", 3, 42.9),  # C2 C4 C5
        ("严重", 2, 28.6),  # C1 C6
    ]


def test_time_per_step_from_the_complaints_timestamps(febmar):
    steps = stats_of(febmar.studio.supervisor)["steps"]
    assert [(s["key"], s["label"], s["count"], s["avg_hours"], s["max_hours"]) for s in steps] == [
        # C1 2, C2 4, C3 1.5, C4 6, C5 10, C8 1: 24.5 / 6 = 4.08
        ("judge", "登记→判定", 6, 4.1, 10.0),
        ("investigate", "判定→调查完成", 3, 22.0, 24.0),  # C1 24, C2 24, C4 18
        ("propose", "调查完成→提出方案", 3, 16.7, 24.0),  # C1 6, C2 20, C4 24: 50 / 3
        ("approve", "提出方案→主管审批", 3, 14.3, 24.0),  # C1 15, C2 4, C4 24: 43 / 3
        ("implement", "审批→实施结案", 2, 24.0, 24.0),  # C1, C2
        ("close", "登记→结案（全程）", 3, 49.5, 76.0),  # C1 71, C2 76, C3 1.5
    ]


def test_repeat_complainants_in_the_period(febmar):
    repeat = stats_of(febmar.studio.supervisor)["repeat_customers"]
    # 张三 C1 C2 C5; 王五 C4 C8; 李四's second complaint (O2) came in April.
    assert [(r["customer_id"], r["name"], r["count"], r["last_received_at"]) for r in repeat] == [
        (febmar.customers["张三"].pk, "张三", 3, at(3, 20)),
        (febmar.customers["王五"].pk, "王五", 2, at(3, 28)),
    ]


def test_compensation_is_the_approved_solutions_cost(febmar):
    c = stats_of(febmar.studio.supervisor)["compensation"]
    # Approved: C1 reshoot 800, C2 gift 100, C4 remake 300 (not yet implemented, still owed).
    # Not approved: C1 refund 500, C2 apology 0. O1's refund 999 is January's.
    assert c == {"count": 3, "cost": Decimal("1200.00"), "by_kind": [
        {"key": "remake", "label": "重做相册/产品", "count": 1, "cost": Decimal("300.00")},
        {"key": "reshoot", "label": "重拍", "count": 1, "cost": Decimal("800.00")},
        {"key": "gift", "label": "赠送礼品", "count": 1, "cost": Decimal("100.00")},
    ]}


def test_penalties_by_person(febmar):
    s = febmar.studio
    p = stats_of(s.supervisor)["penalties"]
    # photographer 200 (C1; O1's 999 is January's); specialist 50 (C2); supervisor 30 + 20 as
    # department head. Highest amount first, then by login.
    assert p == {"count": 4, "amount": Decimal("300.00"), "by_staff": [
        {"staff_id": s.photographer.pk, "name": s.photographer.display_name, "count": 1,
         "amount": Decimal("200.00"), "as_head": 0},
        {"staff_id": s.specialist.pk, "name": s.specialist.display_name, "count": 1,
         "amount": Decimal("50.00"), "as_head": 0},
        {"staff_id": s.supervisor.pk, "name": s.supervisor.display_name, "count": 2,
         "amount": Decimal("50.00"), "as_head": 2},
    ]}


def test_improvement_measures_of_the_periods_months(febmar):
    measures = stats_of(febmar.studio.supervisor)["measures"]
    assert [(m["month"], m["store"], m["text"], m["written_by"]) for m in measures] == [
        (date(2025, 2, 1), "人民路店", "二月：摄影部加强修片质检", febmar.studio.supervisor.display_name),
        (date(2025, 3, 1), "人民路店", "三月：客服话术培训", febmar.studio.supervisor.display_name),
    ]


def test_chart_data(febmar):
    chart = stats_of(febmar.studio.supervisor)["chart"]
    assert chart["months"] == ["2025-02", "2025-03"]
    assert chart["categories"] == [  # categories with complaints, a series each
        {"name": "产品质量", "data": [1, 2]}, {"name": "服务态度", "data": [0, 1]},
        {"name": "档期/时间", "data": [0, 1]}, {"name": "价格/收费", "data": [0, 1]},
        {"name": "其他", "data": [0, 1]}]
    assert chart["steps"]["avg_hours"] == [4.1, 22.0, 16.7, 14.3, 24.0, 49.5]


def test_all_stores_add_up_departments_by_kind(febmar, general_manager):
    stats = stats_of(general_manager)
    assert stats["overall"]["total"] == 8  # and O3 in 滨江店
    d = stats["by_department"]
    # 选片设计部 (人民路店) and 设计部 (滨江店) are both 选片/设计: shown by the kind's name.
    assert d["departments"] == ["客服部", "门市部", "摄影部", "选片/设计"]
    assert d["rows"][0]["counts"] == [0, 0, 2, 2] and d["total"]["total"] == 6
    assert [(m["month"], m["store"]) for m in stats["measures"]] == [
        (date(2025, 2, 1), "人民路店"), (date(2025, 3, 1), "人民路店"), (date(2025, 3, 1), "滨江店")]


def test_an_empty_period_has_zeros_and_no_rates(febmar):
    stats = stats_of(febmar.studio.supervisor, start=date(2024, 6, 1), end=date(2024, 6, 30))
    o = stats["overall"]
    assert o["total"] == 0 and o["valid_rate"] is None and o["closed_rate"] is None
    assert [s["avg_hours"] for s in stats["steps"]] == [None] * 6
    assert stats["by_category"]["months"] == [date(2024, 6, 1)]
    assert stats["by_category"]["total"]["months"] == [0]
    assert stats["by_department"]["departments"] == [] and stats["by_department"]["total"]["total"] == 0
    assert [r["percent"] for r in stats["by_channel"]] == [None] * 5
    assert stats["repeat_customers"] == [] and stats["measures"] == []
    assert stats["compensation"] == {"count": 0, "cost": Decimal("0.00"), "by_kind": []}
    assert stats["penalties"] == {"count": 0, "amount": Decimal("0.00"), "by_staff": []}
    assert stats["chart"]["categories"] == []


def test_the_statistics_take_a_fixed_number_of_queries(febmar, django_assert_num_queries):
    s = febmar.studio
    with CaptureQueriesContext(connection) as small:
        stats_of(s.supervisor)
    assert len(small.captured_queries) == 10
    # Twelve more complaints, settled with solutions and penalties, several per customer.
    kinds = ["product_quality", "service_attitude", "schedule", "price"]
    for i in range(12):
        customer = CustomerFactory(store=s.store, name=f"客户{i % 4}", assigned_to=s.specialist)
        complaint = s.register(customer, at(2 + i % 2, 1 + i), "phone", kinds[i % 4])
        s.judge(complaint, ["客服部", "门市部", "摄影部", "选片设计部"][i % 4])
        s.settle(complaint, [SolutionKind.REFUND, SolutionKind.POINTS][i % 2], 10 * i,
                 (s.photographer if i % 2 else s.specialist, i, bool(i % 3)))
    with django_assert_num_queries(len(small.captured_queries)):
        bigger = stats_of(s.supervisor)
    assert bigger["overall"]["total"] == 19 and bigger["penalties"]["count"] == 16


def test_without_measures_one_query_less(febmar, django_assert_num_queries):
    with django_assert_num_queries(9):
        stats = complaint_statistics(complaints=Complaint.objects.filter(store=febmar.studio.store),
                                     start=START, end=END, now=NOW)
    assert stats["measures"] == [] and stats["overall"]["total"] == 7


@pytest.fixture
def rf_request(supervisor):
    request = RequestFactory().get("/complaints/statistics/",
                                   {"start": "2025-02-01", "end": "2025-03-31"})
    request.user = supervisor
    return request




def test_the_xlsx_is_the_statistics_table_with_sections_and_is_audited(febmar, rf_request):
    stats = stats_of(febmar.studio.supervisor)
    response = statistics_xlsx(request=rf_request, stats=stats, store_name="人民路店",
                               start=START, end=END)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "20250201-20250331" in response["Content-Disposition"]
    book = workbook_of(response)
    titles = ["总体情况", "按类别×月份", "按类别×责任部门（成立的投诉）", "各步骤用时", "重复投诉客户",
              "补偿成本", "处罚记录", "改进对策"]
    assert [sheet.title for sheet in book.worksheets] == titles  # a sheet a table, in order
    for sheet, title in zip(book.worksheets, titles, strict=True):
        assert heading(sheet)[:4] == ["顾客投诉分类统计表", title,
                                      "统计期间：2025-02-01 至 2025-03-31", "门店：人民路店"]
    tables = sections_of(book)

    def section(title: str) -> list[tuple]:
        return [tuple(v for v in r if v is not None) for r in tables[title]]

    overall = dict(section("总体情况")[1:])
    assert overall["投诉总数"] == 7 and overall["成立率"] == 0.833  # shown as 83.3%
    assert overall["曾超时上报"] == 4 and overall["渠道：电话"] == 2 and overall["严重程度：严重"] == 2
    by_category = section("按类别×月份")
    assert by_category[0] == ("投诉类别", "2025-02", "2025-03", "合计", "成立", "不成立", "未判定",
                              "已结案", "平均结案用时（小时）")
    assert by_category[1] == ("产品质量", 1, 2, 3, 3, 0, 0, 1, 71)
    assert by_category[-1] == ("合计", 1, 6, 7, 5, 1, 1, 3, 49.5)
    assert section("按类别×责任部门（成立的投诉）")[0] == ("投诉类别", "客服部", "门市部", "摄影部",
                                                "选片设计部", "合计")
    assert section("各步骤用时")[1] == ("登记→判定", 6, 4.1, 10)
    assert section("重复投诉客户")[1][:2] == ("张三", 3)
    assert section("补偿成本")[-1] == ("合计", 3, 1200)
    assert section("处罚记录")[-1] == ("合计", 4, 300)
    assert [r[2] for r in section("改进对策")[1:]] == ["二月：摄影部加强修片质检", "三月：客服话术培训"]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == febmar.studio.supervisor
    assert entry.detail["report"] == "complaint_statistics" and entry.detail["store"] == "人民路店"
    assert entry.detail["rows"] == sum(len(s.rows) for s in statistics_xlsx_sections(stats))


def test_an_empty_xlsx_says_so(store, rf_request):
    stats = complaint_statistics(complaints=Complaint.objects.all(), start=START, end=END, now=NOW,
                                 measures=ImprovementMeasure.objects.all())
    book = workbook_of(statistics_xlsx(request=rf_request, stats=stats, store_name=None,
                                       start=START, end=END))
    assert heading(book["改进对策"])[3] == "门店：全部门店"
    assert ("本期尚未填写改进对策",) in sections_of(book)["改进对策"]


def test_the_page_renders_the_figures_tables_charts_and_measure_form(febmar, rf_request):
    s = febmar.studio
    html = render_to_string("complaints/statistics.html", {
        "stats": stats_of(s.supervisor), "start": START, "end": END,
        "stores": [s.store, febmar.other_store], "store": s.store,
        "query": "start=2025-02-01&end=2025-03-31", "measure_month": date(2025, 3, 1),
        "measure_text": "三月：客服话术培训",
    }, request=rf_request)
    assert "顾客投诉分类统计表" in html and 'value="2025-02-01"' in html
    assert f'<option value="{s.store.pk}" selected>' in html
    assert "?start=2025-02-01&amp;end=2025-03-31&export=xlsx" in html
    assert 'data-testid="complaints-total">7<' in html and "83.3%" in html and "42.9%" in html
    assert "¥1,200.00" in html and "¥300.00" in html
    assert "选片设计部" in html and "登记→结案（全程）" in html and "49.5" in html
    assert reverse("orders:customer", args=[febmar.customers["张三"].pk]) in html
    assert 'id="statistics-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert 'id="chart-categories"' in html and 'id="chart-steps"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'type="month" id="measure-month" name="month" value="2025-03"' in html
    assert ">三月：客服话术培训</textarea>" in html and "保存改进对策" in html
    assert f'name="store" value="{s.store.pk}"' in html


def test_the_page_renders_an_empty_period_for_all_stores(store, rf_request):
    stats = complaint_statistics(complaints=Complaint.objects.all(), start=START, end=END, now=NOW)
    html = render_to_string("complaints/statistics.html", {
        "stats": stats, "start": START, "end": END, "stores": [], "store": None, "query": "",
        "measure_month": date(2025, 3, 1), "measure_text": "",
    }, request=rf_request)
    assert 'name="store"' not in html and 'id="chart-categories"' not in html
    assert "本期没有投诉。" in html and "本期没有成立的投诉。" in html
    assert "?export=xlsx" in html and 'data-testid="measure-form"' not in html


def test_the_export_link_needs_the_statistics_permission(store, specialist):
    request = RequestFactory().get("/complaints/statistics/")
    request.user = specialist
    stats = complaint_statistics(complaints=Complaint.objects.all(), start=START, end=END, now=NOW)
    html = render_to_string("complaints/statistics.html", {
        "stats": stats, "start": START, "end": END, "stores": [], "store": store, "query": "",
        "measure_month": date(2025, 3, 1), "measure_text": "",
    }, request=request)
    assert "export=xlsx" not in html and 'data-testid="measure-form"' not in html
