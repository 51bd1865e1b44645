"""Complaints (投诉与客怨处理) seen through a browser: the whole loop from the specialist's
《顾客投诉登记表》 through judgement, investigation and two proposed solutions to the supervisor's
approval, the customer's signature on the screen, the follow-up callback and the statistics; the
approval kept from the specialist; the public complaint page, whose text stays text."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from callbacks.models import CallbackPurpose, CallbackTask
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintStatus,
    SolutionKind,
)
from complaints.services import (
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_register,
)
from customers.models import Customer
from staff.models import Department, DepartmentKind, Store, User

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"  # the flash messages
CONTENT = "相册里有三张照片颜色发灰，和选片时看到的不一样，希望重新制作。"
PROMISED = "2099-01-01T10:00"
SCRIPT = "<script>alert(1)</script>"


# --- state -------------------------------------------------------------------------------------

def _customer_of_specialist1() -> Customer:
    return (Customer.objects.filter(assigned_to__username="specialist1", store__code="S01")
            .order_by("pk").first())


def _proposed_complaint(customer: Customer) -> Complaint:
    """A complaint of `customer` waiting for the supervisor, made through the services."""
    specialist = User.objects.get(username="specialist1")
    complaint = complaint_register(store=customer.store, by=specialist, customer=customer,
                                   channel=ComplaintChannel.PHONE,
                                   category=ComplaintCategory.SERVICE_ATTITUDE,
                                   content="门市接待态度冷淡")
    department = Department.objects.get(store=customer.store,
                                        kind=DepartmentKind.CUSTOMER_SERVICE)
    complaint_judge(complaint=complaint, by=specialist, valid=True, reason="确有其事",
                    department=department,
                    promised_at=timezone.now() + timedelta(days=1))
    complaint_investigate(complaint=complaint, by=specialist, cause="接待人员未及时回应")
    complaint_propose(complaint=complaint, by=specialist, kind=SolutionKind.APOLOGY,
                      description="当面道歉", cost=0)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.PROPOSED
    return complaint


def _status(page) -> str:
    return page.get_by_test_id("complaint-status").inner_text().strip()


def _submit(page, form, button: str) -> None:
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()


def _sign(page) -> None:
    """A scribble on the signature pad with the mouse (pointer events, as a finger or pen)."""
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + w * (0.1 + 0.06 * i), y + h * (0.3 if i % 2 else 0.7), steps=3)
    page.mouse.up()


def _fail_on_dialog(page) -> list[str]:
    dialogs: list[str] = []

    def seen(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return dialogs


# --- journeys ----------------------------------------------------------------------------------

@pytest.mark.clock
def test_complaint_goes_round_the_whole_loop_and_into_the_statistics(login, live_server,
                                                                     screenshot):
    customer = _customer_of_specialist1()
    specialist = User.objects.get(username="specialist1")
    supervisor = User.objects.get(username="supervisor")
    designer = User.objects.get(username="s1_design1")
    department = Department.objects.get(store=customer.store, kind=DepartmentKind.SELECTION_DESIGN)
    page = login("specialist1")

    # 1. Register: from the navbar to the archive and its 登记投诉 button, then for the customer.
    with page.expect_navigation():
        page.get_by_role("link", name="投诉处理").click()
    assert page.url == f"{live_server.url}/complaints/"
    with page.expect_navigation():
        page.get_by_role("link", name="登记投诉").click()
    assert page.url == f"{live_server.url}/complaints/new/"
    page.goto(f"{live_server.url}/complaints/new/?customer={customer.pk}")
    form = page.get_by_test_id("register-form")
    assert customer.name in form.inner_text()
    form.get_by_label("投诉渠道").select_option(label="到店")
    form.get_by_label("投诉类别").select_option(label="产品质量")
    form.get_by_label("投诉内容").fill(CONTENT)
    screenshot("complaints-register")
    _submit(page, form, "登记")

    complaint = Complaint.objects.get(customer=customer)
    assert page.url == f"{live_server.url}/complaints/{complaint.pk}/"
    assert f"投诉已登记，编号 {complaint.reference}。" in page.locator(MESSAGES).inner_text()
    assert _status(page) == "已登记"
    assert page.get_by_test_id("complaint-content").inner_text() == CONTENT

    # 2. Judge: valid, the department (proposed from the category) and the promised time.
    form = page.get_by_test_id("judge-form")
    assert form.get_by_label("责任部门").input_value() == str(department.pk)
    form.get_by_label("成立", exact=True).check()
    form.get_by_label("判定理由").fill("照片色彩与样片不符，属实。")
    form.get_by_label("责任部门").select_option(value=str(department.pk))  # options: "门店 · 部门"
    form.get_by_label("告诉客户的调查完成时间").fill(PROMISED)
    screenshot("complaints-judge")
    _submit(page, form, "保存判定")
    assert "已保存。" in page.locator(MESSAGES).inner_text()
    assert _status(page) == "调查中"

    # 3. Investigate: the cause and the person responsible.
    form = page.get_by_test_id("investigate-form")
    form.get_by_label("投诉原因").fill("输出前未做色彩校准。")
    form.get_by_label("责任人").select_option(label=designer.display_name)
    _submit(page, form, "保存调查结果")
    assert _status(page) == "待提方案"

    # 4a. Two solutions; the form stays after the first.
    for kind, description, cost in (("重做相册/产品", "重做相册", "300"),
                                     ("赠送积分", "赠送积分 500 分", "50")):
        form = page.get_by_test_id("propose-form")
        form.get_by_label("方案类型").select_option(label=kind)
        form.get_by_label("方案内容").fill(description)
        form.get_by_label("成本（元）").fill(cost)
        _submit(page, form, "添加方案")
        assert _status(page) == "待主管审批"
    solutions = page.get_by_test_id("solutions").locator("li")
    assert solutions.count() == 2
    assert "重做相册" in solutions.nth(0).inner_text() and "¥300.00" in solutions.nth(0).inner_text()
    assert "赠送积分" in solutions.nth(1).inner_text() and "¥50.00" in solutions.nth(1).inner_text()
    assert page.get_by_test_id("approve-form").count() == 0  # the specialist does not approve
    assert "方案待客服主管审批。" in page.inner_text("main")

    # 4b. The supervisor approves the remake.
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()
    page = login("supervisor")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert _status(page) == "待主管审批"
    form = page.get_by_test_id("approve-form")
    form.get_by_label("重做相册/产品 ¥300.00").check()
    form.get_by_label("审批意见").fill("同意重做，三天内交付。")
    screenshot("complaints-approve")
    _submit(page, form, "批准")
    assert _status(page) == "待实施"
    assert page.get_by_test_id("approve-form").count() == 0

    # 5. Implement: a penalty, the customer signs on the screen and accepts.
    form = page.get_by_test_id("implement-form")
    form.get_by_label("受罚人").select_option(label=designer.display_name)
    form.get_by_label("罚款（元）", exact=True).fill("100")
    form.get_by_label("客户反馈").fill("满意")
    _sign(page)
    form.get_by_label("客户已接受处理方案").check()
    screenshot("complaints-implement")
    _submit(page, form, "实施并结案")

    assert _status(page) == "已结案"
    signature = page.get_by_test_id("signature")
    assert signature.is_visible()
    assert page.evaluate("img => img.naturalWidth", signature.element_handle()) > 0
    screenshot("complaints-closed")

    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert (complaint.is_valid, complaint.responsible_department) == (True, department)
    assert timezone.localtime(complaint.investigation_promised_at).strftime(
        "%Y-%m-%dT%H:%M") == PROMISED
    assert (complaint.responsible_staff, complaint.approved_by) == (designer, supervisor)
    assert complaint.customer_accepted is True and complaint.signature
    approved = complaint.solutions.get(is_approved=True)
    assert (approved.kind, approved.cost) == (SolutionKind.REMAKE, Decimal("300.00"))
    assert complaint.solutions.count() == 2
    assert [(p.staff, p.amount) for p in complaint.penalties.all()] == [(designer, Decimal("100"))]
    task = complaint.followup_task
    assert isinstance(task, CallbackTask)
    assert (task.customer, task.purpose) == (customer, CallbackPurpose.COMPLAINT)
    events = list(ComplaintEvent.objects.filter(complaint=complaint)
                  .values_list("action", "by__username"))
    assert events == [("register", specialist.username), ("judge", specialist.username),
                      ("investigate", specialist.username), ("propose", specialist.username),
                      ("propose", specialist.username), ("approve", supervisor.username),
                      ("implement", supervisor.username)]

    # 6. The statistics of the period count it.
    today = timezone.localdate()
    expected = Complaint.objects.filter(store__code="S01",
                                        received_at__date=today).count()
    page.goto(f"{live_server.url}/complaints/statistics/?start={today}&end={today}")
    assert f"{today:%Y-%m-%d} 至 {today:%Y-%m-%d}" in page.get_by_test_id(
        "statistics-period").inner_text()
    assert int(page.get_by_test_id("complaints-total").inner_text()) == expected >= 1
    assert int(page.get_by_test_id("complaints-closed").inner_text().split("/")[0]) >= 1
    quality = page.locator("[data-testid=by-category] tbody tr", has_text="产品质量")
    assert int(quality.locator("td").nth(-6).inner_text()) >= 1  # 合计 of the category
    assert "¥300" in page.get_by_test_id("compensation-cost").inner_text().replace(",", "")
    screenshot("complaints-statistics")


@pytest.mark.clock
def test_specialist_sees_no_approve_form_and_may_not_post_one(login, live_server):
    complaint = _proposed_complaint(_customer_of_specialist1())
    solution = complaint.solutions.get()
    page = login("specialist1")

    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")

    assert _status(page) == "待主管审批"
    assert page.get_by_test_id("propose-form").count() == 1
    assert page.get_by_test_id("approve-form").count() == 0
    assert "方案待客服主管审批。" in page.inner_text("main")
    token = page.get_by_test_id("propose-form").locator(
        "input[name=csrfmiddlewaretoken]").input_value()
    response = page.request.post(
        f"{live_server.url}/complaints/{complaint.pk}/approve/",
        form={"csrfmiddlewaretoken": token, "solution": str(solution.pk), "comment": "自己批准"},
        max_redirects=0)
    assert response.status == 403
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.PROPOSED and complaint.approved_by is None
    assert not complaint.solutions.filter(is_approved=True).exists()


def test_public_complaint_is_received_and_shown_to_the_supervisor_as_text(
        page, login, live_server, screenshot):
    dialogs = _fail_on_dialog(page)
    store = Store.objects.get(code="S01")
    content = f"门口停车位太少 {SCRIPT}"

    page.goto(f"{live_server.url}/complain/")
    form = page.get_by_test_id("public-form")
    form.get_by_label("门店").select_option(label=store.name)
    form.get_by_label("您的姓名").fill("顾小姐")
    form.get_by_label("手机号").fill("16698765432")
    form.get_by_label("投诉类别").select_option(label="服务态度")
    form.get_by_label("投诉内容").fill(content)
    screenshot("complaints-public-form")
    _submit(page, form, "提交")

    reference = page.get_by_test_id("reference").inner_text().strip()
    complaint = Complaint.objects.get(reference=reference)
    assert (complaint.store, complaint.channel, complaint.content) == (
        store, ComplaintChannel.PUBLIC_FORM, content)
    assert complaint.customer.mobile == "16698765432" and complaint.registered_by is None
    screenshot("complaints-public-done")

    page = login("supervisor")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert page.get_by_test_id("complaint-content").inner_text() == content
    assert page.get_by_test_id("complaint-content").locator("script").count() == 0
    assert _status(page) == "已登记"
    page.wait_for_timeout(300)  # time for a script that should not run
    screenshot("complaints-public-detail")
    assert dialogs == []
