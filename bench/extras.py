"""The rest of the chain's history for one batch of generated customers: callback tasks and
their call records, complaints and their events, member accounts, cards and the points ledger.

Rows are laid out as the services would leave them:
- a post-service callback per completed service stage of a running or completed order (unique
  per stage), due by callback_due_at; campaign callbacks (one per customer per campaign) make
  up the rest. Old tasks are closed with their calls; recent ones are partly still open, and
  some of those are past due but still `pending`, so the overdue sweep has work to do.
- complaints walk registered → … → closed with one event per step; recent ones are still open.
- members earn points on each payment at their tier's rate, lose them on refunds (never below
  zero), redeem and get adjustments; spending is FIFO over earned entries, and what is left of
  an entry past its expiry expires. The ledger's signed sum equals points_balance, each
  entry's balance_after is the running sum, and total_spent the net spending since joining.
"""
from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from bench.copy import make
from callbacks.models import (
    CallbackCampaign,
    CallbackPolicy,
    CallbackPurpose,
    CallbackRecord,
    CallbackStatus,
    CallbackTask,
    Channel,
    Satisfaction,
)
from callbacks.services import SERVICE_STAGES, callback_due_at
from complaints.models import (
    Complaint,
    ComplaintAction,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintStatus,
    Severity,
)
from customers.models import Customer
from membership.models import CardEvent, MemberAccount, MemberCard, PointsEntry, PointsKind
from orders.models import Order, OrderStage, OrderStatus, Payment, PaymentKind, StageStatus

# Per generated customer, as in the chain data set (200,000 customers): 1,000,000 callback
# tasks, 30,000 complaints, 1,000,000 points entries.
TASKS_PER_CUSTOMER = 5.0
COMPLAINTS_PER_CUSTOMER = 0.15
POINTS_PER_CUSTOMER = 5.0
MEMBER_SHARE = 0.8  # of the customers who paid something
RECENT_DAYS = 45
POINTS_VALID_DAYS = 730

CAMPAIGNS = [  # (name, purpose, days ago)
    ("春节问候", CallbackPurpose.HOLIDAY, 700), ("店庆回馈", CallbackPurpose.ANNIVERSARY, 620),
    ("五一促销", CallbackPurpose.PROMOTION, 540), ("七夕活动", CallbackPurpose.PROMOTION, 450),
    ("中秋问候", CallbackPurpose.HOLIDAY, 400), ("续卡提醒", CallbackPurpose.RENEWAL, 330),
    ("春节问候", CallbackPurpose.HOLIDAY, 340), ("店庆回馈", CallbackPurpose.ANNIVERSARY, 255),
    ("五一促销", CallbackPurpose.PROMOTION, 175), ("七夕活动", CallbackPurpose.PROMOTION, 90),
    ("中秋问候", CallbackPurpose.HOLIDAY, 35), ("会员升级", CallbackPurpose.UPGRADE, 6),
]
COMMENTS = ["服务很好，照片很满意", "摄影师很耐心", "等待时间有点长", "化妆师手艺不错", "",
            "选片时推销有点多", "整体满意，会推荐朋友", "", ""]
COMPLAINT_TEXTS = {
    ComplaintCategory.PRODUCT_QUALITY: ["相册装订有破损", "照片修图过度，不像本人", "相框颜色与样品不符"],
    ComplaintCategory.SERVICE_ATTITUDE: ["门市态度冷淡", "选片时强行推销", "化妆师迟到且态度不好"],
    ComplaintCategory.SCHEDULE: ["取件时间一再推迟", "预约的拍摄档期被临时更改"],
    ComplaintCategory.PRICE: ["加选价格与宣传不符", "定金退款迟迟未到账"],
    ComplaintCategory.OTHER: ["停车不方便", "店内等候区太拥挤"],
}
# Complaint steps in order: (status reached, action, the timestamp field it sets).
STEPS = [
    (ComplaintStatus.INVESTIGATING, ComplaintAction.JUDGE, "judged_at"),
    (ComplaintStatus.INVESTIGATED, ComplaintAction.INVESTIGATE, "investigated_at"),
    (ComplaintStatus.PROPOSED, ComplaintAction.PROPOSE, "proposed_at"),
    (ComplaintStatus.APPROVED, ComplaintAction.APPROVE, "approved_at"),
    (ComplaintStatus.CLOSED, ComplaintAction.IMPLEMENT, "closed_at"),
]
KIND_LABELS = {kind: str(label) for kind, label in PaymentKind.choices}
STEP_HOURS = {ComplaintStatus.REGISTERED: 24, ComplaintStatus.INVESTIGATING: 48,
              ComplaintStatus.INVESTIGATED: 24, ComplaintStatus.PROPOSED: 72,
              ComplaintStatus.APPROVED: 72}


@dataclass(slots=True)
class ExtraStaff:
    """User ids of one store's staff who call, handle complaints and issue cards."""

    specialists: list[int]
    supervisors: list[int]
    front_desk: list[int]


@dataclass
class ExtraTally:
    tasks: int = 0
    campaign_tasks: int = 0
    open_past_due: int = 0
    records: int = 0
    complaints: int = 0
    open_complaints: int = 0
    complaint_events: int = 0
    members: int = 0
    points: int = 0


@dataclass(slots=True)
class _Tier:
    pk: int
    threshold: Decimal
    rate: Decimal


@dataclass(slots=True)
class _Ledger:
    """One member's entries being laid out in time order."""

    account: MemberAccount
    balance: int = 0
    spent: Decimal = Decimal(0)
    tier: int = 0
    earned: list[PointsEntry] = field(default_factory=list)  # with points left, oldest first
    n: int = 0


class ExtrasBuilder:
    def __init__(self, *, rng: random.Random, now: datetime, staff: dict[int, ExtraStaff],
                 campaigns: dict[int, list[CallbackCampaign]], tiers: list[tuple[int, Decimal, Decimal]],
                 taken_references: set[str], tz) -> None:
        self.rng, self.now, self.staff, self.tz = rng, now, staff, tz
        self.campaigns = {s: sorted(c, key=lambda c: c.created_at) for s, c in campaigns.items()}
        self.tiers = sorted((_Tier(pk, threshold, rate) for pk, threshold, rate in tiers),
                            key=lambda t: t.threshold)
        self.tier_thresholds = [t.threshold for t in self.tiers]
        self.policies: dict[int, CallbackPolicy] = {}
        self.taken_references = taken_references
        self.reference_counts: dict[str, int] = {}
        self.tally = ExtraTally()

    # --- one batch ------------------------------------------------------------------------
    def build(self, *, customers: list[Customer], orders: list[Order], stages: list[OrderStage],
              payments: list[Payment]):
        """The groups for bench.copy.write, parents first."""
        tasks: list[CallbackTask] = []
        records: list[CallbackRecord] = []
        cancelled = {id(o) for o in orders if o.status == OrderStatus.CANCELLED}
        for stage in stages:
            if (stage.status == StageStatus.DONE and stage.kind in SERVICE_STAGES
                    and id(stage.order) not in cancelled):
                self._task(stage.order.customer, stage.completed_at, CallbackPurpose.POST_SERVICE,
                           tasks, records, stage=stage)
        self.tally.tasks += len(tasks)
        wanted = round(TASKS_PER_CUSTOMER * len(customers)) - len(tasks)
        self._campaign_tasks(customers, wanted, tasks, records)

        complaints: list[Complaint] = []
        complaint_events: list[ComplaintEvent] = []
        orders_of: dict[int, list[Order]] = {}
        for o in orders:
            orders_of.setdefault(id(o.customer), []).append(o)
        with_orders = [c for c in customers if id(c) in orders_of]
        for _ in range(self._count(COMPLAINTS_PER_CUSTOMER * len(customers))):
            if not with_orders:
                break
            customer = self.rng.choice(with_orders)
            self._complaint(customer, self.rng.choice(orders_of[id(customer)]), complaints,
                            complaint_events)

        accounts, cards, card_events, entries = self._members(customers, payments, orders_of)
        return [
            (CallbackTask, tasks, None), (CallbackRecord, records, None),
            (Complaint, complaints, None), (ComplaintEvent, complaint_events, None),
            (MemberAccount, accounts, None), (MemberCard, cards, None), (CardEvent, card_events, None),
            (PointsEntry, entries, lambda: self._keys(entries)),
        ]

    def _count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    # --- callbacks ------------------------------------------------------------------------
    def _policy(self, store_id: int) -> CallbackPolicy:
        policy = self.policies.get(store_id)
        if policy is None:
            policy = self.policies[store_id] = (CallbackPolicy.objects.filter(store_id=store_id).first()
                                                or CallbackPolicy(store_id=store_id))
        return policy

    def _task(self, customer: Customer, triggered_at: datetime, purpose: str,
              tasks: list[CallbackTask], records: list[CallbackRecord], *, stage=None,
              campaign=None) -> None:
        rng, now = self.rng, self.now
        policy = self._policy(customer.store_id)
        due_at = callback_due_at(triggered_at=triggered_at, policy=policy,
                                 contact_time=customer.preferred_contact_time)
        staff = self.staff[customer.store_id]
        caller = customer.assigned_to_id or rng.choice(staff.specialists)
        task = make(CallbackTask, customer=customer, store_id=customer.store_id, purpose=purpose,
                            stage=stage, campaign=campaign, assigned_to_id=customer.assigned_to_id,
                            triggered_at=triggered_at, due_at=due_at, created_at=triggered_at)
        tasks.append(task)
        if due_at > now:  # still to call; perhaps one unanswered try already
            if rng.random() < 0.15 and triggered_at + timedelta(hours=2) < now:
                self._record(task, caller, triggered_at + (now - triggered_at) * rng.random(), False,
                             records)
                task.attempts = 1
            return
        recent = now - due_at < timedelta(days=RECENT_DAYS)
        roll = rng.random()
        if (recent and roll < 0.25) or (not recent and roll < 0.005):
            # Past due, not yet swept: the overdue sweep's work.
            self.tally.open_past_due += 1
            return
        if (recent and roll < 0.40) or (not recent and roll < 0.015):
            task.status, task.escalated_at = CallbackStatus.OVERDUE, due_at + timedelta(minutes=5)
            return
        if rng.random() < 0.04:
            task.status = CallbackStatus.CANCELLED
            task.completed_at = due_at - timedelta(hours=rng.uniform(1, 24))
            return
        first = triggered_at + (due_at - triggered_at) * rng.uniform(0.1, 0.6)
        if rng.random() < 0.07:  # three unanswered calls
            at = first
            for _ in range(3):
                self._record(task, caller, at, False, records)
                at += timedelta(hours=rng.uniform(4, 8))
            task.status, task.attempts, task.completed_at = CallbackStatus.UNREACHABLE, 3, at
            return
        if rng.random() < 0.25:
            self._record(task, caller, first, False, records)
            task.attempts += 1
            first += timedelta(hours=rng.uniform(4, 8))
        self._record(task, caller, first, True, records)
        task.attempts += 1
        task.status, task.completed_at = CallbackStatus.DONE, first

    def _record(self, task: CallbackTask, by: int, at: datetime, reached: bool,
                records: list[CallbackRecord]) -> None:
        rng = self.rng
        satisfaction, score, comments = "", None, ""
        if reached:
            roll = rng.random()
            satisfaction = (Satisfaction.SATISFIED if roll < 0.78 else Satisfaction.AVERAGE
                            if roll < 0.95 else Satisfaction.DISSATISFIED)
            score = {Satisfaction.SATISFIED: rng.choice((4, 5, 5)), Satisfaction.AVERAGE: 3,
                     Satisfaction.DISSATISFIED: rng.choice((1, 2))}[satisfaction]
            comments = rng.choice(COMMENTS)
        records.append(make(CallbackRecord,
            task=task, store_id=task.store_id, called_at=at, by_id=by,
            channel=Channel.PHONE if rng.random() < 0.9 else Channel.WECHAT,
            reached=reached, satisfaction=satisfaction, score=score, comments=comments,
            wants_complaint=satisfaction == Satisfaction.DISSATISFIED))
        self.tally.records += 1

    def _campaign_tasks(self, customers: list[Customer], wanted: int, tasks: list[CallbackTask],
                        records: list[CallbackRecord]) -> None:
        rng = self.rng
        taken: set[tuple[int, int]] = set()
        tries = 0
        made = 0
        while made < wanted and customers and tries < wanted * 4:
            tries += 1
            customer = rng.choice(customers)
            choices = [c for c in self.campaigns.get(customer.store_id, ())
                       if c.created_at >= customer.created_at]
            if not choices:
                continue
            campaign = rng.choice(choices)
            if (id(customer), id(campaign)) in taken:
                continue
            taken.add((id(customer), id(campaign)))
            triggered = campaign.created_at + timedelta(minutes=rng.randint(0, 120))
            self._task(customer, triggered, campaign.purpose, tasks, records, campaign=campaign)
            made += 1
        self.tally.tasks += made
        self.tally.campaign_tasks += made

    # --- complaints -----------------------------------------------------------------------
    def _reference(self, at: datetime) -> str:
        prefix = f"TS{at.astimezone(self.tz):%Y%m%d}"
        n = self.reference_counts.get(prefix, 0)
        while True:
            n += 1
            reference = f"{prefix}{n:04d}"
            if reference not in self.taken_references:
                self.reference_counts[prefix] = n
                return reference

    def _complaint(self, customer: Customer, order: Order, complaints: list[Complaint],
                   events: list[ComplaintEvent]) -> None:
        rng, now = self.rng, self.now
        staff = self.staff[customer.store_id]
        received = order.created_at + (now - order.created_at) * rng.random() ** 0.7
        category = rng.choice(list(COMPLAINT_TEXTS))
        registrar = rng.choice(staff.specialists)
        supervisor = rng.choice(staff.supervisors)
        c = make(Complaint, reference=self._reference(received), store_id=customer.store_id,
                 customer=customer,
                      order=order, received_at=received, created_at=received, updated_at=received,
                      channel=rng.choice(ComplaintChannel.values), category=category,
                      severity=rng.choice((Severity.LOW, Severity.NORMAL, Severity.NORMAL, Severity.HIGH)),
                      content=rng.choice(COMPLAINT_TEXTS[category]), registered_by_id=registrar)
        complaints.append(c)
        self.tally.complaints += 1
        first_event = len(events)
        events.append(make(ComplaintEvent, complaint=c, action=ComplaintAction.REGISTER, before="",
                                     after=ComplaintStatus.REGISTERED, by_id=registrar, at=received))
        # How far it got: old ones are finished, recent ones stop somewhere on the way.
        age = now - received
        steps = len(STEPS) if age > timedelta(days=20) else rng.randint(0, len(STEPS))
        rejected = rng.random() < 0.15
        at = received
        for i, (status, action, stamp) in enumerate(STEPS[:steps]):
            step_at = at + timedelta(hours=rng.uniform(1, STEP_HOURS[c.status] * 1.2))
            if step_at >= now:
                break
            before = c.status
            by = supervisor if action in (ComplaintAction.APPROVE, ComplaintAction.IMPLEMENT) else registrar
            if i == 0 and rejected:
                c.status, c.is_valid = ComplaintStatus.REJECTED, False
                c.judged_at = c.closed_at = step_at
                c.judgement_reason = "经核实不属于本店责任"
                events.append(make(ComplaintEvent, complaint=c, action=action, before=before,
                                             after=c.status, by_id=by, at=step_at))
                at = step_at
                break
            c.status = status
            setattr(c, stamp, step_at)
            if action == ComplaintAction.JUDGE:
                c.is_valid, c.handled_by_id = True, registrar
                c.investigation_promised_at = step_at + timedelta(hours=48)
            elif action == ComplaintAction.APPROVE:
                c.approved_by_id, c.approval_comment = supervisor, "同意"
            elif action == ComplaintAction.IMPLEMENT:
                c.customer_notified_at = c.signed_at = step_at
                c.customer_accepted = c.customer_understood = True
            events.append(make(ComplaintEvent, complaint=c, action=action, before=before, after=status,
                                         by_id=by, at=step_at))
            at = step_at
        c.updated_at = at
        if c.status not in (ComplaintStatus.CLOSED, ComplaintStatus.REJECTED):
            c.step_due_at = at + timedelta(hours=STEP_HOURS[c.status])
            self.tally.open_complaints += 1
        self.tally.complaint_events += len(events) - first_event

    # --- members and the points ledger ----------------------------------------------------
    def _tier_for(self, spent: Decimal) -> int:
        return max(0, bisect(self.tier_thresholds, spent) - 1)

    def _members(self, customers: list[Customer], payments: list[Payment],
                 orders_of: dict[int, list[Order]]):
        rng, now = self.rng, self.now
        paid_by: dict[int, list[Payment]] = {}
        for p in payments:
            paid_by.setdefault(id(p.order.customer), []).append(p)
        accounts, cards, card_events, entries = [], [], [], []
        ledgers: list[tuple[_Ledger, list]] = []
        natural = 0
        for customer in customers:
            own = paid_by.get(id(customer))
            if not own or rng.random() >= MEMBER_SHARE:
                customer.is_vip = False
                continue
            own.sort(key=lambda p: p.paid_at)
            joined = own[0].paid_at - timedelta(minutes=rng.randint(1, 30))
            account = make(MemberAccount, customer=customer, store_id=customer.store_id,
                           tier_id=self.tiers[0].pk, created_at=joined)
            accounts.append(account)
            staff = self.staff[customer.store_id]
            issuer = rng.choice(staff.front_desk)
            card = make(MemberCard, number=f"M{customer.mobile}", account=account, store_id=customer.store_id,
                              issued_by_id=issuer, issued_at=joined, created_at=joined, updated_at=joined)
            cards.append(card)
            card_events.append(make(CardEvent, card=card, action="issue", note="", by_id=issuer, at=joined))
            customer.is_vip = True
            ledgers.append((_Ledger(account=account), own))
            natural += len(own)
        self.tally.members += len(accounts)
        # Redemptions and adjustments make up the ledger's share of rows.
        extra = max(0, round(POINTS_PER_CUSTOMER * len(customers)) - natural)
        per_member = extra / len(ledgers) if ledgers else 0
        for ledger, own in ledgers:
            events = [(p.paid_at, 0, p) for p in own]
            start = ledger.account.created_at
            for _ in range(self._count(per_member)):
                events.append((start + (now - start) * rng.random(), 1, None))
            events.sort(key=lambda e: (e[0], e[1]))
            for at, _, payment in events:
                self._expire_until(ledger, at, entries)
                if payment is not None:
                    self._payment_points(ledger, payment, entries)
                elif ledger.balance >= 200 and rng.random() < 0.7:
                    points = min(ledger.balance, rng.randrange(100, 3000, 100))
                    self._post(ledger, PointsKind.REDEEM, -points, at, entries, note="兑换礼品")
                else:
                    self._post(ledger, PointsKind.ADJUST, rng.randrange(50, 600, 50), at, entries,
                               note="活动赠送积分", expires=at + timedelta(days=POINTS_VALID_DAYS))
            self._expire_until(ledger, now, entries)
            a = ledger.account
            a.points_balance, a.total_spent = ledger.balance, ledger.spent
            a.tier_id = self.tiers[ledger.tier].pk
        self.tally.points += len(entries)
        return accounts, cards, card_events, entries

    def _post(self, ledger: _Ledger, kind: str, points: int, at: datetime, entries: list[PointsEntry], *,
              note: str = "", payment: Payment | None = None, expires: datetime | None = None) -> None:
        if points < 0:
            points = -min(-points, ledger.balance)
            left = -points
            while left and ledger.earned:
                oldest = ledger.earned[0]
                used = min(oldest.remaining, left)
                oldest.remaining -= used
                left -= used
                if not oldest.remaining:
                    ledger.earned.pop(0)
        ledger.balance += points
        ledger.n += 1
        entry = make(PointsEntry, account=ledger.account, store_id=ledger.account.store_id,
                     kind=kind, points=points,
                            balance_after=ledger.balance, payment=payment,
                            order=payment.order if payment is not None else None,
                            remaining=max(points, 0), expires_at=expires if points > 0 else None,
                            note=note, at=at)
        entry._bench_n = ledger.n  # for the key, once the account has its pk
        entries.append(entry)
        if points > 0:
            ledger.earned.append(entry)

    def _payment_points(self, ledger: _Ledger, payment: Payment, entries: list[PointsEntry]) -> None:
        rate = self.tiers[ledger.tier].rate
        points = math.floor(payment.amount * rate)
        if payment.kind == PaymentKind.REFUND:
            self._post(ledger, PointsKind.REVERSAL, -points, payment.paid_at, entries, payment=payment,
                       note=f"退款 ¥{payment.amount:,.2f}")
            ledger.spent -= payment.amount
        else:
            self._post(ledger, PointsKind.EARN, points, payment.paid_at, entries, payment=payment,
                       note=f"{KIND_LABELS[payment.kind]} ¥{payment.amount:,.2f}",
                       expires=payment.paid_at + timedelta(days=POINTS_VALID_DAYS))
            ledger.spent += payment.amount
        ledger.tier = max(ledger.tier, self._tier_for(ledger.spent))

    def _expire_until(self, ledger: _Ledger, at: datetime, entries: list[PointsEntry]) -> None:
        while ledger.earned and ledger.earned[0].expires_at is not None and ledger.earned[0].expires_at < at:
            entry = ledger.earned[0]
            self._post(ledger, PointsKind.EXPIRE, -entry.remaining, entry.expires_at, entries,
                       note="积分过期")

    @staticmethod
    def _keys(entries: list[PointsEntry]) -> None:
        """The idempotency keys the services use: payment:<pk>, else <kind>:<account>:<n>."""
        for e in entries:
            e.key = (f"payment:{e.payment.pk}" if e.payment is not None
                     else f"{e.kind}:{e.account.pk}:bench{e._bench_n}")
