"""Writes for callbacks: creating tasks (after services, for campaigns), recording calls,
assigning them, the overdue sweep, scripts, and SMS from the call page. What staff do to a task
is checked against the step map (callbacks.workflow) with the acting user."""
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ContactTime, Customer
from customers.services import SpecialistLoad, assignment_propose, customers_assign
from frontdesk.models import WalkOut
from messaging.services import message_queue
from orders.models import OrderStage, OrderStatus, StageKind, StageStatus
from staff.models import Role, StaffMember, User
from webhooks.models import WebhookEvent
from webhooks.services import webhook_emit

from .default_scripts import default_script_texts
from .models import (
    OPEN_STATUSES,
    CallbackCampaign,
    CallbackPolicy,
    CallbackPurpose,
    CallbackRecord,
    CallbackScript,
    CallbackStatus,
    CallbackTask,
    Satisfaction,
)
from .quiet_hours import Period, earliest_allowed_after, is_quiet, latest_allowed_before
from .workflow import CALLBACK_STEPS

logger = logging.getLogger(__name__)

# Services after which the customer is called back (定单 is the booking, not a service).
SERVICE_STAGES = (StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION, StageKind.PICKUP)
# How far back the sweep looks for completed services that have no callback yet.
SWEEP_LOOKBACK = timedelta(days=14)

PREFERRED_WINDOWS: dict[str, Period | None] = {
    ContactTime.ANY: None,
    ContactTime.MORNING: Period(time(9), time(12)),
    ContactTime.AFTERNOON: Period(time(14), time(18)),
    ContactTime.EVENING: Period(time(18), time(21)),
}


def policy_for(store_id: int) -> CallbackPolicy:
    """The store's rules, or the defaults (3 days, 12:00-14:00 and 21:00-09:00, 3 attempts)."""
    return CallbackPolicy.objects.filter(store_id=store_id).first() or CallbackPolicy(
        store_id=store_id)


def sms_not_before(*, store_id: int, now: datetime) -> datetime | None:
    """studio.sms's SMS_NOT_BEFORE rule: a message to a customer queued in the store's quiet
    hours goes at their end (the next allowed minute); None when it may go now."""
    quiet = policy_for(store_id).quiet_periods
    return earliest_allowed_after(now, quiet=quiet) if is_quiet(now, quiet) else None


def callback_due_at(*, triggered_at: datetime, policy: CallbackPolicy,
                    contact_time: str = ContactTime.ANY, deadline: datetime | None = None,
                    not_before: datetime | None = None) -> datetime:
    """The latest minute by `deadline` (`due_days` after the trigger by default) and after
    `not_before` (an hour after the trigger by default), never in the store's quiet hours, in the
    customer's preferred window where one fits (L30: 三天之内完成回访, 避免在客户休息时打扰客户)."""
    deadline = deadline or triggered_at + timedelta(days=policy.due_days)
    return latest_allowed_before(deadline,
                                 not_before=not_before or triggered_at + timedelta(hours=1),
                                 quiet=policy.quiet_periods,
                                 window=PREFERRED_WINDOWS.get(contact_time))


# What each purpose is about: the row a task of that purpose must point at (None: nothing).
PURPOSE_SUBJECT: dict[str, str | None] = {
    CallbackPurpose.POST_SERVICE: "stage", CallbackPurpose.REMINDER: "stage",
    CallbackPurpose.GREETING: "stage", CallbackPurpose.WALKOUT: "walkout",
    CallbackPurpose.HOLIDAY: "campaign", CallbackPurpose.ANNIVERSARY: "campaign",
    CallbackPurpose.PROMOTION: "campaign", CallbackPurpose.RENEWAL: "campaign",
    CallbackPurpose.UPGRADE: "campaign", CallbackPurpose.COMPLAINT: None,
}
THE_CUSTOMERS_SPECIALIST = object()  # callback_task_build's default owner


def callback_task_build(
    *, customer: Customer, purpose: str, triggered_at: datetime, policy: CallbackPolicy,
    deadline: datetime | None = None, not_before: datetime | None = None,
    contact_time: str | None = None, due_at: datetime | None = None,
    assigned_to_id: Any = THE_CUSTOMERS_SPECIALIST, stage: OrderStage | None = None,
    walkout: WalkOut | None = None, sequence: int = 1, campaign: CallbackCampaign | None = None,
) -> CallbackTask:
    """An unsaved task: the one place a callback's rules live, for callback_task_create and
    the bulk creators (after services, campaigns, walk-outs, reminders). It is the customer's
    store's; the customer's specialist calls unless the caller names someone (the campaign's
    balance, the duty front desk, the walk-out's consultant); it is due by callback_due_at
    (outside quiet hours, in the customer's contact window unless `contact_time` says otherwise;
    `due_at` only when the caller computed it so for many customers at once); and it points at
    what its purpose is about (a stage, a walk-out, a campaign)."""
    subjects = {"stage": stage, "walkout": walkout, "campaign": campaign}
    if purpose not in PURPOSE_SUBJECT or any(
            (name == PURPOSE_SUBJECT[purpose]) != (row is not None) for name, row in subjects.items()):
        raise ValidationError({"purpose": _("回访用途与关联的服务、走单或活动不符。")})
    if due_at is None:
        contact = customer.preferred_contact_time if contact_time is None else contact_time
        due_at = callback_due_at(triggered_at=triggered_at, policy=policy, contact_time=contact,
                                 deadline=deadline, not_before=not_before)
    if assigned_to_id is THE_CUSTOMERS_SPECIALIST:
        assigned_to_id = customer.assigned_to_id
    return CallbackTask(customer=customer, store_id=customer.store_id, purpose=purpose,
                        stage=stage, walkout=walkout, sequence=sequence, campaign=campaign,
                        assigned_to_id=assigned_to_id, triggered_at=triggered_at, due_at=due_at)


def callback_task_create(**kwargs: Any) -> CallbackTask:
    """The one way a single callback task is made (a complaint's follow-up call): built by
    callback_task_build with its arguments, then saved."""
    task = callback_task_build(**kwargs)
    task.save()
    return task


def _post_service_tasks(stages: Iterable[OrderStage]) -> list[CallbackTask]:
    policies: dict[int, CallbackPolicy] = {}
    tasks = []
    for stage in stages:
        customer = stage.order.customer
        policy = policies.setdefault(customer.store_id, policy_for(customer.store_id))
        tasks.append(callback_task_build(
            customer=customer, purpose=CallbackPurpose.POST_SERVICE, stage=stage,
            triggered_at=stage.completed_at, policy=policy))
    return tasks


def _completed_services_without_callback():
    return (OrderStage.objects.filter(status=StageStatus.DONE, kind__in=SERVICE_STAGES)
            .exclude(order__status=OrderStatus.CANCELLED)
            .exclude(callback_tasks__purpose=CallbackPurpose.POST_SERVICE)
            .select_related("order__customer"))


def callbacks_create_for_stage(*, stage_id: int) -> int:
    """The callback after one completed service; nothing if it exists (unique per stage)."""
    stages = _completed_services_without_callback().filter(pk=stage_id)
    return len(CallbackTask.objects.bulk_create(_post_service_tasks(stages), ignore_conflicts=True))


def callbacks_sweep_completed_stages(*, now: datetime) -> int:
    """Every service completed lately without its callback gets one: what a lost signal or a
    broker outage missed (DESIGN principle 1). One SELECT, one INSERT; the unique constraint
    makes a concurrent run harmless."""
    stages = _completed_services_without_callback().filter(
        completed_at__gte=now - SWEEP_LOOKBACK)
    return len(CallbackTask.objects.bulk_create(_post_service_tasks(stages), ignore_conflicts=True))


def callbacks_mark_overdue(*, now: datetime) -> int:
    """Mark every pending task past its due time overdue: it shows on the supervisor's list
    (escalated). One UPDATE; safe to run twice."""
    return CallbackTask.objects.overdue(now).update(status=CallbackStatus.OVERDUE, escalated_at=now)


@transaction.atomic
def callback_record(
    *, task: CallbackTask, by, reached: bool, channel: str = "phone",
    satisfaction: str = "", score: int | None = None, comments: str = "", suggestions: str = "",
    next_appointment_at: datetime | None = None, script: CallbackScript | None = None,
    now: datetime | None = None, wants_complaint: bool | None = None,
) -> CallbackRecord:
    """Record one call (《回访记录表》) and move the task on:
    reached with an answer → done; reached but asked to call later → booked (new due time);
    not reached → retried after the policy's interval (retry_at; the deadline stays), unreachable
    after max attempts."""
    now = now or timezone.now()
    task = CallbackTask.objects.select_for_update().get(pk=task.pk)
    CALLBACK_STEPS.check("record", state=task.status, user=by)  # a closed task: 409 callback_closed
    policy = policy_for(task.store_id)
    errors = {}
    if reached and not satisfaction and next_appointment_at is None:
        errors["satisfaction"] = _("已接通的回访请选择客户的满意度，或约定下次回访时间。")
    if not reached and satisfaction:
        errors["satisfaction"] = _("未接通的回访不能填写满意度。")
    if satisfaction and satisfaction not in Satisfaction.values:
        errors["satisfaction"] = _("未知的满意度。")
    if next_appointment_at is not None:
        if next_appointment_at <= now:
            errors["next_appointment_at"] = _("约定时间必须晚于现在。")
        elif is_quiet(next_appointment_at, policy.quiet_periods):
            errors["next_appointment_at"] = _("约定时间在客户休息时段(%(quiet)s)内，请换一个时间。") % {
                "quiet": policy.quiet_hours}
    if errors:
        raise ValidationError(errors)
    record = CallbackRecord(
        task=task, store_id=task.store_id, called_at=now, by=by, channel=channel, reached=reached,
        satisfaction=satisfaction, score=score, comments=comments.strip(),
        suggestions=suggestions.strip(), next_appointment_at=next_appointment_at,
        script=script if script is not None and script.pk else None,  # a shipped default: none
        # 转投诉: a dissatisfied answer always; an average one when the specialist ticks it.
        wants_complaint=satisfaction == Satisfaction.DISSATISFIED or bool(
            wants_complaint and reached and satisfaction == Satisfaction.AVERAGE))
    record.full_clean(exclude=["task", "by", "script"])
    record.save()
    if not reached:
        # The next call after the interval, outside quiet hours, in the customer's preferred
        # window; the deadline stays, so a late task stays late (issue 17).
        task.retry(at=earliest_allowed_after(
            now + timedelta(hours=policy.retry_after_hours), quiet=policy.quiet_periods,
            window=PREFERRED_WINDOWS.get(task.customer.preferred_contact_time)),
            now=now, max_attempts=policy.max_attempts)
    elif not satisfaction:
        task.attempts += 1
        task.book(at=next_appointment_at, now=now)
    else:
        task.attempts += 1
        task.complete(at=now)
    task.save(update_fields=["status", "attempts", "due_at", "booked_at", "retry_at",
                             "completed_at"])
    if task.status == CallbackStatus.DONE:
        webhook_emit(event=WebhookEvent.CALLBACK_COMPLETED, store_id=task.store_id, data=record)
    return record


def callbacks_assign(*, tasks: QuerySet[CallbackTask], to, by) -> int:
    """Give the open ones of `tasks` (scoped by the caller) that belong to `to`'s store to the
    specialist `to`; the number moved."""
    step = CALLBACK_STEPS.check_permission("assign", user=by)
    return (tasks.filter(status__in=step.sources, store_id=to.staff_profile.store_id)
            .update(assigned_to=to))


@transaction.atomic
def callbacks_balance(*, tasks: QuerySet[CallbackTask], store, by) -> int:
    """The store's unassigned open ones of `tasks` go to their customer's specialist (a callback
    belongs to the customer's specialist, the one who sees the customer's page). Only customers
    with no specialist (or one no longer an active specialist of the store) are balanced over
    the store's specialists by open callbacks and skill: each becomes that specialist's customer
    (customers_assign, in the history: 回访均衡分配), and their callbacks follow. The number of
    tasks assigned."""
    step = CALLBACK_STEPS.check_permission("assign", user=by)
    unassigned = tasks.filter(status__in=step.sources, store=store, assigned_to__isnull=True)
    active = list(StaffMember.objects.active().filter(store_id=store.pk, role=Role.SPECIALIST)
                  .values_list("user_id", flat=True))
    followed = CallbackTask.objects.filter(
        pk__in=list(unassigned.filter(customer__assigned_to_id__in=active)
                    .values_list("pk", flat=True))
    ).update(assigned_to_id=_customers_specialist())
    ownerless = unassigned.exclude(customer__assigned_to_id__in=active)
    count = ownerless.count()
    if not count:
        return followed
    customer_ids = sorted(set(ownerless.values_list("customer_id", flat=True)))
    proposal = assignment_propose(loads=_specialist_loads(store.pk), customer_ids=customer_ids)
    specialists = User.objects.in_bulk([user_id for user_id, ids in proposal.items() if ids])
    for user_id, ids in proposal.items():
        if ids:  # the receiver (on_customers_reassigned) gives their open callbacks to them
            customers_assign(customers=Customer.objects.filter(pk__in=ids),
                             to=specialists[user_id], by=by, reason=_("回访均衡分配"))
    return followed + count


def _customers_specialist() -> Subquery:
    return Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values("assigned_to_id")[:1])


def _tasks_off_their_customer(customer_ids: Iterable[int] | None) -> QuerySet[CallbackTask]:
    """Open tasks held by nobody or by a specialist other than their customer's specialist.
    A task given to someone else on purpose (the front desk's reminder, a walk-out's consultant)
    stays theirs; a customer without a specialist leaves their tasks where they are."""
    tasks = (CallbackTask.objects.open().filter(customer__assigned_to__isnull=False)
             .filter(Q(assigned_to__isnull=True)
                     | Q(assigned_to__staff_profile__role=Role.SPECIALIST))
             .exclude(assigned_to_id=F("customer__assigned_to_id")))
    if customer_ids is not None:
        tasks = tasks.filter(customer_id__in=list(customer_ids))
    return tasks


def callbacks_follow_customers(customer_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Give the open callbacks of `customer_ids` (after a reassignment) to their customer's
    specialist, or, with None, every open callback that drifted from it (the nightly repair).
    One UPDATE (and one count per customer, for the assignment history); returns
    {customer id: tasks moved}."""
    tasks = _tasks_off_their_customer(customer_ids)
    moved = dict(tasks.order_by().values("customer_id").annotate(n=Count("pk"))
                 .values_list("customer_id", "n"))
    if moved:
        CallbackTask.objects.filter(pk__in=tasks.values("pk")).update(
            assigned_to_id=_customers_specialist())
    return moved


def on_customers_reassigned(sender, *, customer_ids: list[int], **kwargs) -> dict[int, str]:
    """customers.signals.customers_reassigned, inside the reassignment's transaction: the
    customers' open callbacks move to their new specialist. Answers what moved, per customer,
    for the assignment history."""
    return {customer_id: _("%(n)d 个待回访") % {"n": n}
            for customer_id, n in callbacks_follow_customers(customer_ids).items()}


def _specialist_loads(store_id: int) -> list[SpecialistLoad]:
    members = (StaffMember.objects.active().filter(store_id=store_id, role=Role.SPECIALIST)
               .select_related("user")
               .annotate(open_tasks=Count("user__callback_tasks", filter=Q(
                   user__callback_tasks__status__in=OPEN_STATUSES))))
    return [SpecialistLoad(member=m, customers=m.open_tasks) for m in members]


@transaction.atomic
def campaign_create(*, name: str, purpose: str, store, customers, by,
                    conditions: dict | None = None, now: datetime | None = None
                    ) -> CallbackCampaign:
    """A batch of callbacks for `customers` (a segment), each due within the policy's deadline:
    a customer's active specialist calls their own customers (only they see them); the others
    are spread over the store's specialists balanced by their open callbacks and skill, and
    become their customers (in the history: 回访活动均衡分配)."""
    now = now or timezone.now()
    if not name.strip():
        raise ValidationError({"name": _("请填写活动名称。")})
    if purpose not in CallbackPurpose.values or purpose == CallbackPurpose.POST_SERVICE:
        raise ValidationError({"purpose": _("请选择活动回访的用途。")})
    customer_list = list(customers.filter(store=store).only(
        "pk", "store_id", "assigned_to_id", "preferred_contact_time"))
    if not customer_list:
        raise ValidationError({"conditions": _("没有符合条件的客户。")})
    campaign = CallbackCampaign.objects.create(name=name.strip(), purpose=purpose, store=store,
                                               conditions=conditions or {}, created_by=by)
    loads = _specialist_loads(store.pk)
    active = {load.member.user_id for load in loads}
    owner = {c.pk: c.assigned_to_id for c in customer_list if c.assigned_to_id in active}
    rest = [c.pk for c in customer_list if c.pk not in owner]
    if rest:  # their load counts the calls of this campaign they already take
        own = Counter(owner.values())
        loads = [SpecialistLoad(member=load.member, customers=load.customers
                                + own[load.member.user_id]) for load in loads]
        proposal = assignment_propose(loads=loads, customer_ids=rest)
        owner.update({cid: uid for uid, cids in proposal.items() for cid in cids})
        # A callback belongs to its customer's specialist (only they see the customer's page):
        # each such customer becomes the specialist's, as callbacks_balance does.
        specialists = User.objects.in_bulk([uid for uid, cids in proposal.items() if cids])
        for uid, cids in proposal.items():
            if cids:
                customers_assign(customers=Customer.objects.filter(pk__in=cids),
                                 to=specialists[uid], by=by, reason=_("回访活动均衡分配"))
    policy = policy_for(store.pk)
    # Every task starts now, so its due time depends only on the customer's contact time.
    due = {time: callback_due_at(triggered_at=now, policy=policy, contact_time=time)
           for time in {c.preferred_contact_time for c in customer_list}}
    tasks = CallbackTask.objects.bulk_create([
        callback_task_build(customer=c, purpose=purpose, campaign=campaign, triggered_at=now,
                            policy=policy, due_at=due[c.preferred_contact_time],
                            assigned_to_id=owner[c.pk])
        for c in customer_list], batch_size=2000, ignore_conflicts=True)
    campaign.tasks_created = len(tasks)
    campaign.save(update_fields=["tasks_created"])
    return campaign


@transaction.atomic
def script_save(*, purpose: str, by, **texts: str) -> CallbackScript:
    """Save an edited script as a new version of its purpose (old versions are kept)."""
    if purpose not in CallbackPurpose.values:
        raise ValidationError({"purpose": _("未知的回访用途。")})
    missing = [k for k, v in texts.items() if not (v or "").strip()]
    if missing:
        raise ValidationError({k: _("此项不能为空。") for k in missing})
    latest = (CallbackScript.objects.select_for_update().filter(purpose=purpose)
              .aggregate(v=Max("version"))["v"] or 0)
    script = CallbackScript(purpose=purpose, version=latest + 1, created_by=by, **texts)
    script.full_clean(exclude=["created_by"])
    script.save()
    return script


# The outbox's own text when no gateway is configured and the store has no template.
THANK_YOU_SMS = ("【{store}】{customer}，感谢您选择我们！如对{service}有任何意见，"
                 "欢迎随时联系我们，祝您生活愉快。")
SURVEY_SMS = "【{store}】{customer}，您好！请为我们的{service}服务打分（回复1-5），您的意见是我们改进的动力。"
WALKOUT_SMS = "【{store}】{customer}，您好！感谢您到店咨询，为您预留的优惠仍然有效，欢迎随时来店详谈。"
# The call page's SMS buttons: what each sends (messaging.purposes) and its text without a template.
SMS_TEMPLATES = {"thanks": ("callback:thanks", THANK_YOU_SMS), "survey": ("callback:survey", SURVEY_SMS),
                 "walkout": ("walkout", WALKOUT_SMS)}


def callback_send_sms(*, task: CallbackTask, template: str, by):
    """A thank-you, survey or walk-out invitation SMS from the call page (an open task), through
    the one outbox with the store's template (messaging.services.message_queue)."""
    CALLBACK_STEPS.check("send_sms", state=task.status, user=by)
    if template not in SMS_TEMPLATES or (template == "walkout") != (
            task.purpose == CallbackPurpose.WALKOUT):
        raise ValidationError({"template": _("未知的短信模板。")})
    purpose, default_text = SMS_TEMPLATES[template]
    customer = task.customer
    values = {"store": task.store.name, "customer": str(customer), "service": task.service_label}
    return message_queue(purpose=purpose, mobile=customer.mobile, store_id=task.store_id,
                         values=values, default_body=default_text.format(**values),
                         customer=customer, by=by)


def on_stage_completed(sender, stage_id: int, kind: str, **kwargs) -> None:
    """orders.signals.stage_completed receiver: create the callback through the broker.
    If the broker is down the stage is done anyway; the beat sweep creates the task later."""
    if kind not in SERVICE_STAGES:
        return
    from studio.tasks import enqueue

    from .tasks import create_callback_for_stage_task

    # Broker down or hung: within ~1 s the request goes on, and the sweep
    # (callbacks_sweep_completed_stages) creates the callback later.
    enqueue(create_callback_for_stage_task, stage_id)


def on_order_cancelling(sender, order, by, reason: str, **kwargs) -> int:
    """orders.signals.order_cancelling: the cancelled order's open callbacks close, with the
    reason, in the same transaction as the cancellation. Returns the tasks closed."""
    note = (_("订单已取消：%(reason)s") % {"reason": reason})[:200]
    return CallbackTask.objects.filter(stage__order=order, status__in=OPEN_STATUSES).update(
        status=CallbackStatus.CANCELLED, completed_at=timezone.now(), closed_note=note)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def script_latest(purpose: str) -> CallbackScript:
    """The newest saved version, or version 1 as shipped (unsaved) if none is stored."""
    latest = CallbackScript.objects.filter(purpose=purpose).order_by("-version").first()
    return latest or CallbackScript(purpose=purpose, version=1, **default_script_texts(purpose))


def script_render(script: CallbackScript, *, task: CallbackTask, specialist) -> dict[str, str]:
    """The script's parts with the customer's name and title, the service and its date, the
    specialist's name and the store filled in (L34-L38)."""
    customer = task.customer
    when = task.stage.completed_at if task.stage_id else task.triggered_at
    values = _Blank(customer=customer.name, title=customer.title_suffix,
                    service=task.service_label, date=timezone.localtime(when).strftime("%m月%d日"),
                    specialist=getattr(specialist, "display_name", ""), store=task.store.name)
    fields = ["opening", "question", "satisfied_followup", "unsatisfied_followup",
              "satisfied_closing", "unsatisfied_closing"]
    return {f: getattr(script, f).format_map(values) for f in fields}
