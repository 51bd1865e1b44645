"""Hypothesis state machine: no sequence of callback calls, allowed or refused, reaches an
invalid callback task.

A store's policy is drawn per example (deadline days, quiet hours, attempts, retry interval) and
time is a clock the machine moves (every service here takes `now`; stages are completed `at`
it). Rules: services completed (the signal's callbacks_create_for_stage, or the beat sweep
callbacks_sweep_completed_stages to catch up), orders cancelled, calls recorded — satisfied,
average, dissatisfied, a later time booked, not reached — right or wrong in one way, the overdue
sweep, campaigns (including one for a store without specialists, which is refused). Each
outcome is predicted and compared.

Invariants after every step: every status is one of the map's; one post-service task per stage
(at most one open), one per customer per campaign, and a campaign's count is its tasks; no open
task is due in quiet hours (store's local time), and each due time is what its last event sets
(the deadline or a booked time; an unanswered call sets only the retry time, after the interval,
in the customer's window); the records are what the status
implies — done: the last call reached with an answer, the only one; unreachable: the last call
unanswered once the dials reach the policy's attempts; open: no answer yet; attempts count the
calls; an overdue task was marked after its due time. The overdue sweep marks exactly the
pending tasks past due and a second run changes nothing; a refused call changes nothing.
"""
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from callbacks.models import (
    CALLBACK_TRANSITIONS,
    OPEN_STATUSES,
    CallbackCampaign,
    CallbackPolicy,
    CallbackPurpose,
    CallbackRecord,
    CallbackStatus,
    CallbackTask,
    Satisfaction,
)
from callbacks.services import (
    SERVICE_STAGES,
    SWEEP_LOOKBACK,
    callback_due_at,
    callback_record,
    callbacks_create_for_stage,
    callbacks_mark_overdue,
    callbacks_sweep_completed_stages,
    campaign_create,
)
from customers.models import ContactTime, Customer
from orders.models import OrderStage, OrderStatus, StageStatus
from orders.services import order_cancel, order_create, stage_complete
from staff.models import Role
from studio.errors import DomainError

from ..factories import CustomerFactory

pytestmark = pytest.mark.django_db

REFUSALS = (DomainError, PermissionDenied, ValidationError)
LOCAL = ZoneInfo(django_settings.TIME_ZONE)  # the stores' local time
C = CallbackStatus
# SM_EXAMPLES=300 in the environment for a longer hunt; 25 keeps the file well under a minute.
SETTINGS = settings(max_examples=int(os.environ.get("SM_EXAMPLES", 25)), stateful_step_count=15,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
QUIET_HOURS = ["12:00-14:00,21:00-09:00", "22:00-08:00", "11:30-13:30,20:00-09:30",
               "23:00-07:00"]
START = datetime(2026, 11, 16, 0, 0, tzinfo=LOCAL)


def mistakes(*kinds: str) -> st.SearchStrategy[str | None]:
    """Right data two times in three; otherwise one of the ways to get it wrong."""
    return st.one_of(st.none(), st.none(), st.sampled_from(kinds))


@dataclass
class World:
    store: object
    other_store: object  # no specialists: a campaign there cannot be spread
    callers: dict  # name → User
    customers: list  # of both stores
    orders: list


def _quiet(moment: datetime, policy: CallbackPolicy) -> bool:
    local = moment.astimezone(LOCAL).time()
    return any(p.contains(local) for p in policy.quiet_periods)


# The customers' preferred contact windows (customers.models.ContactTime), as hours.
WINDOWS = {ContactTime.MORNING: (9, 12), ContactTime.AFTERNOON: (14, 18),
           ContactTime.EVENING: (18, 21)}


def _earliest_allowed(start: datetime, policy: CallbackPolicy,
                      contact: str = ContactTime.ANY) -> datetime:
    """Independently: the first whole minute at or after `start` outside quiet hours, inside
    the customer's preferred window when one comes within two days."""
    first = start.replace(second=0, microsecond=0)
    if first < start:
        first += timedelta(minutes=1)
    window = WINDOWS.get(contact)
    if window is not None:
        for minutes in range(2 * 24 * 60):
            moment = first + timedelta(minutes=minutes)
            if not _quiet(moment, policy) and window[0] <= moment.astimezone(LOCAL).hour < window[1]:
                return moment
    moment = first
    while _quiet(moment, policy):
        moment += timedelta(minutes=1)
    return moment


def _snapshot() -> dict:
    return {
        "tasks": list(CallbackTask.objects.order_by("pk").values_list()),
        "records": list(CallbackRecord.objects.order_by("pk").values_list()),
        "campaigns": list(CallbackCampaign.objects.order_by("pk").values_list()),
    }


class CallbackWorkflow(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.w = world
        self._atomic = transaction.atomic()  # each example rolled back: fixtures' rows stay
        self._atomic.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize(due_days=st.sampled_from([1, 3, 7]), quiet=st.sampled_from(QUIET_HOURS),
                max_attempts=st.integers(1, 4), retry_hours=st.sampled_from([1, 4, 20]),
                start_minutes=st.integers(0, 7 * 24 * 60 - 1))
    def policy_and_clock(self, due_days, quiet, max_attempts, retry_hours, start_minutes):
        self.policy = CallbackPolicy(store=self.w.store, due_days=due_days, quiet_hours=quiet,
                                     max_attempts=max_attempts, retry_after_hours=retry_hours)
        self.policy.full_clean(exclude=["store"])
        self.policy.save()
        self.now = START + timedelta(minutes=start_minutes)
        for order in self.w.orders[:3]:  # a few services done: callbacks to record from the start
            self.complete_next_stage(self.w.orders.index(order), signal=True)

    # -- helpers ---------------------------------------------------------------------------

    def _policy(self, store_id: int) -> CallbackPolicy:
        return self.policy if store_id == self.w.store.pk else CallbackPolicy(store_id=store_id)

    def _attempt(self, call, *, expected: bool):
        before = _snapshot()
        try:
            result = call()
        except REFUSALS as exc:
            assert not expected, f"refused a call that should pass: {exc!r}"
            assert _snapshot() == before, "a refused call changed something"
            return None
        assert expected, "accepted a call that should be refused"
        return result

    def _stages_owed_a_callback(self):
        return [s for s in OrderStage.objects.select_related("order")
                if s.status == StageStatus.DONE and s.kind in SERVICE_STAGES
                and s.order.status != OrderStatus.CANCELLED
                and not CallbackTask.objects.filter(stage=s, purpose=CallbackPurpose.POST_SERVICE
                                                    ).exists()]

    # -- rules -----------------------------------------------------------------------------

    @rule(minutes=st.sampled_from([1, 59, 3 * 60, 9 * 60, 26 * 60, 4 * 24 * 60]))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule(which=st.integers(0, 9), signal=st.booleans())
    def complete_next_stage(self, which, signal):
        """The next service of an order done now; the signal creates its callback, or is lost."""
        order = self.w.orders[which % len(self.w.orders)]
        stage = order.stages.exclude(status=StageStatus.DONE).order_by("sequence").first()
        if stage is None:
            return
        try:
            stage = stage_complete(order=order, kind=stage.kind, by=self.w.callers["desk"],
                                   at=self.now, picked_up_by="本人")
        except REFUSALS:
            return  # a cancelled order: the orders' own machine checks that
        if signal:
            self.create_for_stage(stage.pk)

    @rule(which=st.integers(0, 30))
    def create_for_a_stage(self, which):
        """The signal's task, run for any stage (again, for an open one, for a cancelled order)."""
        stages = list(OrderStage.objects.order_by("pk").values_list("pk", flat=True))
        self.create_for_stage(stages[which % len(stages)])

    def create_for_stage(self, stage_id: int) -> None:
        owed = any(s.pk == stage_id for s in self._stages_owed_a_callback())
        assert callbacks_create_for_stage(stage_id=stage_id) == int(owed)
        assert callbacks_create_for_stage(stage_id=stage_id) == 0, "a redelivered message"

    @rule()
    def sweep_completed_stages(self):
        owed = [s for s in self._stages_owed_a_callback()
                if s.completed_at >= self.now - SWEEP_LOOKBACK]
        assert callbacks_sweep_completed_stages(now=self.now) == len(owed)
        assert callbacks_sweep_completed_stages(now=self.now) == 0, "the sweep run twice"

    @rule(which=st.integers(0, 9))
    def cancel_order(self, which):
        order = self.w.orders[which % len(self.w.orders)]
        try:
            order_cancel(order=order, by=self.w.callers["desk"], reason="客户取消")
        except REFUSALS:
            pass

    @rule(later=st.sampled_from([0, 6 * 60, 2 * 24 * 60, 5 * 24 * 60]))
    def mark_overdue(self, later):
        """Exactly the pending tasks past due become overdue, escalated now; twice: nothing."""
        self.now += timedelta(minutes=later)
        due = set(CallbackTask.objects.filter(status=C.PENDING).values_list("pk", flat=True)
                  .filter(due_at__lt=self.now))
        before = {t.pk: t for t in CallbackTask.objects.all()}
        assert callbacks_mark_overdue(now=self.now) == len(due)
        for task in CallbackTask.objects.all():
            old = before[task.pk]
            if task.pk in due:
                assert (task.status, task.escalated_at) == (C.OVERDUE, self.now)
                assert task.due_at < self.now and old.status == C.PENDING
            else:
                assert (task.status, task.escalated_at) == (old.status, old.escalated_at)
        again = _snapshot()
        assert callbacks_mark_overdue(now=self.now) == 0
        assert _snapshot() == again

    @rule(which=st.integers(0, 30), open_only=st.booleans(),
          caller=st.sampled_from(["specialist", "other_specialist", "supervisor"]),
          outcomes=st.lists(st.sampled_from(["satisfied", "average", "dissatisfied", "book",
                                             "unreached", "unreached"]), min_size=1, max_size=4),
          score=st.sampled_from([None, 1, 5]), book_in_minutes=st.integers(1, 5 * 24 * 60),
          channel=st.sampled_from(["phone", "wechat", "sms"]),
          mistake=mistakes("no_answer", "answer_unreached", "unknown_answer", "book_in_past",
                           "score_7", "score_0", "channel"))
    def record_calls(self, which, open_only, caller, outcomes, score, book_in_minutes, channel,
                     mistake):
        """A few calls to one task (an open one, or any), hours apart; the first may be filled
        in wrong."""
        tasks = list(CallbackTask.objects.order_by("pk"))
        if open_only and any(t.is_open for t in tasks):
            tasks = [t for t in tasks if t.is_open]
        task = tasks[which % len(tasks)]
        for i, outcome in enumerate(outcomes):
            if i:
                self.now += timedelta(hours=5)
            self._record(task, caller, outcome, score, book_in_minutes, channel,
                         mistake if i == 0 else None)

    def _record(self, task, caller, outcome, score, book_in_minutes, channel, mistake):
        task = CallbackTask.objects.get(pk=task.pk)
        policy = self._policy(task.store_id)
        reached = outcome != "unreached"
        satisfaction = outcome if outcome in Satisfaction.values else ""
        appointment = (self.now + timedelta(minutes=book_in_minutes)).replace(second=0)
        appointment = appointment if outcome == "book" else None
        match mistake:
            case "no_answer":
                reached, satisfaction, appointment = True, "", None
            case "answer_unreached":
                reached, satisfaction = False, "satisfied"
            case "unknown_answer":
                reached, satisfaction = True, "delighted"
            case "book_in_past":
                reached, satisfaction, appointment = True, "", self.now - timedelta(hours=1)
            case "score_7":
                score = 7
            case "score_0":
                score = 0
            case "channel":
                channel = "fax"
        data_ok = (mistake is None and not (appointment is not None and _quiet(appointment, policy)))
        expected = task.status in OPEN_STATUSES and data_ok
        old = task
        record = self._attempt(partial(
            callback_record, task=task, by=self.w.callers[caller], reached=reached,
            channel=channel, satisfaction=satisfaction, score=score, comments=" 好 ",
            next_appointment_at=appointment, now=self.now), expected=expected)
        if record is None:
            return
        task = CallbackTask.objects.get(pk=task.pk)
        assert task.status in CALLBACK_TRANSITIONS[old.status], "a move off the map"
        assert task.attempts == old.attempts + 1
        if satisfaction:
            assert (task.status, task.completed_at) == (C.DONE, self.now)
        elif reached and (old.status == C.OVERDUE or old.due_at < self.now):
            # booked when already late: it stays late, the booked time is the next call's
            assert (task.status, task.due_at, task.booked_at, task.retry_at) == (
                old.status, old.due_at, appointment, appointment)
        elif reached:
            assert (task.status, task.due_at, task.booked_at) == (C.PENDING, appointment,
                                                                  appointment)
        elif task.attempts >= policy.max_attempts:
            assert (task.status, task.completed_at) == (C.UNREACHABLE, self.now)
        else:  # retried: the deadline and the lateness stay (issue 17)
            assert (task.status, task.due_at) == (old.status, old.due_at)
            assert task.retry_at == _earliest_allowed(
                self.now + timedelta(hours=policy.retry_after_hours), policy,
                task.customer.preferred_contact_time)

    @rule(in_store=st.booleans(), picks=st.sets(st.integers(0, 9), min_size=1, max_size=5),
          purpose=st.sampled_from([CallbackPurpose.HOLIDAY, CallbackPurpose.PROMOTION,
                                   CallbackPurpose.RENEWAL]),
          mistake=mistakes("name", "post_service_purpose", "unknown_purpose", "nobody"))
    def create_campaign(self, in_store, picks, purpose, mistake):
        store = self.w.store if in_store else self.w.other_store
        chosen = [self.w.customers[i % len(self.w.customers)].pk for i in picks]
        name = "元旦回访"
        match mistake:
            case "name":
                name = "  "
            case "post_service_purpose":
                purpose = CallbackPurpose.POST_SERVICE
            case "unknown_purpose":
                purpose = "birthday"
            case "nobody":
                chosen = []
        customers = list(Customer.objects.filter(pk__in=chosen, store=store))
        expected = mistake is None and bool(customers) and in_store  # the other has no specialist
        campaign = self._attempt(partial(
            campaign_create, name=name, purpose=purpose, store=store, by=self.w.callers["supervisor"],
            customers=Customer.objects.filter(pk__in=chosen), now=self.now), expected=expected)
        if campaign is None:
            return
        tasks = list(campaign.tasks.select_related("customer", "assigned_to__staff_profile"))
        assert campaign.tasks_created == len(tasks) == len(customers)
        assert {t.customer_id for t in tasks} == {c.pk for c in customers}
        for task in tasks:
            assert (task.status, task.store_id, task.triggered_at) == (C.PENDING, store.pk, self.now)
            profile = task.assigned_to.staff_profile
            assert (profile.role, profile.store_id) == (Role.SPECIALIST, store.pk)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def tasks_are_consistent(self):
        if not hasattr(self, "policy"):
            return
        open_per_stage: dict[int, int] = {}
        per_campaign: dict[tuple, int] = {}
        for task in CallbackTask.objects.select_related("customer", "stage__order", "campaign"):
            assert task.status in CALLBACK_TRANSITIONS
            if task.stage_id:
                assert task.purpose == CallbackPurpose.POST_SERVICE
                assert task.stage.status == StageStatus.DONE and task.stage.kind in SERVICE_STAGES
                assert task.triggered_at == task.stage.completed_at
                assert task.customer_id == task.stage.order.customer_id
                open_per_stage[task.stage_id] = open_per_stage.get(task.stage_id, 0) + 1
            if task.campaign_id:
                key = (task.campaign_id, task.customer_id)
                per_campaign[key] = per_campaign.get(key, 0) + 1
            assert task.store_id == task.customer.store_id
            self._check_task(task)
        assert all(n == 1 for n in open_per_stage.values()), "one callback per stage"
        assert all(n == 1 for n in per_campaign.values()), "one task per campaign customer"
        for campaign in CallbackCampaign.objects.all():
            assert campaign.tasks_created == campaign.tasks.count()

    def _check_task(self, task: CallbackTask) -> None:
        policy = self._policy(task.store_id)
        records = list(task.records.order_by("called_at", "pk"))
        answered = [r for r in records if r.satisfaction]
        assert task.attempts == len(records), "every call recorded counts one attempt"
        for r in records:
            assert r.reached or not r.satisfaction
            assert r.wants_complaint == (r.satisfaction == Satisfaction.DISSATISFIED)
        last = records[-1] if records else None
        if task.status == C.DONE:
            assert answered == [last] and last.reached, "done: the last call, and only it, answered"
            assert task.completed_at == last.called_at
        elif task.status == C.UNREACHABLE:
            assert last is not None and not last.reached and not answered
            assert task.attempts >= policy.max_attempts and task.completed_at == last.called_at
        elif task.status == C.CANCELLED:
            assert task.completed_at is not None
        else:  # open: no answer yet, due outside quiet hours at what the last event set
            assert not answered and task.completed_at is None
            assert not _quiet(task.due_at, policy), "due in quiet hours"
            booked = [r for r in records if r.reached]
            if not booked:
                assert task.due_at == callback_due_at(
                    triggered_at=task.triggered_at, policy=policy,
                    contact_time=task.customer.preferred_contact_time)
                assert task.triggered_at < task.due_at <= task.triggered_at + timedelta(
                    days=policy.due_days)
            else:  # an unanswered call since does not move the deadline; nor does a time
                # booked when the task was already late (issue 17: lateness is never erased)
                assert task.booked_at == booked[-1].next_appointment_at
                assert task.due_at == task.booked_at or task.due_at < booked[-1].called_at
            if last is not None and last.reached and task.due_at != task.booked_at:
                assert task.retry_at == task.booked_at  # booked late: the next call's time
            elif last is not None and not last.reached:
                assert task.retry_at == _earliest_allowed(
                    last.called_at + timedelta(hours=policy.retry_after_hours), policy,
                    task.customer.preferred_contact_time)
                assert not _quiet(task.retry_at, policy), "retried in quiet hours"
            else:
                assert task.retry_at is None
            if task.status == C.OVERDUE:
                assert task.escalated_at is not None and task.due_at < task.escalated_at


def _world(store, other_store, staff_of, package) -> World:
    callers = {
        "specialist": staff_of(Role.SPECIALIST, user__username="cb_specialist").user,
        "other_specialist": staff_of(Role.SPECIALIST, user__username="cb_specialist2",
                                     skill_rating=5).user,
        "supervisor": staff_of(Role.SUPERVISOR, user__username="cb_supervisor").user,
        "desk": staff_of(Role.FRONT_DESK, user__username="cb_desk").user,
    }
    times = [ContactTime.ANY, ContactTime.MORNING, ContactTime.AFTERNOON, ContactTime.EVENING]
    customers = [CustomerFactory(store=store, preferred_contact_time=t,
                                 assigned_to=callers["specialist"] if i % 2 else None)
                 for i, t in enumerate(times)]
    customers.append(CustomerFactory(store=other_store, preferred_contact_time=ContactTime.EVENING))
    orders = [order_create(customer=c, package=package, by=callers["desk"])
              for c in (customers[0], customers[1], customers[3], customers[4])]
    return World(store=store, other_store=other_store, callers=callers, customers=customers,
                 orders=orders)


def test_no_sequence_of_calls_breaks_a_callback(store, other_store, staff_of, package):
    world = _world(store, other_store, staff_of, package)
    run_state_machine_as_test(partial(CallbackWorkflow, world), settings=SETTINGS)


# Regressions the machine found.

def test_giving_up_on_an_unreachable_customer_is_dated_at_the_last_call(order, front_desk,
                                                                         specialist, store):
    """The last unanswered call dated the task's completion at the retry it would never get
    (19:00 + 4 h, pushed out of quiet hours to 09:00 the next morning): in the future."""
    CallbackPolicy.objects.create(store=store, max_attempts=2, retry_after_hours=4)
    stage = stage_complete(order=order, kind="gown", by=front_desk,
                           at=datetime(2026, 11, 20, 15, 0, tzinfo=LOCAL))
    callbacks_create_for_stage(stage_id=stage.pk)
    task = CallbackTask.objects.get(stage=stage)
    first, last = (datetime(2026, 11, 21, 10, 0, tzinfo=LOCAL),
                   datetime(2026, 11, 21, 19, 0, tzinfo=LOCAL))
    callback_record(task=task, by=specialist, reached=False, now=first)
    callback_record(task=task, by=specialist, reached=False, now=last)
    task.refresh_from_db()
    assert (task.status, task.attempts, task.completed_at) == (C.UNREACHABLE, 2, last)
