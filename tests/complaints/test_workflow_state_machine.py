"""Hypothesis state machine: no sequence of complaint calls, allowed or refused, by any role,
reaches an invalid complaint.

Rules: every service of complaints/services.py (register, judge valid or not, investigate,
propose, approve, implement, the escalation sweep), each by a random actor (specialist, another
specialist, supervisor, store manager, front desk, photographer, another store's supervisor)
with random valid or invalid data, reached the way the pages and the API reach them: through
complaints_visible_to (out of scope → 404, the service is never called). Each call's outcome
is predicted from the role table, the scope, the transition map and the data, and compared.

Invariants after every step: the status is one of the map's; the event rows chain from
"register" and each change of status is one allowed move of the map, one event per change;
a refused call changed nothing (rows, events, solutions, penalties, callbacks, customers,
stored files); a closed or rejected complaint takes no further step; the step deadline is the
last move's time plus the store's hours for that status, none once closed; the escalation
level is the number of sweeps since the last move (at most 2), with its time; the fields each
status needs are there; the supervisor's statistics count what a direct count finds.
"""
import os
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from callbacks.models import CallbackPurpose, CallbackTask
from callbacks.services import policy_for
from complaints.models import (
    COMPLAINT_TRANSITIONS,
    OPEN_STATUSES,
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPenalty,
    ComplaintPolicy,
    ComplaintSolution,
    ComplaintStatus,
    SolutionKind,
)
from complaints.selectors import complaints_visible_to
from complaints.services import (
    ESCALATE_TO_MANAGER_AFTER,
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_register,
    complaints_escalate,
)
from complaints.statistics import complaint_statistics
from customers.models import Customer
from orders.services import order_create
from staff.models import Department, DepartmentKind, Role
from studio.errors import DomainError

from ..factories import CustomerFactory
from .conftest import SIGNATURE

pytestmark = pytest.mark.django_db

REFUSALS = (DomainError, PermissionDenied, ValidationError)
S = ComplaintStatus
CLOSED = (S.CLOSED, S.REJECTED)
STEP_OF_MOVE = {  # (before, after) → the event's action
    (S.REGISTERED, S.INVESTIGATING): "judge", (S.REGISTERED, S.REJECTED): "judge",
    (S.INVESTIGATING, S.INVESTIGATED): "investigate", (S.INVESTIGATED, S.PROPOSED): "propose",
    (S.PROPOSED, S.PROPOSED): "propose", (S.PROPOSED, S.APPROVED): "approve",
    (S.APPROVED, S.CLOSED): "implement",
}
# SM_EXAMPLES=300 in the environment for a longer hunt; 25 keeps the file well under a minute.
SETTINGS = settings(max_examples=int(os.environ.get("SM_EXAMPLES", 25)), stateful_step_count=15,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

good_texts = st.sampled_from(["确有划痕", "客户很生气", "  两边说法不一  "])
REGISTRARS = ["specialist", "other_specialist", "supervisor", "manager", "front_desk",
              "other_supervisor"]


def actors(names: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(names)


def mistakes(*kinds: str) -> st.SearchStrategy[str | None]:
    """Right data two times in three; otherwise one of the ways to get it wrong."""
    return st.one_of(st.none(), st.none(), st.sampled_from(kinds))


@dataclass
class World:
    """Two stores, one person per role, customers, departments and designers on each side."""

    store: object
    other_store: object
    actors: dict  # name → User
    customers: dict  # store pk → [Customer]
    departments: dict  # store pk → Department
    designers: dict  # store pk → User
    order: object  # an order of customers[store.pk][0]

    def store_of(self, user) -> int:
        return user.staff_profile.store_id

    def other(self, store_id: int) -> int:
        return self.other_store.pk if store_id == self.store.pk else self.store.pk


def _text_ok(value: str, limit: int = 2000) -> bool:
    return bool((value or "").strip()) and len(value.strip()) <= limit


def _cost_ok(cost) -> bool:
    # Money is exact (studio.money.money_parse): 12.345 is refused, not rounded to the fen.
    try:
        value = Decimal(str(cost or 0))
    except (InvalidOperation, ValueError):
        return False
    return value.is_finite() and value >= 0 and value == value.quantize(Decimal("0.01"))


def _media_files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _snapshot() -> dict:
    """Everything a complaint call may write."""
    return {
        "complaints": {c["id"]: c for c in Complaint.objects.values()},
        "events": list(ComplaintEvent.objects.order_by("pk").values_list()),
        "solutions": list(ComplaintSolution.objects.order_by("pk").values_list()),
        "penalties": list(ComplaintPenalty.objects.order_by("pk").values_list()),
        "callbacks": list(CallbackTask.objects.order_by("pk").values_list()),
        "customers": list(Customer.objects.order_by("pk").values_list("pk", "assigned_to_id")),
        "files": _media_files(),
    }


class ComplaintWorkflow(RuleBasedStateMachine):
    complaints = Bundle("complaints")

    def __init__(self, world: World) -> None:
        super().__init__()
        self.w = world
        # Each example in a savepoint of its own, rolled back at teardown: examples never see
        # each other's complaints, and the fixtures' rows stay.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers ---------------------------------------------------------------------------

    def _may_see(self, user, complaint: Complaint) -> bool:
        profile = user.staff_profile
        if profile.store_id != complaint.store_id:
            return False
        return profile.role != Role.SPECIALIST or complaint.customer.assigned_to_id == user.pk

    def _fetch(self, user, pk: int) -> Complaint | None:
        """As the API does: the complaint through the viewer's scope, or 404."""
        complaint = complaints_visible_to(user).filter(pk=pk).first()
        truth = Complaint.objects.select_related("customer").get(pk=pk)
        assert (complaint is not None) == self._may_see(user, truth), "scope differs from the rule"
        return complaint

    def _attempt(self, call, *, expected: bool, pk: int | None, move: tuple | None = None):
        """Call; a refusal must change nothing, an acceptance exactly one complaint's row with
        one event (moving along the map when `move` is given)."""
        before = _snapshot()
        try:
            result = call()
        except REFUSALS as exc:
            assert not expected, f"refused a call that should pass: {exc!r}"
            assert _snapshot() == before, "a refused call changed something"
            return None
        assert expected, "accepted a call that should be refused"
        after = _snapshot()
        pk = pk if pk is not None else result.pk
        changed = {k for k in after["complaints"] if after["complaints"][k] != before["complaints"].get(k)}
        assert changed <= {pk}, f"a step on {pk} changed other complaints {changed}"
        new_events = ComplaintEvent.objects.filter(complaint_id=pk).count() - sum(
            1 for e in before["events"] if e[1] == pk)
        assert new_events == 1, "every accepted step writes exactly one event"
        if move is not None:
            old = before["complaints"][pk]["status"]
            new = after["complaints"][pk]["status"]
            assert new in COMPLAINT_TRANSITIONS[old] and (old, new) == move
        return result

    def _allowed(self, status: str, target: str) -> bool:
        return target in COMPLAINT_TRANSITIONS[status]

    # -- rules: each call is right, or wrong in one way (`mistake`), by a random actor ---------

    def _register(self, user, mistake: str | None, who: str, channel: str, category: str,
                  content: str, with_order: bool, back_hours: int | None) -> int | None:
        store_id = self.w.store_of(user)
        own = self.w.customers[store_id]
        customer, name, mobile = None, "李四", ""
        if who.startswith("own"):
            customer = own[int(who[-1]) % len(own)]
        elif who == "new":
            mobile = "13912345678"
        else:  # a new complainant whose mobile is already a customer's
            mobile = own[0].mobile
        order = self.w.order if with_order else None
        match mistake:
            case "channel":
                channel = "fax"
            case "category":
                category = "bogus"
            case "content_blank":
                content = "   "
            case "content_long":
                content = "长" * 2001
            case "foreign_customer":
                customer = self.w.customers[self.w.other(store_id)][0]
            case "bad_mobile":
                customer, mobile = None, "12345"
            case "order_of_another":
                customer, order = own[-1] if store_id != self.w.store.pk else own[1], self.w.order
        complainant = customer or Customer.objects.filter(store_id=store_id, mobile=mobile).first()
        expected = (user.has_perm("complaints.add_complaint") and channel != "fax"
                    and category != "bogus" and _text_ok(content) and mistake not in (
                        "foreign_customer", "bad_mobile")
                    and (order is None or (complainant is not None
                                           and order.customer_id == complainant.pk)))
        received_at = timezone.now() - timedelta(hours=back_hours) if back_hours else None
        complaint = self._attempt(partial(
            complaint_register, store=user.staff_profile.store, by=user, channel=channel,
            category=category, content=content, customer=customer, name=name, mobile=mobile,
            order=order, received_at=received_at), expected=expected, pk=None)
        if complaint is None:
            return None
        assert (complaint.status, complaint.store_id) == (S.REGISTERED, store_id)
        if complainant is None and user.staff_profile.role == Role.SPECIALIST:
            assert complaint.customer.assigned_to_id == user.pk, "stays in the specialist's scope"
        return complaint.pk

    @initialize(target=complaints, who=st.sampled_from(["own0", "own1", "new"]),
                back_hours=st.sampled_from([None, 30, 100]))
    def first_complaint(self, who, back_hours):
        return self._register(self.w.actors["specialist"], None, who, "phone", "product_quality",
                              "相册有划痕", who == "own0", back_hours)

    @rule(target=complaints, actor=actors([*REGISTRARS, "photographer"]),
          mistake=mistakes("channel", "category", "content_blank", "content_long",
                           "foreign_customer", "bad_mobile", "order_of_another"),
          who=st.sampled_from(["own0", "own1", "new", "existing_mobile"]),
          channel=st.sampled_from(ComplaintChannel.values),
          category=st.sampled_from(["product_quality", "service_attitude", "price", "other"]),
          content=good_texts, with_order=st.booleans(),
          back_hours=st.sampled_from([None, 1, 30, 100]))
    def register(self, actor, mistake, who, channel, category, content, with_order, back_hours):
        pk = self._register(self.w.actors[actor], mistake, who, channel, category, content,
                            with_order and who == "own0", back_hours)
        return multiple() if pk is None else pk

    @rule(pk=complaints, actor=actors(["specialist", "supervisor", "manager", "other_specialist",
                                       "front_desk", "other_supervisor"]),
          valid=st.booleans(), reason=good_texts, explanation=good_texts,
          mistake=mistakes("reason", "explanation", "department_other", "department_none",
                           "promised_none", "promised_past"))
    def judge(self, pk, actor, valid, reason, explanation, mistake):
        user = self.w.actors[actor]
        complaint = self._fetch(user, pk)
        if complaint is None:
            return
        dept = self.w.departments[complaint.store_id]
        promised_at = timezone.now() + timedelta(days=2)
        match mistake:
            case "reason":
                reason = " "
            case "explanation":
                explanation = ""
            case "department_other":
                dept = self.w.departments[self.w.other(complaint.store_id)]
            case "department_none":
                dept = None
            case "promised_none":
                promised_at = None
            case "promised_past":
                promised_at = timezone.now() - timedelta(hours=1)
        target = S.INVESTIGATING if valid else S.REJECTED
        data_ok = _text_ok(reason) and (
            (dept is not None and dept.store_id == complaint.store_id
             and promised_at is not None and promised_at > timezone.now())
            if valid else _text_ok(explanation))
        expected = (user.has_perm("complaints.judge_complaint")
                    and self._allowed(complaint.status, target) and data_ok)
        self._attempt(partial(complaint_judge, complaint=complaint, by=user, valid=valid,
                              reason=reason, explanation=explanation, department=dept,
                              promised_at=promised_at),
                      expected=expected, pk=pk, move=(complaint.status, target))

    @rule(pk=complaints, actor=actors(["specialist", "supervisor", "manager", "front_desk",
                                       "other_supervisor"]),
          cause=good_texts, with_staff=st.booleans(),
          handler=st.sampled_from([None, "supervisor", "specialist"]),
          mistake=mistakes("cause", "staff_of_other_store", "handler_of_other_store"))
    def investigate(self, pk, actor, cause, with_staff, handler, mistake):
        user = self.w.actors[actor]
        complaint = self._fetch(user, pk)
        if complaint is None:
            return
        store_id = complaint.store_id
        staff = self.w.designers[store_id] if with_staff else None
        handled_by = self.w.actors[handler] if handler and store_id == self.w.store.pk else None
        match mistake:
            case "cause":
                cause = "长" * 2001
            case "staff_of_other_store":
                staff = self.w.designers[self.w.other(store_id)]
            case "handler_of_other_store":
                handled_by = self.w.designers[self.w.other(store_id)]
        people_ok = all(p is None or self.w.store_of(p) == store_id for p in (staff, handled_by))
        expected = (user.has_perm("complaints.investigate_complaint") and people_ok
                    and self._allowed(complaint.status, S.INVESTIGATED) and _text_ok(cause))
        self._attempt(partial(complaint_investigate, complaint=complaint, by=user, cause=cause,
                              responsible_staff=staff, handled_by=handled_by),
                      expected=expected, pk=pk, move=(complaint.status, S.INVESTIGATED))

    @rule(pk=complaints, actor=actors(["specialist", "supervisor", "manager", "front_desk",
                                       "photographer", "other_supervisor"]),
          kind=st.sampled_from(SolutionKind.values), description=good_texts,
          cost=st.sampled_from([0, "300", "12.345", "0.00", Decimal("99999999.99")]),
          mistake=mistakes("kind", "description", "negative", "-0.01", "abc", "NaN", "Infinity"))
    def propose(self, pk, actor, kind, description, cost, mistake):
        user = self.w.actors[actor]
        complaint = self._fetch(user, pk)
        if complaint is None:
            return
        match mistake:
            case "kind":
                kind = "cash"
            case "description":
                description = ""
            case "negative":
                cost = -1
            case None:
                pass
            case _:
                cost = mistake
        # Not from approved: approved → proposed is the customer refusing the approved
        # solution (complaint_refuse); a new solution beside it would leave two approved.
        expected = (user.has_perm("complaints.propose_solution")
                    and complaint.status in (S.INVESTIGATED, S.PROPOSED) and kind != "cash"
                    and _text_ok(description) and _cost_ok(cost))
        self._attempt(partial(complaint_propose, complaint=complaint, by=user, kind=kind,
                              description=description, cost=cost),
                      expected=expected, pk=pk, move=(complaint.status, S.PROPOSED))

    @rule(pk=complaints, actor=actors(["supervisor", "supervisor", "specialist", "manager",
                                       "other_supervisor"]),
          which=st.integers(0, 5), comment=good_texts,
          mistake=mistakes("foreign_solution", "comment"))
    def approve(self, pk, actor, which, comment, mistake):
        user = self.w.actors[actor]
        complaint = self._fetch(user, pk)
        if complaint is None:
            return
        foreign = mistake == "foreign_solution"
        pool = (ComplaintSolution.objects.exclude(complaint_id=pk) if foreign
                else ComplaintSolution.objects.filter(complaint_id=pk))
        solutions = list(pool.order_by("pk"))
        if not solutions:
            return
        solution = solutions[which % len(solutions)]
        if mistake == "comment":
            comment = "  "
        expected = (user.has_perm("complaints.approve_solution") and not foreign
                    and self._allowed(complaint.status, S.APPROVED) and _text_ok(comment))
        done = self._attempt(partial(complaint_approve, complaint=complaint, by=user,
                                     solution=solution, comment=comment),
                             expected=expected, pk=pk, move=(complaint.status, S.APPROVED))
        if done is not None:
            assert user.staff_profile.role == Role.SUPERVISOR, "only the supervisor approves"

    @rule(pk=complaints, actor=actors(["supervisor", "manager", "specialist", "other_supervisor"]),
          penalised=st.booleans(), feedback=st.sampled_from(["", "满意"]),
          mistake=mistakes("not_accepted", "no_signature", "not_base64", "jpeg", "not_png",
                           "penalty_other_store", "penalty_negative", "penalty_no_text",
                           "second_penalty_other_store", "feedback_long"))
    def implement(self, pk, actor, penalised, feedback, mistake):
        user = self.w.actors[actor]
        complaint = self._fetch(user, pk)
        if complaint is None:
            return
        own = self.w.designers[complaint.store_id]
        other = self.w.designers[self.w.other(complaint.store_id)]
        item = {"staff": own, "amount": Decimal("100"), "description": "扣款"}
        accepted, signature, items = True, SIGNATURE, [item] if penalised else []
        match mistake:
            case "not_accepted":
                accepted = False
            case "no_signature":
                signature = ""
            case "not_base64":
                signature = "data:image/png;base64,!!!"
            case "jpeg":
                signature = "data:image/jpeg;base64,iVBORw0KGgo="
            case "not_png":
                signature = "data:image/png;base64,aGVsbG8="
            case "penalty_other_store":
                items = [{**item, "staff": other}]
            case "penalty_negative":
                items = [{**item, "amount": Decimal("-5")}]
            case "penalty_no_text":
                items = [{**item, "description": " "}]
            case "second_penalty_other_store":
                items = [item, {**item, "staff": other}]
            case "feedback_long":
                feedback = "长" * 2001
        expected = (user.has_perm("complaints.implement_complaint") and mistake is None
                    and self._allowed(complaint.status, S.CLOSED))
        self._attempt(partial(complaint_implement, complaint=complaint, by=user, accepted=accepted,
                              signature_data_url=signature, feedback=feedback, penalties=items),
                      expected=expected, pk=pk, move=(complaint.status, S.CLOSED))

    @rule(pk=complaints, valid=st.sampled_from([True, True, True, False]), steps=st.integers(1, 5))
    def advance(self, pk, valid, steps):
        """The next steps done right by the store's supervisor, so that deep states are reached
        within a few rules; on a closed complaint, the right data still moves nothing."""
        for _ in range(steps):
            complaint = Complaint.objects.get(pk=pk)
            user = (self.w.actors["supervisor"] if complaint.store_id == self.w.store.pk
                    else self.w.actors["other_supervisor"])
            status, store_id = complaint.status, complaint.store_id
            if status == S.REGISTERED:
                target = S.INVESTIGATING if valid else S.REJECTED
                call = partial(complaint_judge, complaint=complaint, by=user, valid=valid,
                               reason="判定", explanation="解释清楚了",
                               department=self.w.departments[store_id],
                               promised_at=timezone.now() + timedelta(days=2))
            elif status == S.INVESTIGATING:
                target = S.INVESTIGATED
                call = partial(complaint_investigate, complaint=complaint, by=user,
                               cause="装裱时划伤", responsible_staff=self.w.designers[store_id])
            elif status == S.INVESTIGATED or (status == S.PROPOSED and not valid):
                target = S.PROPOSED
                call = partial(complaint_propose, complaint=complaint, by=user, kind="remake",
                               description="免费重做相册", cost="300")
            elif status == S.PROPOSED:
                target = S.APPROVED
                call = partial(complaint_approve, complaint=complaint, by=user,
                               solution=complaint.solutions.first(), comment="同意")
            elif status == S.APPROVED:
                target = S.CLOSED
                call = partial(complaint_implement, complaint=complaint, by=user, accepted=True,
                               signature_data_url=SIGNATURE, feedback="满意")
            else:
                target = S.PROPOSED
                call = partial(complaint_propose, complaint=complaint, by=user, kind="gift",
                               description="礼品", cost=0)
            self._attempt(call, expected=status not in CLOSED, pk=pk, move=(status, target))
            if status in CLOSED:
                return

    @rule(hours=st.sampled_from([0, 1, 3, 6, 30, 60, 200]))
    def escalate(self, hours):
        """The sweep raises exactly the late steps, one level (two, a day late) per step."""
        now = timezone.now() + timedelta(hours=hours)
        expected = {}
        for c in Complaint.objects.filter(status__in=OPEN_STATUSES, step_due_at__isnull=False):
            level = c.escalation_level
            if level == 0 and c.step_due_at < now:
                level = 1
            if level == 1 and c.step_due_at < now - ESCALATE_TO_MANAGER_AFTER:
                level = 2
            if level != c.escalation_level:
                expected[c.pk] = (c.escalation_level, level)
        raised = sum(new - old for old, new in expected.values())
        events_before = ComplaintEvent.objects.count()
        assert complaints_escalate(now=now) == raised
        for pk, (_old, new) in expected.items():
            c = Complaint.objects.get(pk=pk)
            assert (c.escalation_level, c.escalated_at) == (new, now)
        assert ComplaintEvent.objects.count() - events_before == raised
        again = _snapshot()
        assert complaints_escalate(now=now) == 0, "the sweep run twice raises nothing more"
        assert _snapshot() == again

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def every_complaint_is_consistent(self):
        for c in Complaint.objects.select_related("customer").prefetch_related("solutions"):
            self._check_history(c)
            self._check_deadline(c)
            self._check_fields(c)

    def _check_history(self, c: Complaint) -> None:
        assert c.status in COMPLAINT_TRANSITIONS
        events = list(ComplaintEvent.objects.filter(complaint=c).order_by("pk"))
        assert events and (events[0].action, events[0].before, events[0].after) == (
            "register", "", S.REGISTERED)
        for previous, event in pairwise(events):
            assert event.before == previous.after, "the history chains"
            if event.action == "escalate":
                assert event.before == event.after
            else:
                assert event.after in COMPLAINT_TRANSITIONS[event.before], "a move off the map"
                assert STEP_OF_MOVE[(event.before, event.after)] == event.action
        assert events[-1].after == c.status

    def _check_deadline(self, c: Complaint) -> None:
        events = list(ComplaintEvent.objects.filter(complaint=c).order_by("pk"))
        moves = [e for e in events if e.action not in ("escalate",) and (
            e.before != e.after or e.action == "register")]
        last_move = moves[-1]
        since = [e for e in events if e.pk > last_move.pk and e.action == "escalate"]
        if c.status in CLOSED:
            assert c.step_due_at is None, "a closed complaint has no deadline"
            assert (c.escalation_level, c.escalated_at) == (0, None), \
                "a closed complaint is not escalated any more"
            return
        policy = ComplaintPolicy.objects.filter(store_id=c.store_id).first() or ComplaintPolicy()
        assert c.step_due_at == last_move.at + timedelta(hours=policy.hours_for(c.status))
        assert c.escalation_level == len(since) <= 2
        if c.escalation_level:
            assert c.escalated_at == since[-1].at and c.step_due_at < c.escalated_at
            if c.escalation_level == 2:
                assert c.step_due_at < c.escalated_at - ESCALATE_TO_MANAGER_AFTER
        else:
            assert c.escalated_at is None

    def _check_fields(self, c: Complaint) -> None:
        order = [S.REGISTERED, S.INVESTIGATING, S.INVESTIGATED, S.PROPOSED, S.APPROVED, S.CLOSED]
        reached = order.index(c.status) if c.status in order else -1
        solutions = list(c.solutions.all())
        approved = [s for s in solutions if s.is_approved]
        if c.status == S.REGISTERED:
            assert c.is_valid is None and c.judged_at is None
        if c.status == S.REJECTED:
            assert c.is_valid is False and c.closed_at and c.explanation and not solutions
        if reached >= 1:
            assert c.is_valid and c.responsible_department.store_id == c.store_id
            assert c.investigation_promised_at > c.judged_at
        if reached >= 2:
            assert c.investigated_at and c.cause and c.handled_by_id
        if reached >= 3:
            assert solutions and c.proposed_at
        assert len(approved) == (1 if reached >= 4 else 0), "one approved solution once approved"
        if reached >= 4:
            assert c.approved_by.staff_profile.role == Role.SUPERVISOR and c.approved_at
        if c.status == S.CLOSED:
            assert c.customer_accepted and c.signature and c.closed_at and c.signed_at
            task = c.followup_task
            assert (task.purpose, task.customer_id, task.store_id) == (
                CallbackPurpose.COMPLAINT, c.customer_id, c.store_id)
            quiet = policy_for(c.store_id).quiet_periods
            local = timezone.localtime(task.due_at).time()
            assert not any(p.contains(local) for p in quiet), "a follow-up call in quiet hours"
        else:
            assert c.followup_task_id is None and not c.penalties.exists()
            assert c.closed_at is None or c.status == S.REJECTED

    @invariant()
    def the_statistics_count_what_is_there(self):
        now = timezone.now()
        today = timezone.localdate()
        for name in ("supervisor", "other_supervisor"):
            user = self.w.actors[name]
            store_id = self.w.store_of(user)
            stats = complaint_statistics(complaints=complaints_visible_to(user),
                                         start=today - timedelta(days=30), end=today, now=now)
            mine = list(Complaint.objects.filter(store_id=store_id))
            is_open = [c for c in mine if c.status in OPEN_STATUSES]
            direct = {
                "total": len(mine),
                "valid": sum(c.is_valid is True for c in mine),
                "invalid": sum(c.is_valid is False for c in mine),
                "unjudged": sum(c.is_valid is None for c in mine),
                "open": len(is_open),
                "closed": sum(c.status in CLOSED for c in mine),
                "overdue": sum(c.step_due_at is not None and c.step_due_at < now for c in is_open),
                # "now escalated to the supervisor / the manager": a step still open and late
                "escalated": sum(c.escalation_level >= 1 for c in is_open),
                "escalated_to_manager": sum(c.escalation_level >= 2 for c in is_open),
                "escalated_ever": len({e for e in ComplaintEvent.objects.filter(
                    complaint__store_id=store_id, action="escalate").values_list("complaint_id",
                                                                                flat=True)}),
            }
            assert {k: stats["overall"][k] for k in direct} == direct
            by_status = {s: sum(c.status == s for c in mine) for s in S.values}
            assert sum(by_status[s] for s in OPEN_STATUSES) == stats["by_category"]["total"]["open"]
            assert sum(by_status[s] for s in CLOSED) == stats["by_category"]["total"]["closed"]
            for row in stats["by_category"]["rows"]:
                assert row["total"] == sum(c.category == row["category"] for c in mine)


def _world(store, other_store, staff_of, package) -> World:
    actors = {
        "specialist": staff_of(Role.SPECIALIST, user__username="sm_specialist").user,
        "other_specialist": staff_of(Role.SPECIALIST, user__username="sm_specialist2").user,
        "supervisor": staff_of(Role.SUPERVISOR, user__username="sm_supervisor").user,
        "manager": staff_of(Role.STORE_MANAGER, user__username="sm_manager").user,
        "front_desk": staff_of(Role.FRONT_DESK, user__username="sm_desk").user,
        "photographer": staff_of(Role.PHOTOGRAPHER, user__username="sm_photo").user,
        "other_supervisor": staff_of(Role.SUPERVISOR, other_store,
                                     user__username="sm_supervisor_b").user,
    }
    customers = {
        store.pk: [CustomerFactory(store=store, assigned_to=actors["specialist"]),
                   CustomerFactory(store=store, assigned_to=actors["other_specialist"])],
        other_store.pk: [CustomerFactory(store=other_store)],
    }
    departments = {s.pk: Department.objects.get_or_create(
        store=s, kind=DepartmentKind.CUSTOMER_SERVICE, defaults={"name": "客服部"})[0]
        for s in (store, other_store)}
    designers = {s.pk: staff_of(Role.DESIGNER, s, user__username=f"sm_designer_{s.code}").user
                 for s in (store, other_store)}
    # One store with its own (short) deadlines, the other on the defaults.
    ComplaintPolicy.objects.create(store=store, judge_hours=2, investigate_hours=5,
                                   propose_hours=1, approve_hours=30, implement_hours=3)
    order = order_create(customer=customers[store.pk][0], package=package, by=actors["front_desk"])
    return World(store=store, other_store=other_store, actors=actors, customers=customers,
                 departments=departments, designers=designers, order=order)


def test_no_sequence_of_calls_breaks_a_complaint(store, other_store, staff_of, package):
    world = _world(store, other_store, staff_of, package)
    run_state_machine_as_test(partial(ComplaintWorkflow, world), settings=SETTINGS)


# Regressions the machine found.

@pytest.mark.clock
def test_closing_a_late_complaint_ends_its_escalation(approved, supervisor, store):
    """Closing kept the last step's escalation level: the statistics counted a closed complaint
    as "now escalated to the supervisor / the manager"."""
    complaints_escalate(now=approved.step_due_at + timedelta(hours=25))
    approved.refresh_from_db()
    assert approved.escalation_level == 2
    closed = complaint_implement(complaint=approved, by=supervisor, accepted=True,
                                 signature_data_url=SIGNATURE)
    closed.refresh_from_db()
    assert (closed.step_due_at, closed.escalation_level, closed.escalated_at) == (None, 0, None)
    today = timezone.localdate()
    overall = complaint_statistics(complaints=Complaint.objects.filter(store=store), start=today,
                                   end=today, now=timezone.now())["overall"]
    assert (overall["escalated"], overall["escalated_to_manager"], overall["escalated_ever"]) == (
        0, 0, 1)


@pytest.mark.clock
def test_a_refused_implementation_leaves_no_signature_file(approved, supervisor, other_store,
                                                           staff_of):
    """The signature image was stored before the penalties were checked: a refused call left
    the customer's signature on disk with no complaint pointing at it."""
    stranger = staff_of(Role.DESIGNER, other_store).user
    with pytest.raises(ValidationError):
        complaint_implement(complaint=approved, by=supervisor, accepted=True,
                            signature_data_url=SIGNATURE,
                            penalties=[{"staff": stranger, "amount": 100, "description": "扣款"}])
    assert _media_files() == set()
    approved.refresh_from_db()
    assert approved.status == S.APPROVED and not approved.signature
