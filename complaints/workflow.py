"""The complaint workflow's step map (studio.workflow): each user action, the states it leaves,
the state it reaches, the permission it needs and its form and serializer.

It narrows COMPLAINT_TRANSITIONS (models.py) to actions: proposing leaves "investigated" or
"proposed" (another solution), never "approved" — approved → proposed is the customer refusing
the approved solution, and only that. Escalation is a sweep (complaints_escalate), not a step.
Only the supervisor approves (L64); the store manager and GM hold every permission here too.
"""
from django.utils.translation import gettext_lazy as _

from studio.workflow import CREATE, Step, StepMap

from .models import COMPLAINT_TRANSITIONS, ComplaintAction, ComplaintStatus

A, S = ComplaintAction, ComplaintStatus
_FORMS, _SERIALIZERS = "complaints.forms.", "complaints.serializers.Complaint"

COMPLAINT_STEPS = StepMap(
    transitions=COMPLAINT_TRANSITIONS, labels=dict(ComplaintStatus.choices),
    refusal=_("投诉已是「%(status)s」，不能进行这一步。"),
    steps=[
        Step(A.REGISTER, {CREATE}, S.REGISTERED, "complaints.add_complaint", A.REGISTER.label,
             form=_FORMS + "RegisterForm", serializer=_SERIALIZERS + "RegisterInputSerializer"),
        # Valid → investigating, not valid → rejected (closed with an explanation).
        Step(A.JUDGE, {S.REGISTERED}, None, "complaints.judge_complaint", A.JUDGE.label,
             form=_FORMS + "JudgeForm", serializer=_SERIALIZERS + "JudgeInputSerializer"),
        Step(A.INVESTIGATE, {S.INVESTIGATING}, S.INVESTIGATED, "complaints.investigate_complaint",
             A.INVESTIGATE.label, form=_FORMS + "InvestigateForm",
             serializer=_SERIALIZERS + "InvestigateInputSerializer"),
        Step(A.PROPOSE, {S.INVESTIGATED, S.PROPOSED}, S.PROPOSED, "complaints.propose_solution",
             A.PROPOSE.label, form=_FORMS + "ProposeForm",
             serializer=_SERIALIZERS + "ProposeInputSerializer"),
        Step(A.APPROVE, {S.PROPOSED}, S.APPROVED, "complaints.approve_solution", A.APPROVE.label,
             form=_FORMS + "ApproveForm", serializer=_SERIALIZERS + "ApproveInputSerializer"),
        Step(A.IMPLEMENT, {S.APPROVED}, S.CLOSED, "complaints.implement_complaint",
             A.IMPLEMENT.label, form=_FORMS + "ImplementForm",
             serializer=_SERIALIZERS + "ImplementInputSerializer"),
        Step(A.REFUSE, {S.APPROVED}, S.PROPOSED, "complaints.implement_complaint", A.REFUSE.label,
             form=_FORMS + "RefuseForm", serializer=_SERIALIZERS + "RefuseInputSerializer"),
    ])
