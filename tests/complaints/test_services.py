"""The complaint loop: every step allowed and refused, its event, deadlines and escalation."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from callbacks.models import CallbackTask
from complaints.models import (
    COMPLAINT_TRANSITIONS,
    Complaint,
    ComplaintEvent,
    ComplaintPolicy,
    ComplaintStatus,
)
from complaints.services import (
    complaint_approve,
    complaint_implement,
    complaint_judge,
    complaint_propose,
    complaint_refuse,
    complaint_register,
    complaints_escalate,
)
from customers.models import Customer
from studio.errors import TransitionNotAllowed

from .conftest import SIGNATURE

pytestmark = pytest.mark.django_db


def test_every_status_has_a_row_in_the_transition_map():
    assert set(COMPLAINT_TRANSITIONS) == set(ComplaintStatus.values)


@pytest.mark.clock
def test_a_closed_complaint_cannot_be_judged_again():
    complaint = Complaint(status=ComplaintStatus.CLOSED)
    with pytest.raises(TransitionNotAllowed):
        complaint.judge(valid=True, at=timezone.now())


def test_registering_gives_a_reference_an_event_and_a_judgement_deadline(registered, specialist):
    assert registered.reference.startswith("TS") and registered.status == "registered"
    assert registered.step_due_at == registered.received_at + timedelta(hours=24)
    event = ComplaintEvent.objects.get(complaint=registered)
    assert (event.action, event.after, event.by) == ("register", "registered", specialist)


def test_a_new_complainant_becomes_a_customer_of_the_store(store, specialist):
    complaint = complaint_register(store=store, by=specialist, name="新客户", mobile="13700000001",
                                   channel="phone", category="price", content="收费不透明")
    assert complaint.customer.mobile == "13700000001"
    assert Customer.objects.filter(store=store, mobile="13700000001").count() == 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"mobile": "1370000000"}, "mobile"),
    ({"content": "  "}, "content"),
    ({"content": "长" * 2001}, "content"),
    ({"category": "weather"}, "category"),
])
def test_bad_registrations_are_refused_and_nothing_is_saved(store, specialist, kwargs, field):
    data = {"name": "王", "mobile": "13700000001", "channel": "phone", "category": "price",
            "content": "内容", **kwargs}
    with pytest.raises(ValidationError) as err:
        complaint_register(store=store, by=specialist, **data)
    assert field in err.value.message_dict
    assert not Complaint.objects.exists()


def test_a_photographer_may_not_register(store, customer, staff_of):
    with pytest.raises(PermissionDenied):
        complaint_register(store=store, by=staff_of("photographer").user, customer=customer,
                           channel="phone", category="price", content="x")


def test_an_invalid_complaint_is_explained_and_closed(registered, specialist):
    complaint = complaint_judge(complaint=registered, by=specialist, valid=False,
                                reason="套系说明中已写明", explanation="已向客户说明套系内容",
                                customer_understood=True)
    assert (complaint.status, complaint.is_valid, complaint.customer_understood) == (
        "rejected", False, True)
    assert complaint.closed_at and complaint.step_due_at is None


def test_an_invalid_judgement_needs_the_explanation(registered, specialist):
    with pytest.raises(ValidationError) as err:
        complaint_judge(complaint=registered, by=specialist, valid=False, reason="不成立")
    assert "explanation" in err.value.message_dict
    registered.refresh_from_db()
    assert registered.status == "registered"


def test_a_valid_judgement_needs_a_department_and_a_promised_time(registered, specialist):
    with pytest.raises(ValidationError) as err:
        complaint_judge(complaint=registered, by=specialist, valid=True, reason="成立")
    assert "department" in err.value.message_dict


@pytest.mark.clock
def test_a_valid_complaint_goes_to_investigation(judged, cs_department):
    assert (judged.status, judged.responsible_department) == ("investigating", cs_department)
    assert judged.step_due_at == judged.judged_at + timedelta(hours=48)


@pytest.mark.clock
def test_judging_twice_is_refused(judged, specialist, cs_department):
    with pytest.raises(TransitionNotAllowed):
        complaint_judge(complaint=judged, by=specialist, valid=True, reason="again",
                        department=cs_department, promised_at=timezone.now() + timedelta(days=1))


@pytest.mark.clock
def test_investigation_records_cause_and_responsible_person(investigated, specialist):
    assert (investigated.status, investigated.cause, investigated.handled_by) == (
        "investigated", "装裱时划伤", specialist)


@pytest.mark.clock
def test_skipping_the_investigation_is_refused(judged, specialist):
    with pytest.raises(TransitionNotAllowed):
        complaint_propose(complaint=judged, by=specialist, kind="gift", description="礼品")


@pytest.mark.clock
def test_several_solutions_can_be_proposed(proposed):
    assert proposed.status == "proposed"
    assert proposed.solutions.count() == 2


@pytest.mark.clock
def test_a_negative_cost_is_refused(investigated, specialist):
    with pytest.raises(ValidationError):
        complaint_propose(complaint=investigated, by=specialist, kind="refund",
                          description="退款", cost=-1)


@pytest.mark.clock
def test_only_the_supervisor_approves(proposed, specialist, manager):
    solution = proposed.solutions.first()
    for person in (specialist, manager):
        with pytest.raises(PermissionDenied):
            complaint_approve(complaint=proposed, by=person, solution=solution, comment="好")
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


@pytest.mark.clock
def test_approval_marks_one_solution_with_a_comment(approved, supervisor):
    assert (approved.status, approved.approved_by, approved.approval_comment) == (
        "approved", supervisor, "重做最能挽回客户")
    assert [s.kind for s in approved.solutions.filter(is_approved=True)] == ["remake"]


@pytest.mark.clock
def test_a_solution_of_another_complaint_cannot_be_approved(proposed, supervisor, customer,
                                                            store, specialist):
    other = complaint_register(store=store, by=specialist, customer=customer, channel="phone",
                               category="other", content="另一件事")
    with pytest.raises(ValidationError):
        complaint_approve(complaint=other, by=supervisor, solution=proposed.solutions.first(),
                          comment="x")


@pytest.mark.clock
def test_implementation_records_penalties_signature_and_a_follow_up_callback(
        approved, supervisor, staff_of, specialist):
    designer = approved.responsible_staff
    head = staff_of("supervisor").user
    complaint = complaint_implement(
        complaint=approved, by=supervisor, accepted=True, signature_data_url=SIGNATURE,
        feedback="满意", penalties=[
            {"staff": designer, "amount": 200, "description": "装裱失误"},
            {"staff": head, "amount": 50, "description": "连带", "is_department_head": True}])
    assert complaint.status == "closed" and complaint.closed_at and complaint.signed_at
    assert complaint.signature.read().startswith(b"\x89PNG")
    assert sum(p.amount for p in complaint.penalties.all()) == Decimal("250.00")
    task = CallbackTask.objects.get(pk=complaint.followup_task_id)
    assert (task.purpose, task.customer, task.assigned_to) == ("complaint", approved.customer,
                                                               specialist)
    assert list(complaint.events.values_list("action", flat=True)) == [
        "register", "judge", "investigate", "propose", "propose", "approve", "implement"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"accepted": False, "signature_data_url": SIGNATURE}, "accepted"),
    ({"accepted": True, "signature_data_url": ""}, "signature"),
    ({"accepted": True, "signature_data_url": "data:image/png;base64,PHNjcmlwdD4="}, "signature"),
    ({"accepted": True, "signature_data_url": "data:text/html;base64,PHNjcmlwdD4="}, "signature"),
])
@pytest.mark.clock
def test_closing_needs_acceptance_and_a_real_signature(approved, supervisor, kwargs, field):
    with pytest.raises(ValidationError) as err:
        complaint_implement(complaint=approved, by=supervisor, **kwargs)
    assert field in err.value.message_dict
    approved.refresh_from_db()
    assert approved.status == "approved" and not CallbackTask.objects.filter(
        purpose="complaint").exists()


@pytest.mark.clock
def test_a_refused_solution_goes_back_to_the_supervisor_who_approves_another(approved, supervisor):
    refused = approved.solutions.get(is_approved=True)
    complaint = complaint_refuse(complaint=approved, by=supervisor, feedback="客户想要退款")

    assert complaint.status == "proposed" and complaint.customer_feedback == "客户想要退款"
    assert not complaint.solutions.filter(is_approved=True).exists()
    assert complaint.step_due_at is not None and complaint.escalation_level == 0
    event = complaint.events.last()
    assert (event.action, event.before, event.after) == ("refuse", "approved", "proposed")
    assert refused.get_kind_display() in event.note and "客户想要退款" in event.note
    other = complaint.solutions.exclude(pk=refused.pk).get()
    complaint = complaint_approve(complaint=complaint, by=supervisor, solution=other,
                                  comment="改为赠送积分")
    assert complaint.status == "approved" and complaint.approved_solution == other
    complaint = complaint_implement(complaint=complaint, by=supervisor, accepted=True,
                                    signature_data_url=SIGNATURE, feedback="接受")
    assert complaint.status == "closed"


@pytest.mark.clock
def test_a_refusal_needs_the_customers_words_and_an_approved_solution(approved, supervisor,
                                                                      specialist):
    with pytest.raises(ValidationError):
        complaint_refuse(complaint=approved, by=supervisor, feedback="  ")
    with pytest.raises(PermissionDenied):
        complaint_refuse(complaint=approved, by=specialist, feedback="不要")
    approved.refresh_from_db()
    assert approved.status == "approved" and approved.solutions.filter(is_approved=True).exists()
    closed = complaint_implement(complaint=approved, by=supervisor, accepted=True,
                                 signature_data_url=SIGNATURE)
    with pytest.raises(TransitionNotAllowed):
        complaint_refuse(complaint=closed, by=supervisor, feedback="不要")
    assert closed.events.filter(action="refuse").count() == 0


@pytest.mark.clock
def test_a_specialist_may_not_implement(approved, specialist):
    with pytest.raises(PermissionDenied):
        complaint_implement(complaint=approved, by=specialist, accepted=True,
                            signature_data_url=SIGNATURE)


def test_a_late_step_escalates_to_the_supervisor_then_the_manager(registered):
    due = registered.step_due_at
    assert complaints_escalate(now=due - timedelta(minutes=1)) == 0
    assert complaints_escalate(now=due + timedelta(minutes=1)) == 1
    assert complaints_escalate(now=due + timedelta(minutes=2)) == 0  # idempotent
    registered.refresh_from_db()
    assert registered.escalation_level == 1
    assert complaints_escalate(now=due + timedelta(hours=25)) == 1
    registered.refresh_from_db()
    assert registered.escalation_level == 2
    assert ComplaintEvent.objects.filter(complaint=registered, action="escalate").count() == 2


@pytest.mark.clock
def test_the_next_step_resets_the_escalation(registered, specialist, cs_department):
    complaints_escalate(now=registered.step_due_at + timedelta(minutes=1))
    complaint = complaint_judge(complaint=registered, by=specialist, valid=True, reason="成立",
                                department=cs_department,
                                promised_at=timezone.now() + timedelta(days=1))
    assert complaint.escalation_level == 0


@pytest.mark.clock
def test_the_escalation_is_set_based(store, customer, specialist, django_assert_num_queries):
    for _ in range(5):
        complaint_register(store=store, by=specialist, customer=customer, channel="phone",
                           category="other", content="x")
    later = timezone.now() + timedelta(hours=25)  # an hour past the 24 h judgement deadline
    with django_assert_num_queries(6):  # a savepoint; level 1: select, update, insert; level 2: select
        assert complaints_escalate(now=later) == 5


def test_step_deadlines_follow_the_store_policy(store, customer, specialist):
    ComplaintPolicy.objects.create(store=store, judge_hours=4)
    complaint = complaint_register(store=store, by=specialist, customer=customer, channel="phone",
                                   category="other", content="x")
    assert complaint.step_due_at == complaint.received_at + timedelta(hours=4)


def test_a_new_complainant_registered_by_a_specialist_stays_in_their_scope(store, specialist):
    from complaints.selectors import complaints_visible_to

    complaint = complaint_register(store=store, by=specialist, name="新客户", mobile="13700000009",
                                   channel="phone", category="other", content="x")
    assert complaint.customer.assigned_to == specialist
    assert complaints_visible_to(specialist).filter(pk=complaint.pk).exists()


def test_a_step_in_the_wrong_state_is_refused_before_its_data_is_checked(registered, supervisor):
    with pytest.raises(TransitionNotAllowed):
        complaint_implement(complaint=registered, by=supervisor, accepted=False,
                            signature_data_url="")


def test_a_complaint_registered_without_a_severity_is_ordinary(store, specialist, customer):
    """Issue 17 item 14: 一般 unless chosen (it defaulted to 较重)."""
    from complaints.models import Severity
    from complaints.services import complaint_register

    complaint = complaint_register(store=store, by=specialist, customer=customer,
                                   channel="phone", category="price", content="价格太贵")
    assert complaint.severity == Severity.LOW
