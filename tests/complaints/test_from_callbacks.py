"""Dissatisfied calls reach the supervisor (issue 17 item 6): a 不满意 (or a ticked 一般) call is
marked 转投诉, saving it opens the complaint form filled in from the call (customer, order,
service, what the customer said), and until its complaint is registered it stays on the
待转投诉 list that the supervisor dashboard counts."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from callbacks.models import CallbackPurpose, CallbackRecord
from callbacks.services import callback_record
from complaints.models import Complaint, ComplaintChannel
from complaints.services import complaint_register
from orders.services import stage_complete
from studio.errors import DomainError
from tests.callbacks.factories import CallbackTaskFactory
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
LIST = reverse("complaints:from_callbacks")


@pytest.fixture(autouse=True)
def _ten_o_clock(time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def task(order, front_desk, specialist):
    """张三's callback after her gown selection (order from tests/conftest.py)."""
    stage = stage_complete(order=order, kind="gown", by=front_desk)
    return CallbackTaskFactory(customer=order.customer, purpose=CallbackPurpose.POST_SERVICE,
                               stage=stage, assigned_to=specialist)


def _call(task, by, satisfaction, **kwargs) -> CallbackRecord:
    return callback_record(task=task, by=by, reached=True, satisfaction=satisfaction,
                           comments=kwargs.pop("comments", "礼服不合身"), **kwargs)


@pytest.mark.parametrize(("satisfaction", "ticked", "marked"), [
    ("dissatisfied", False, True), ("average", True, True), ("average", False, False),
    ("satisfied", True, False),
])
def test_which_calls_are_marked_to_become_complaints(task, specialist, satisfaction, ticked,
                                                     marked):
    record = _call(task, specialist, satisfaction, wants_complaint=ticked)
    assert record.wants_complaint is marked


def test_saving_a_dissatisfied_call_opens_the_complaint_form_filled_in(client, task, specialist,
                                                                      order):
    client.force_login(specialist)
    response = client.post(reverse("callbacks:call", args=[task.pk]), {
        "channel": "phone", "reached": "yes", "satisfaction": "dissatisfied", "score": "2",
        "comments": "礼服不合身", "suggestions": "希望多几套尺码"})
    record = CallbackRecord.objects.get()
    assert response.status_code == 302
    assert response.url == f"{reverse('complaints:new')}?record={record.pk}"
    form = client.get(response.url)
    assert form.status_code == 200
    assert form.context["customer"] == order.customer
    assert form.context["order_id"] == order.pk
    initial = form.context["form"].initial
    assert initial["channel"] == ComplaintChannel.CALLBACK
    assert "礼服挑选" in initial["content"] and "礼服不合身" in initial["content"]
    assert "希望多几套尺码" in initial["content"]
    response = client.post(f"{reverse('complaints:new')}?record={record.pk}", {
        "customer": order.customer.pk, "record": record.pk, "order": order.pk,
        "channel": "callback", "category": "service_attitude", "severity": "low",
        "content": initial["content"]})
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.callback_record, complaint.order, complaint.customer) == (
        record, order, order.customer)
    # Registered once: the call is no longer offered.
    assert client.get(f"{reverse('complaints:new')}?record={record.pk}").status_code == 404


def test_during_the_call_the_form_is_filled_in_from_the_callback(client, task, specialist, order):
    client.force_login(specialist)
    form = client.get(reverse("complaints:new"), {"task": task.pk})
    assert form.context["customer"] == order.customer and form.context["order_id"] == order.pk
    assert "礼服挑选" in form.context["form"].initial["content"]


def test_the_list_holds_the_calls_not_registered_yet_and_the_dashboard_counts_them(
        client, task, specialist, supervisor, store):
    waiting = _call(task, specialist, "dissatisfied")
    second = CallbackTaskFactory(customer=task.customer, purpose=CallbackPurpose.POST_SERVICE,
                                 stage=task.stage.order.stages.get(kind="order"),
                                 assigned_to=specialist)
    done = _call(second, specialist, "average", wants_complaint=True)
    complaint_register(store=store, by=specialist, customer=task.customer, channel="callback",
                       category="price", content="价格", callback_record=done)
    client.force_login(supervisor)
    listed = client.get(LIST)
    assert [r.pk for r in listed.context["page"].object_list] == [waiting.pk]
    dashboard = client.get(reverse("dashboards:supervisor")).content.decode()
    assert (f'href="{LIST}?' in dashboard and 'data-figure="calls-to-register"' in dashboard
            and 'data-value="1"' in dashboard)


def test_a_call_becomes_one_complaint_of_its_own_customer(task, specialist, store):
    record = _call(task, specialist, "dissatisfied")
    someone_else = CustomerFactory(store=store)
    with pytest.raises(ValidationError) as refused:
        complaint_register(store=store, by=specialist, customer=someone_else,
                           channel="callback", category="price", content="x",
                           callback_record=record)
    assert "callback_record" in refused.value.message_dict
    complaint_register(store=store, by=specialist, customer=task.customer, channel="callback",
                       category="price", content="x", callback_record=record)
    with pytest.raises(DomainError):
        complaint_register(store=store, by=specialist, customer=task.customer,
                           channel="callback", category="price", content="x",
                           callback_record=record)


def test_another_specialist_cannot_register_from_a_call_they_do_not_see(
        client, task, specialist, other_specialist):
    record = _call(task, specialist, "dissatisfied")
    client.force_login(other_specialist)
    assert client.get(reverse("complaints:new"), {"record": record.pk}).status_code == 404
    assert client.get(reverse("complaints:new"), {"task": task.pk}).status_code == 404
    assert client.get(LIST).context["page"].paginator.count == 0


@pytest.mark.parametrize("role", ["cashier", "photographer"])
def test_roles_that_do_not_register_complaints_are_refused_the_list(client, staff_of, role):
    client.force_login(staff_of(role).user)
    assert client.get(LIST).status_code == 403
