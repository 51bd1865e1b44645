"""Complaint pages: archive scoping, the step forms, the public page and its abuse limits."""
import pytest
from django.urls import reverse

from complaints.models import Complaint, ComplaintStatus
from tests.factories import CustomerFactory

from .conftest import SIGNATURE

pytestmark = pytest.mark.django_db


def test_a_specialist_sees_complaints_of_their_customers_only(client, specialist, registered,
                                                              store, other_specialist):
    from complaints.services import complaint_register

    theirs = CustomerFactory(store=store, assigned_to=other_specialist)
    complaint_register(store=store, by=other_specialist, customer=theirs, channel="phone",
                       category="other", content="别人的投诉")
    client.force_login(specialist)
    response = client.get(reverse("complaints:archive"))
    assert [c.pk for c in response.context["page"].object_list] == [registered.pk]


def test_another_store_cannot_open_the_complaint(client, other_manager, registered):
    client.force_login(other_manager)
    assert client.get(reverse("complaints:detail", args=[registered.pk])).status_code == 404
    assert client.post(reverse("complaints:step", args=[registered.pk, "judge"]),
                       {"valid": "no", "reason": "x", "explanation": "y"}).status_code == 404


@pytest.mark.clock
def test_the_archive_filters_by_category_and_status(client, supervisor, registered, judged):
    client.force_login(supervisor)
    url = reverse("complaints:archive")
    assert len(client.get(url, {"category": "price"}).context["page"].object_list) == 0
    assert len(client.get(url, {"status": "investigating"}).context["page"].object_list) == 1
    assert len(client.get(url, {"status": "open", "start": "昨天"}).context["page"]
               .object_list) == 1


def test_the_archive_exports_for_the_supervisor_only(client, supervisor, specialist, registered):
    client.force_login(specialist)
    assert client.get(reverse("complaints:archive"), {"export": "xlsx"}).status_code == 403
    client.force_login(supervisor)
    response = client.get(reverse("complaints:archive"), {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_registering_from_the_page_for_a_customer_in_scope(client, specialist, customer):
    client.force_login(specialist)
    response = client.post(reverse("complaints:new") + f"?customer={customer.pk}", {
        "customer": customer.pk, "channel": "callback", "category": "service_attitude",
        "severity": "normal", "content": "回访时客户反映前台态度不好"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.customer == customer


def test_the_register_form_keeps_the_chosen_order_when_it_comes_back_with_errors(
        client, specialist, customer, order):
    client.force_login(specialist)
    response = client.post(reverse("complaints:new") + f"?customer={customer.pk}", {
        "customer": customer.pk, "order": order.pk, "channel": "in_store",
        "category": "service_attitude", "severity": "high", "content": ""})
    assert response.status_code == 400 and not Complaint.objects.exists()
    html = response.content.decode()
    assert f'<option value="{order.pk}" selected>' in html


def test_registering_for_a_customer_out_of_scope_is_404(client, other_specialist, customer):
    client.force_login(other_specialist)
    assert client.get(reverse("complaints:new"), {"customer": customer.pk}).status_code == 404


def test_the_judge_form_moves_the_complaint(client, specialist, registered, cs_department):
    client.force_login(specialist)
    response = client.post(reverse("complaints:step", args=[registered.pk, "judge"]), {
        "valid": "yes", "reason": "确有其事", "department": cs_department.pk,
        "promised_at": "2099-01-01T10:00"})
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.status == ComplaintStatus.INVESTIGATING


def test_a_step_out_of_order_answers_409_with_a_message(client, specialist, registered):
    client.force_login(specialist)
    response = client.post(reverse("complaints:step", args=[registered.pk, "investigate"]),
                           {"cause": "x"})
    assert response.status_code == 409
    assert "不能进行这一步" in response.content.decode()


def test_missing_data_answers_400_with_the_field_error(client, specialist, registered):
    client.force_login(specialist)
    response = client.post(reverse("complaints:step", args=[registered.pk, "judge"]),
                           {"valid": "no", "reason": "不成立"})
    assert response.status_code == 400
    registered.refresh_from_db()
    assert registered.status == ComplaintStatus.REGISTERED


@pytest.mark.clock
def test_a_step_refused_shows_its_own_errors_only_not_on_the_forms_beside_it(client, supervisor,
                                                                             proposed):
    client.force_login(supervisor)  # approve and propose are both offered while proposed
    response = client.post(reverse("complaints:step", args=[proposed.pk, "approve"]),
                           {"comment": "同意，尽快办理"})
    assert response.status_code == 400
    forms = response.context
    assert forms["approve_form"].errors and "solution" in forms["approve_form"].errors
    assert not forms["propose_form"].is_bound and not forms["propose_form"].errors
    assert "同意，尽快办理" in response.content.decode()


@pytest.mark.clock
def test_a_specialist_may_not_approve(client, specialist, proposed):
    client.force_login(specialist)
    solution = proposed.solutions.first()
    response = client.post(reverse("complaints:step", args=[proposed.pk, "approve"]),
                           {"solution": solution.pk, "comment": "好"})
    assert response.status_code == 403


@pytest.mark.clock
def test_the_supervisor_implements_with_a_signature_and_the_page_shows_it(client, supervisor,
                                                                         approved):
    client.force_login(supervisor)
    response = client.post(reverse("complaints:step", args=[approved.pk, "implement"]), {
        "accepted": "on", "signature": SIGNATURE, "feedback": "满意"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == ComplaintStatus.CLOSED
    image = client.get(reverse("complaints:signature", args=[approved.pk]))
    assert image["Content-Type"] == "image/png"


@pytest.mark.clock
def test_the_page_records_a_refused_solution_and_shows_the_supervisors_step_again(client,
                                                                                supervisor,
                                                                                approved):
    client.force_login(supervisor)
    page = client.get(reverse("complaints:detail", args=[approved.pk])).content.decode()
    assert 'data-testid="refuse-form"' in page
    response = client.post(reverse("complaints:step", args=[approved.pk, "refuse"]),
                           {"feedback": "客户想要退款"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == ComplaintStatus.PROPOSED
    page = client.get(reverse("complaints:detail", args=[approved.pk])).content.decode()
    assert "客户想要退款" in page and 'data-testid="refuse-form"' not in page
    empty = client.post(reverse("complaints:step", args=[approved.pk, "refuse"]), {"feedback": ""})
    assert empty.status_code == 409  # no longer awaiting implementation


def test_the_public_page_registers_a_complaint_and_gives_a_reference(client, store):
    response = client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "李女士", "mobile": "13600000001", "category": "schedule",
        "content": "预约的拍摄时间被改了两次"})
    complaint = Complaint.objects.get()
    assert complaint.reference in response.content.decode()
    assert (complaint.channel, complaint.status, complaint.source_ip) == (
        "public_form", "registered", "127.0.0.1")


def test_script_tags_are_stored_and_shown_as_text(client, store, supervisor):
    client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "<b>王</b>", "mobile": "13600000002", "category": "other",
        "content": "<script>alert('x')</script>"})
    complaint = Complaint.objects.get()
    assert complaint.content == "<script>alert('x')</script>"
    client.force_login(supervisor)
    html = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_oversized_input_is_refused(client, store):
    response = client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "王", "mobile": "13600000003", "category": "other",
        "content": "长" * 1001})
    assert response.status_code == 400 and not Complaint.objects.exists()


def test_the_public_page_is_rate_limited_per_address(client, store):
    for i in range(5):
        client.post(reverse("public_complaint"), {
            "store": store.pk, "name": "王", "mobile": f"1360000010{i}", "category": "other",
            "content": f"第 {i} 次"})
    response = client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "王", "mobile": "13600000199", "category": "other",
        "content": "第 6 次"})
    assert response.status_code == 429 and Complaint.objects.count() == 5


def test_the_public_page_is_rate_limited_per_mobile(client, store):
    for i in range(4):
        client.post(reverse("public_complaint"), {
            "store": store.pk, "name": "王", "mobile": "13600000200", "category": "other",
            "content": f"第 {i} 次"}, REMOTE_ADDR=f"10.0.0.{i}")
    assert Complaint.objects.count() == 3


def test_a_bot_filling_the_honeypot_stores_nothing(client, store):
    client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "bot", "mobile": "13600000300", "category": "other",
        "content": "spam", "website": "http://spam"})
    assert not Complaint.objects.exists()


def test_the_guidance_is_shown_beside_the_forms(client, specialist, registered):
    client.force_login(specialist)
    html = client.get(reverse("complaints:detail", args=[registered.pk])).content.decode()
    assert "客怨处理准则" in html and "不推卸责任" in html


@pytest.mark.clock
def test_the_statistics_page_counts_and_saves_the_improvement_measures(client, supervisor,
                                                                       registered, store):
    from django.utils import timezone

    from complaints.models import ImprovementMeasure

    client.force_login(supervisor)
    today = timezone.localdate()
    url = reverse("complaints:statistics") + f"?start={today:%Y-%m-01}&end={today}"
    response = client.get(url)
    assert response.status_code == 200 and response.context["stats"]["overall"]["total"] == 1
    client.post(url, {"month": f"{today:%Y-%m}", "text": "每周抽检相册装裱质量"})
    assert ImprovementMeasure.objects.get(store=store).text == "每周抽检相册装裱质量"
    assert "每周抽检相册装裱质量" in client.get(url).content.decode()
    export = client.get(url + "&export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_specialist_has_no_statistics(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("complaints:statistics")).status_code == 403
