"""The complaint step map (complaints.workflow): who may take each step, from which states, and
the services refusing the wrong role on their own — called directly, no view, no client."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from complaints.models import COMPLAINT_TRANSITIONS, Complaint, ComplaintEvent
from complaints.models import ComplaintStatus as S
from complaints.services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_refuse,
    complaint_register,
)
from complaints.workflow import COMPLAINT_STEPS
from staff.models import Role
from studio.errors import TransitionNotAllowed
from studio.workflow import CREATE

from .conftest import SIGNATURE

pytestmark = pytest.mark.django_db

R = Role
COMPLAINT_DESK = {R.SPECIALIST, R.SUPERVISOR, R.STORE_MANAGER, R.GENERAL_MANAGER}
# Written out, not read from the map: the test fails when the map (or a role's group) is wrong.
ALLOWED_ROLES = {
    "register": COMPLAINT_DESK | {R.FRONT_DESK},
    "judge": COMPLAINT_DESK,
    "investigate": COMPLAINT_DESK,
    "propose": COMPLAINT_DESK,
    "approve": {R.SUPERVISOR},  # the supervisor only (L64)
    "implement": {R.SUPERVISOR, R.STORE_MANAGER, R.GENERAL_MANAGER},
    "refuse": {R.SUPERVISOR, R.STORE_MANAGER, R.GENERAL_MANAGER},
}
SOURCES = {
    "register": {CREATE},
    "judge": {S.REGISTERED},
    "investigate": {S.INVESTIGATING},
    "propose": {S.INVESTIGATED, S.PROPOSED},
    "approve": {S.PROPOSED},
    "implement": {S.APPROVED},
    "refuse": {S.APPROVED},
}
# Every move of the transition map, and the step that makes it.
MOVES = {
    (S.REGISTERED, S.INVESTIGATING): "judge", (S.REGISTERED, S.REJECTED): "judge",
    (S.INVESTIGATING, S.INVESTIGATED): "investigate",
    (S.INVESTIGATED, S.PROPOSED): "propose", (S.PROPOSED, S.PROPOSED): "propose",
    (S.PROPOSED, S.APPROVED): "approve", (S.APPROVED, S.CLOSED): "implement",
    (S.APPROVED, S.PROPOSED): "refuse",
}
# The complaint fixture (tests/complaints/conftest.py) standing in each step's first source.
FIXTURE_FOR = {"judge": "registered", "investigate": "judged", "propose": "investigated",
               "approve": "proposed", "implement": "approved", "refuse": "approved"}


def _call(action: str, complaint: Complaint | None, user, request):
    """The step's service, with input that passes for an allowed role."""
    if action == "register":
        return complaint_register(store=request.getfixturevalue("store"), by=user,
                                  customer=request.getfixturevalue("customer"), channel="phone",
                                  category="other", content="等待太久")
    calls = {
        "judge": lambda: complaint_judge(
            complaint=complaint, by=user, valid=True, reason="属实",
            department=request.getfixturevalue("cs_department"),
            promised_at=timezone.now() + timedelta(days=2)),
        "investigate": lambda: complaint_investigate(complaint=complaint, by=user, cause="漏检"),
        "propose": lambda: complaint_propose(complaint=complaint, by=user, kind="apology",
                                             description="当面道歉"),
        "approve": lambda: complaint_approve(complaint=complaint, by=user,
                                             solution=complaint.solutions.first(), comment="同意"),
        "implement": lambda: complaint_implement(complaint=complaint, by=user, accepted=True,
                                                 signature_data_url=SIGNATURE),
        "refuse": lambda: complaint_refuse(complaint=complaint, by=user, feedback="想要退款"),
    }
    return calls[action]()


def test_the_map_has_the_expected_steps_and_sources():
    assert {step.action: step.sources for step in COMPLAINT_STEPS} == SOURCES


def test_every_move_of_the_transition_map_is_one_steps_and_no_step_invents_one():
    edges = {(s, t) for s, targets in COMPLAINT_TRANSITIONS.items() for t in targets}
    assert set(MOVES) == edges
    for (source, target), action in MOVES.items():
        step = COMPLAINT_STEPS[action]
        assert source in step.sources and step.target in (None, target)
    for step in COMPLAINT_STEPS:
        for source in step.sources - {CREATE}:
            assert COMPLAINT_TRANSITIONS[source], f"{step.action} leaves final {source}"
            if step.target is not None:
                assert step.target in COMPLAINT_TRANSITIONS[source]


@pytest.mark.parametrize("role", Role.values)
def test_each_roles_group_allows_exactly_the_expected_steps(staff_of, role):
    user = staff_of(role).user
    allowed = {step.action for step in COMPLAINT_STEPS if step.permits(user)}
    assert allowed == {action for action, roles in ALLOWED_ROLES.items() if role in roles}


@pytest.mark.parametrize("action", list(ALLOWED_ROLES))
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.clock
def test_the_service_alone_refuses_the_wrong_role(request, staff_of, action, role):
    complaint = (None if action == "register"
                 else request.getfixturevalue(FIXTURE_FOR[action]))
    user = staff_of(role).user
    events = ComplaintEvent.objects.count()
    if role in ALLOWED_ROLES[action]:
        assert _call(action, complaint, user, request) is not None
        assert ComplaintEvent.objects.count() == events + 1
    else:
        with pytest.raises(PermissionDenied):
            _call(action, complaint, user, request)
        assert ComplaintEvent.objects.count() == events
        if complaint is not None:
            assert Complaint.objects.get(pk=complaint.pk).status == complaint.status


def test_the_wrong_role_hears_403_before_the_wrong_state(specialist, registered):
    with pytest.raises(PermissionDenied):  # not "already registered": the role comes first
        complaint_approve(complaint=registered, by=specialist, solution=None, comment="x")


@pytest.mark.clock
def test_a_solution_is_not_added_beside_an_approved_one(approved, specialist):
    """approved → proposed is the customer refusing; a new solution would leave the approved
    one standing, and approving the new one would break "one approved solution"."""
    with pytest.raises(TransitionNotAllowed):
        complaint_propose(complaint=approved, by=specialist, kind="gift", description="礼品")
    approved.refresh_from_db()
    assert approved.status == S.APPROVED and approved.solutions.count() == 2


def test_the_public_form_registers_as_the_system(store):
    complaint = complaint_register(store=store, by=None, name="王五", mobile="13700000009",
                                   channel="public_form", category="other", content="网上投诉")
    assert complaint.status == S.REGISTERED


@pytest.mark.parametrize(("status", "user_fixture", "offered"), [
    (S.REGISTERED, "specialist", ["judge"]),
    (S.PROPOSED, "specialist", ["propose"]),
    (S.PROPOSED, "supervisor", ["propose", "approve"]),
    (S.PROPOSED, "manager", ["propose"]),
    (S.APPROVED, "specialist", []),
    (S.APPROVED, "supervisor", ["implement", "refuse"]),
    (S.CLOSED, "supervisor", []),
    (S.REJECTED, "general_manager", []),
])
def test_available_offers_what_the_state_and_the_role_allow(request, status, user_fixture,
                                                            offered):
    user = request.getfixturevalue(user_fixture)
    assert [s.action for s in COMPLAINT_STEPS.available(state=status, user=user)] == offered


@pytest.mark.clock
def test_the_page_offers_the_available_steps_and_says_whose_turn_it_is(client, specialist,
                                                                       supervisor, proposed):
    url = reverse("complaints:detail", args=[proposed.pk])
    client.force_login(specialist)
    page = client.get(url).content.decode()
    assert 'data-testid="propose-form"' in page and 'data-testid="approve-form"' not in page
    assert "方案待客服主管审批" in page
    client.force_login(supervisor)
    page = client.get(url).content.decode()
    assert 'data-testid="approve-form"' in page and "方案待客服主管审批" not in page


def test_an_unknown_or_creating_step_in_the_url_is_404(client, supervisor, registered):
    client.force_login(supervisor)
    for name in ("close", "register"):
        url = reverse("complaints:step", args=[registered.pk, name])
        assert client.post(url).status_code == 404
