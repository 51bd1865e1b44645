"""Bulk synthetic data for benchmarks: 200,000 customers and their orders in minutes.

Why not the services or the demo seed: they save row by row under locks, which is right for one
customer and hours for two hundred thousand. This command lays out the same rows the services
would write (stages from Package.stage_kinds, the 定单 stage done at once, a ledger whose signed
sum is paid_total, current_stage = first stage not done) but computes them in Python and writes
them one transaction per batch: PostgreSQL COPY with primary keys reserved from the sequences
(bench.copy), bulk_create elsewhere. With them, per customer (bench.extras): callback tasks and
their call records, complaints and their events, member accounts, cards and the points ledger;
some callbacks are past due but still pending and some stages are late, so that the sweeps
have work. On PostgreSQL the tables are vacuumed and analysed at the end.

    python manage.py generate_bench_data --customers 200000 [--stores 20] [--seed 42] [--append]
"""
from __future__ import annotations

import gc
import random
import time
from bisect import bisect
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from math import sqrt
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from bench import copy as bench_copy
from bench.copy import make
from bench.extras import CAMPAIGNS, ExtrasBuilder, ExtraStaff
from callbacks.models import CallbackCampaign, CallbackRecord, CallbackTask
from complaints.models import Complaint, ComplaintEvent
from customers.models import ContactTime, Customer, SourceChannel, Title
from membership.models import CardEvent, MemberAccount, MemberCard, MemberTier, PointsEntry
from orders.models import (
    ZERO,
    Order,
    OrderStage,
    OrderStatus,
    Package,
    PackageKind,
    Payment,
    PaymentKind,
    PaymentMethod,
    StageEvent,
    StageEventAction,
    StageKind,
    StageStatus,
)
from staff.models import Department, DepartmentKind, Role, StaffMember, Store, User
from staff.roles import ADMIN_ROLES, group_name

BENCH_USER_PREFIX = "bench_"
MAX_STORES = 99  # store codes are B01..B99
HISTORY_DAYS = 730  # customers arrive over the last two years, more of them recently
RECENT_DAYS = 45  # only stages due this recently are left late or unbooked; older ones got done

# Who works in each bench store. Specialists get customers; the others serve stages and take money.
STAFF_PLAN: list[tuple[str, int]] = [
    (Role.SPECIALIST, 4), (Role.SUPERVISOR, 1), (Role.FRONT_DESK, 2), (Role.PHOTOGRAPHER, 3),
    (Role.MAKEUP_ARTIST, 2), (Role.SELECTION_CONSULTANT, 2), (Role.CASHIER, 1),
    (Role.STORE_MANAGER, 1),
]
ROLE_DEPARTMENT: dict[str, str] = {
    Role.SPECIALIST: DepartmentKind.CUSTOMER_SERVICE, Role.SUPERVISOR: DepartmentKind.CUSTOMER_SERVICE,
    Role.FRONT_DESK: DepartmentKind.SALES, Role.PHOTOGRAPHER: DepartmentKind.PHOTOGRAPHY,
    Role.MAKEUP_ARTIST: DepartmentKind.MAKEUP, Role.SELECTION_CONSULTANT: DepartmentKind.SELECTION_DESIGN,
    Role.CASHIER: DepartmentKind.FINANCE, Role.STORE_MANAGER: DepartmentKind.MANAGEMENT,
}
STORE_PLACES = [
    "北京国贸", "上海徐汇", "广州天河", "深圳福田", "杭州西湖", "南京新街口", "成都春熙路",
    "重庆解放碑", "武汉江汉路", "西安钟楼", "苏州观前街", "天津滨江道", "长沙五一广场", "郑州二七",
    "青岛台东", "厦门中山路", "昆明南屏街", "合肥淮河路", "福州东街口", "济南泉城路",
]

# Used only when no package is on sale: (name, kind, price, photos, album, outfits, gown).
DEFAULT_PACKAGES: list[tuple[str, str, str, int, str, int, bool]] = [
    ("浪漫婚纱·经典套系", PackageKind.WEDDING, "3999", 30, "12 寸相册", 3, True),
    ("浪漫婚纱·尊享套系", PackageKind.WEDDING, "6999", 50, "16 寸水晶相册", 5, True),
    ("浪漫婚纱·旅拍套系", PackageKind.WEDDING, "12999", 80, "18 寸对裱相册", 6, True),
    ("宝宝成长·百天照", PackageKind.CHILDREN, "999", 10, "8 寸相册", 2, False),
    ("宝宝成长·周岁照", PackageKind.CHILDREN, "1699", 20, "10 寸相册", 3, False),
    ("温馨全家福", PackageKind.FAMILY, "1299", 15, "10 寸相册", 2, False),
    ("个人写真·轻写真", PackageKind.PORTRAIT, "899", 9, "", 1, False),
    ("个人写真·古风写真", PackageKind.PORTRAIT, "2299", 20, "10 寸相册", 3, True),
]
KIND_WEIGHTS = {PackageKind.WEDDING: 45, PackageKind.CHILDREN: 30, PackageKind.FAMILY: 12,
                PackageKind.PORTRAIT: 13}
TITLE_WEIGHTS: dict[str, list[tuple[str, int]]] = {
    PackageKind.WEDDING: [(Title.MISS, 45), (Title.MS, 35), (Title.MR, 20)],
    PackageKind.CHILDREN: [(Title.PARENT, 80), (Title.MS, 15), (Title.MR, 5)],
    PackageKind.FAMILY: [(Title.MS, 50), (Title.MR, 35), (Title.PARENT, 15)],
    PackageKind.PORTRAIT: [(Title.MISS, 60), (Title.MS, 30), (Title.MR, 10)],
}
SOURCE_WEIGHTS = [(SourceChannel.WALK_IN, 25), (SourceChannel.REFERRAL, 15), (SourceChannel.ONLINE, 30),
                  (SourceChannel.PHONE, 10), (SourceChannel.WEDDING_FAIR, 10), (SourceChannel.PARTNER, 7),
                  (SourceChannel.OTHER, 3)]
CONTACT_WEIGHTS = [(ContactTime.ANY, 50), (ContactTime.MORNING, 15), (ContactTime.AFTERNOON, 15),
                   (ContactTime.EVENING, 20)]
METHOD_WEIGHTS = [(PaymentMethod.WECHAT, 50), (PaymentMethod.ALIPAY, 25), (PaymentMethod.CARD, 15),
                  (PaymentMethod.CASH, 5), (PaymentMethod.TRANSFER, 5)]
# 10% leads who never bought, then one, two or three orders: 1.5 orders per customer on average.
ORDER_COUNT_WEIGHTS = [(0, 10), (1, 45), (2, 30), (3, 15)]

COMMON_SURNAMES = "王李张刘陈杨黄赵吴周"  # about a third of the population between them
OTHER_SURNAMES = (
    "徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭"
    "陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
FEMALE_GIVEN = "婷静丽敏燕娟霞芳娜颖慧雪琳晶洁欣怡佳悦雨梦思嘉瑶萱倩月璐涵晓玉红春丹爽蕾薇琪蓉岚妍菲露婧妮"
MALE_GIVEN = "伟强磊军勇杰涛明超斌鹏辉华健俊浩宇博凯峰阳晨鑫刚亮龙文志建平东波毅帆然泽轩"
# Real carrier prefixes, all matching 1[3-9].
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "195", "198", "199",
]
MOBILE_STRIDE = 48271  # coprime with 10**8: counter → 8 digits is a bijection that looks random

WEDDING_SCENES = ["海边外景", "森林公园", "古镇", "城市街拍", "教堂", "内景影棚", "花海", "草坪"]
STUDIO_SCENES = ["内景影棚", "内景影棚", "主题棚", ""]
CUSTOMER_NOTES = ["对价格比较敏感", "希望周末拍摄", "老客户介绍，注意服务", "宝宝怕生，需要耐心",
                  "婚期临近，优先安排", "只接受微信联系"]
GOWN_EXTRAS = ["加选主纱一套", "升级秀禾服", "加选晨袍"]
SELECTION_EXTRAS = ["加选精修 10 张", "升级水晶相册", "加洗摆台", "加选入册 20 张", "相框一对"]
CANCEL_REASONS = ["客户婚期取消", "客户搬迁外地", "对服务不满意，协商退单", "家庭原因",
                  "价格原因改选其他影楼"]

# Days from one stage to the next: (shortest, longest).
STAGE_GAP_DAYS: dict[str, tuple[float, float]] = {
    StageKind.GOWN: (3, 21), StageKind.SHOOT: (3, 21), StageKind.SELECTION: (5, 15),
    StageKind.PICKUP: (15, 40),
}
# Share of done stages with add-ons, and their range in yuan.
EXTRA_SHARE = {StageKind.GOWN: 0.15, StageKind.SELECTION: 0.45}
EXTRA_RANGE = {StageKind.GOWN: (200, 2000), StageKind.SELECTION: (500, 8000)}
DISCOUNT_SHARE = 0.5
CANCEL_SHARE = 0.05  # of the orders that stop before pickup
BOOKED_AHEAD_SHARE = 0.65  # next stage already booked when its time is still to come
LATE_SHARE, UNBOOKED_SHARE = 0.12, 0.08  # of the stages due in the last RECENT_DAYS days
STALLED_SHARE = 0.01  # of older stages: the customer went quiet

# What happens to a stage whose turn has come.
DONE, LATE, BOOKED, WAITING = "done", "late", "booked", "waiting"


class _Picker:
    """Weighted choice with precomputed cumulative weights: random.choices without the set-up."""

    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _ in weighted]
        self.cum = list(accumulate(weight for _, weight in weighted))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass(slots=True)
class _StoreStaff:
    """User ids of one store's bench staff by what they do in the rows we generate."""

    pk: int
    specialists: list[int] = field(default_factory=list)
    supervisors: list[int] = field(default_factory=list)
    front_desk: list[int] = field(default_factory=list)
    photographers: list[int] = field(default_factory=list)
    makeup_artists: list[int] = field(default_factory=list)
    selection_consultants: list[int] = field(default_factory=list)
    cashiers: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _PackageInfo:
    pk: int
    kind: str
    price: Decimal
    stage_kinds: list[str]


@dataclass
class Tally:
    """What was written, for the progress lines and the summary."""

    customers: int = 0
    assigned: int = 0
    orders: int = 0
    completed: int = 0
    cancelled: int = 0
    stages: int = 0
    done: int = 0
    booked: int = 0
    late: int = 0
    pending: int = 0
    payments: int = 0
    refunds: int = 0
    events: int = 0


def _hundreds(yuan: float) -> Decimal:
    """Round down to whole hundreds: deposits and add-ons are quoted that way in the shop."""
    return Decimal(int(yuan) // 100 * 100)


@contextmanager
def _keep_given_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk_create write the historical times we computed instead of "now".

    auto_now / auto_now_add would stamp two years of history with the minute of the run, and
    every date-filtered list or dashboard benchmarked on it would measure the wrong thing. The
    flags are switched off on the field objects for this command only and restored after.
    """
    saved = [(f, f.auto_now, f.auto_now_add) for model in model_classes
             for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
             or getattr(f, "auto_now_add", False)]
    for f, _, _ in saved:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _write_in_thread(groups: list[bench_copy.Group]) -> None:
    with transaction.atomic():
        bench_copy.write(groups)


class BenchBuilder:
    """Computes customers, orders, stages, events and payments in memory, one batch at a time."""

    def __init__(self, *, rng: random.Random, now: datetime, stores: list[_StoreStaff],
                 packages: list[_PackageInfo], taken_mobiles: set[str], seed: int,
                 extras: ExtrasBuilder | None = None) -> None:
        self.rng, self.now, self.stores = rng, now, stores
        self.extras = extras
        self.tz = timezone.get_default_timezone()
        self.packages = packages
        self.tally = Tally()
        self.taken_mobiles = taken_mobiles
        self.mobile_counter = 0
        self.mobile_offset = (seed * 7919) % 10**8
        # Some stores are busier than others.
        self.pick_store = _Picker([(s, rng.uniform(0.6, 1.4)) for s in stores])
        kinds_present = {p.kind for p in packages}
        per_kind = {k: sum(1 for p in packages if p.kind == k) for k in kinds_present}
        self.pick_package = _Picker([(p, KIND_WEIGHTS.get(p.kind, 10) / per_kind[p.kind])
                                     for p in packages])
        self.packages_by_kind = {k: [p for p in packages if p.kind == k] for k in kinds_present}
        self.pick_kind = _Picker([(k, w) for k, w in KIND_WEIGHTS.items()])
        self.pick_title = {k: _Picker(w) for k, w in TITLE_WEIGHTS.items()}
        self.pick_source = _Picker(SOURCE_WEIGHTS)
        self.pick_contact = _Picker(CONTACT_WEIGHTS)
        self.pick_method = _Picker(METHOD_WEIGHTS)
        self.pick_order_count = _Picker(ORDER_COUNT_WEIGHTS)
        self.pick_surname = _Picker([(s, 5) for s in COMMON_SURNAMES] + [(s, 1) for s in OTHER_SURNAMES])
        # Customers of earlier batches, per store: the referrers a referral can name.
        # Instances, not pks: a batch is built while the one before it is still being written.
        self.referrers: dict[int, list[Customer]] = {s.pk: [] for s in stores}

    # --- one batch ------------------------------------------------------------------------
    def build_batch(self, size: int) -> list[bench_copy.Group]:
        """Build `size` customers with everything that hangs off them: the groups to write."""
        customers: list[Customer] = []
        orders: list[Order] = []
        stages: list[OrderStage] = []
        events: list[StageEvent] = []
        payments: list[Payment] = []
        for _ in range(size):
            store: _StoreStaff = self.pick_store(self.rng)
            count = self.pick_order_count(self.rng)
            joined_at = self.now - timedelta(days=HISTORY_DAYS * (1 - sqrt(self.rng.random())))
            order_times = self._order_times(joined_at, count)
            first_package = self._package_for(None) if count else None
            kind = first_package.kind if first_package else self.pick_kind(self.rng)
            customer = self._customer(store, kind, joined_at, order_times[0] if order_times else None)
            customers.append(customer)
            for i, at in enumerate(order_times):
                package = first_package if i == 0 else self._package_for(kind)
                self._order(customer=customer, store=store, package=package, at=at, orders=orders,
                            stages=stages, events=events, payments=payments)
        more = (self.extras.build(customers=customers, orders=orders, stages=stages, payments=payments)
                if self.extras is not None else [])
        for c in customers:
            self.referrers[c.store_id].append(c)
        t = self.tally
        t.customers += len(customers)
        t.orders += len(orders)
        t.stages += len(stages)
        t.events += len(events)
        t.payments += len(payments)
        # Parents first: each group's foreign keys are read from the instances written before.
        return [(Customer, customers, None), (Order, orders, None), (OrderStage, stages, None),
                (StageEvent, events, None), (Payment, payments, None), *more]

    def _order_times(self, joined_at: datetime, count: int) -> list[datetime]:
        """First order within three weeks of the first visit; repeat orders any time since."""
        if not count:
            return []
        rng, now = self.rng, self.now
        first = joined_at + timedelta(days=rng.uniform(0, 20))
        if first >= now:
            first = joined_at + (now - joined_at) * rng.random()
        later = sorted(first + (now - first) * rng.uniform(0.2, 1.0) for _ in range(count - 1))
        return [first, *later]

    def _package_for(self, kind: str | None) -> _PackageInfo:
        """Repeat customers mostly come back for the same kind of photos （百天 → 周岁）."""
        if kind is not None and kind in self.packages_by_kind and self.rng.random() < 0.7:
            return self.rng.choice(self.packages_by_kind[kind])
        return self.pick_package(self.rng)

    # --- customers ------------------------------------------------------------------------
    def _name(self, male: bool) -> str:
        rng = self.rng
        chars = MALE_GIVEN if male else FEMALE_GIVEN
        given = rng.choice(chars) if rng.random() < 0.35 else rng.choice(chars) + rng.choice(chars)
        return self.pick_surname(rng) + given

    def _mobile(self) -> str:
        """Unique by construction: a counter mapped one-to-one onto prefix + 8 digits."""
        while True:
            n = self.mobile_counter
            self.mobile_counter += 1
            prefix = MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)]
            rest = (n // len(MOBILE_PREFIXES) * MOBILE_STRIDE + self.mobile_offset) % 10**8
            mobile = f"{prefix}{rest:08d}"
            if mobile not in self.taken_mobiles:  # only customers already there with --append
                return mobile

    def _customer(self, store: _StoreStaff, kind: str, joined_at: datetime,
                  first_order_at: datetime | None) -> Customer:
        rng, t = self.rng, self.tally
        title = self.pick_title[kind](rng) if kind in self.pick_title else Title.MS
        male = title == Title.MR or (title == Title.PARENT and rng.random() < 0.3)
        source = self.pick_source(rng)
        referrer = None
        if source == SourceChannel.REFERRAL:
            pool = self.referrers[store.pk]
            if pool:
                referrer = rng.choice(pool)
            else:
                source = SourceChannel.WALK_IN
        elif source == SourceChannel.WEDDING_FAIR and kind != PackageKind.WEDDING:
            source = SourceChannel.ONLINE
        wedding_on: date | None = None
        birthday_on: date | None = None
        if kind == PackageKind.WEDDING:
            wedding_on = ((first_order_at or joined_at) + timedelta(days=rng.randint(30, 240))
                          ).astimezone(self.tz).date()
        elif kind == PackageKind.CHILDREN:
            birthday_on = (joined_at - timedelta(days=rng.randint(60, 1500))).astimezone(self.tz).date()
        assigned_to = rng.choice(store.specialists) if rng.random() < 0.85 else None
        t.assigned += assigned_to is not None
        return make(Customer,
            store_id=store.pk, name=self._name(male), title=title, mobile=self._mobile(),
            wechat=f"wxid_{rng.getrandbits(40):010x}" if rng.random() < 0.6 else "",
            source=source, referrer=referrer, wedding_on=wedding_on, child_birthday_on=birthday_on,
            preferred_contact_time=self.pick_contact(rng), assigned_to_id=assigned_to,
            is_vip=rng.random() < 0.05,
            notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.1 else "",
            created_at=joined_at, updated_at=joined_at,
        )

    # --- orders, stages, events -----------------------------------------------------------
    def _slot(self, day: datetime) -> datetime:
        """A bookable time on that local day: 9:00-17:30, on the half hour."""
        return day.astimezone(self.tz).replace(hour=self.rng.randint(9, 17),
                                               minute=self.rng.choice((0, 30)), second=0, microsecond=0)

    def _outcome(self, slot: datetime) -> str:
        """Old stages got done; recent ones are sometimes late or unbooked; future ones wait."""
        rng, now = self.rng, self.now
        if slot >= now:
            return BOOKED if rng.random() < BOOKED_AHEAD_SHARE else WAITING
        if now - slot > timedelta(days=RECENT_DAYS):
            return WAITING if rng.random() < STALLED_SHARE else DONE
        roll = rng.random()
        if roll < LATE_SHARE:
            return LATE
        return WAITING if roll < LATE_SHARE + UNBOOKED_SHARE else DONE

    def _stage_staff(self, kind: str, store: _StoreStaff) -> tuple[int, int | None]:
        """Who serves a stage (see OrderStage.assigned_to's help text) and, for shoots, makeup."""
        rng = self.rng
        if kind == StageKind.SHOOT:
            return rng.choice(store.photographers), rng.choice(store.makeup_artists)
        if kind == StageKind.SELECTION:
            return rng.choice(store.selection_consultants), None
        return rng.choice(store.front_desk), None

    def _order(self, *, customer: Customer, store: _StoreStaff, package: _PackageInfo, at: datetime,
               orders: list[Order], stages: list[OrderStage], events: list[StageEvent],
               payments: list[Payment]) -> None:
        """One order laid out as order_create lays it out, then advanced as staff would."""
        rng, now, t = self.rng, self.now, self.tally
        amount = package.price
        discount = ZERO
        if amount > ZERO and rng.random() < DISCOUNT_SHARE:
            discount = min(amount, _hundreds(float(amount) * rng.uniform(0.03, 0.15)))
        consultant = rng.choice(store.front_desk)
        booker = customer.assigned_to_id or consultant
        scene = rng.choice(WEDDING_SCENES if package.kind == PackageKind.WEDDING else STUDIO_SCENES)
        order = make(Order, customer=customer, store_id=store.pk, package_id=package.pk, amount=amount,
                      discount=discount, scene=scene, consultant_id=consultant, created_at=at)
        orders.append(order)

        kinds = package.stage_kinds
        first = make(OrderStage, order=order, store_id=store.pk, specialist_id=customer.assigned_to_id,
                     kind=kinds[0], sequence=0,
                     status=StageStatus.DONE, completed_at=at, completed_by_id=consultant,
                     assigned_to_id=consultant)
        own_stages = len(stages)  # this order's stages are stages[own_stages:]
        stages.append(first)
        events.append(make(StageEvent, stage=first, action=StageEventAction.COMPLETED,
                           before=StageStatus.PENDING,
                                 after=StageStatus.DONE, by_id=consultant, at=at))
        t.done += 1
        done_at: dict[str, datetime] = {kinds[0]: at}
        prev_done = natural = last = at
        current = ""  # the first stage not done, once we meet it
        cancelled_at: datetime | None = None
        reason = ""
        extras = ZERO
        for seq, kind in enumerate(kinds[1:], start=1):
            stage = make(OrderStage, order=order, store_id=store.pk,
                         specialist_id=customer.assigned_to_id, kind=kind, sequence=seq)
            stages.append(stage)
            if current:  # an earlier stage is not done, so this one has not started
                t.pending += 1
                continue
            natural += timedelta(days=rng.uniform(*STAGE_GAP_DAYS[kind]))
            slot = self._slot(natural)
            outcome = self._outcome(slot)
            if outcome != DONE:
                current = kind
                if rng.random() < CANCEL_SHARE:
                    # order_cancel leaves the stages as they are and notes it on the current one.
                    cancelled_at = prev_done + (now - prev_done) * rng.uniform(0.05, 0.6)
                    reason = rng.choice(CANCEL_REASONS)
                    events.append(make(StageEvent, stage=stage, action=StageEventAction.CANCELLED,
                                             before=StageStatus.PENDING, after=StageStatus.PENDING,
                                             by_id=consultant, at=cancelled_at, note=reason))
                    last = max(last, cancelled_at)
                    t.pending += 1
                    continue
                if outcome == WAITING:
                    t.pending += 1
                    continue
            assigned, makeup = self._stage_staff(kind, store)
            booked_at = prev_done + (min(slot, now) - prev_done) * rng.uniform(0.2, 0.9)
            stage.status, stage.scheduled_at = StageStatus.SCHEDULED, slot
            stage.assigned_to_id, stage.makeup_artist_id = assigned, makeup
            if kind == StageKind.SHOOT:
                stage.location = scene or "内景影棚"
            events.append(make(StageEvent, stage=stage, action=StageEventAction.SCHEDULED,
                                     before=StageStatus.PENDING, after=StageStatus.SCHEDULED,
                                     scheduled_at=slot, by_id=booker, at=booked_at))
            last = max(last, booked_at)
            if outcome == LATE:
                t.late += 1
                continue
            if outcome == BOOKED:
                t.booked += 1
                continue
            completed_at = min(slot + timedelta(hours=rng.uniform(1, 4)), now)
            stage.status, stage.completed_at, stage.completed_by_id = StageStatus.DONE, completed_at, assigned
            if kind in EXTRA_SHARE and rng.random() < EXTRA_SHARE[kind]:
                stage.extra_amount = _hundreds(rng.uniform(*EXTRA_RANGE[kind]))
                stage.extra_note = rng.choice(GOWN_EXTRAS if kind == StageKind.GOWN else SELECTION_EXTRAS)
                extras += stage.extra_amount
            if kind == StageKind.PICKUP:
                stage.picked_up_by = customer.name if rng.random() < 0.8 else "家属代取"
            events.append(make(StageEvent, stage=stage, action=StageEventAction.COMPLETED,
                                     before=StageStatus.SCHEDULED, after=StageStatus.DONE,
                                     by_id=assigned, at=completed_at))
            t.done += 1
            done_at[kind] = prev_done = last = completed_at
            natural = slot

        if cancelled_at is not None:
            order.status, order.cancelled_reason = OrderStatus.CANCELLED, reason
            for stage in stages[own_stages:]:
                stage.order_cancelled = True
            t.cancelled += 1
        elif not current:
            order.status = OrderStatus.COMPLETED
            t.completed += 1
        order.current_stage = current
        order.extras_total = extras
        order.paid_total, last_paid = self._payments(
            order=order, store=store, extras=extras, done_at=done_at, cancelled_at=cancelled_at,
            payments=payments)
        order.updated_at = max(last, last_paid)

    # --- the ledger -----------------------------------------------------------------------
    def _payments(self, *, order: Order, store: _StoreStaff, extras: Decimal, done_at: dict[str, datetime],
                  cancelled_at: datetime | None, payments: list[Payment]) -> tuple[Decimal, datetime]:
        """Deposit at booking, part of the balance at the shoot, add-ons at selection, the rest
        at pickup; refunds come last and never exceed what was paid. Returns (paid, last time)."""
        rng, now = self.rng, self.now
        net = order.amount - order.discount
        paid = ZERO
        last = order.created_at

        def pay(kind: str, amount: Decimal, at: datetime, note: str = "") -> None:
            nonlocal paid, last
            at = min(max(at, last), now)  # the ledger reads in time order
            received_by = rng.choice(store.cashiers) if rng.random() < 0.7 else rng.choice(store.front_desk)
            payments.append(make(Payment, order=order, store_id=order.store_id, kind=kind, amount=amount,
                                 method=self.pick_method(rng), received_by_id=received_by, paid_at=at,
                                 note=note, created_at=at))
            paid += -amount if kind == PaymentKind.REFUND else amount
            last = at

        if net > ZERO:
            deposit = min(net, max(_hundreds(float(net) * rng.uniform(0.2, 0.5)), Decimal(100)))
            pay(PaymentKind.DEPOSIT, deposit, order.created_at + timedelta(minutes=rng.randint(5, 40)))
        shoot_at = done_at.get(StageKind.SHOOT)
        if shoot_at and rng.random() < 0.4:
            part = _hundreds(float(net - paid) * rng.uniform(0.3, 0.7))
            if part > ZERO:
                pay(PaymentKind.BALANCE, part, shoot_at)
        selection_at = done_at.get(StageKind.SELECTION)
        if selection_at and extras > ZERO and rng.random() < 0.85:
            pay(PaymentKind.ADDON, extras, selection_at)
        pickup_at = done_at.get(StageKind.PICKUP)
        if pickup_at and rng.random() < 0.97:  # a few completed orders still owe a little
            rest = net + extras - paid
            if rest > ZERO:
                pay(PaymentKind.BALANCE, rest, pickup_at)
        # Only cancelled orders get refunds: on a running order a refund would raise balance_owed,
        # i.e. bill the customer again, since the ledger has no notion of a goodwill refund.
        if cancelled_at is not None and paid > ZERO and rng.random() < 0.6:
            refund = (paid * Decimal(rng.randint(30, 100)) / 100).quantize(Decimal(1))
            pay(PaymentKind.REFUND, min(max(refund, Decimal(1)), paid),
                cancelled_at + timedelta(hours=rng.uniform(1, 72)), "取消订单退款")
            self.tally.refunds += 1
        return paid, last


class Command(BaseCommand):
    help = "生成压测用的批量模拟数据：门店 B01…、员工、客户、订单、服务阶段、阶段记录和收款记录。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, required=True, help="客户数量，例如 200000")
        parser.add_argument("--stores", type=int, default=20, help="门店数量（编号 B01 起，默认 20）")
        parser.add_argument("--seed", type=int, default=42, help="随机种子（默认 42）")
        parser.add_argument("--append", action="store_true",
                            help="压测门店已有客户时继续追加，而不是拒绝执行")
        parser.add_argument("--batch-size", type=int, default=5000,
                            help="每个事务写入的客户数（默认 5000）")
        parser.add_argument("--no-extras", action="store_true",
                            help="只生成客户、订单、阶段和收款，不生成回访、投诉和积分")

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["customers"]
        store_count: int = options["stores"]
        batch_size: int = options["batch_size"]
        seed: int = options["seed"]
        if total < 0:
            raise CommandError("--customers 不能为负数。")
        if not 1 <= store_count <= MAX_STORES:
            raise CommandError(f"--stores 须在 1 到 {MAX_STORES} 之间。")
        if batch_size < 1:
            raise CommandError("--batch-size 须大于 0。")
        started = time.monotonic()
        rng = random.Random(seed)

        with transaction.atomic():
            stores, stores_created = self._ensure_stores(store_count)
            if not options["append"] and Customer.objects.filter(store__in=stores).exists():
                raise CommandError(
                    "压测门店（B01 起）中已有客户。如需继续追加，请加上 --append;"
                    "如需重新生成，请先清空数据库。")
            staff, staff_created = self._ensure_staff(stores, rng)
            packages = self._ensure_packages()
        taken: set[str] = set()
        if options["append"]:
            taken = set(Customer.objects.filter(store__in=stores).values_list("mobile", flat=True))

        now = timezone.now()
        extras = None
        if not options["no_extras"]:
            extras = ExtrasBuilder(
                rng=random.Random(seed + 1), now=now, tz=timezone.get_default_timezone(),
                staff={s.pk: ExtraStaff(specialists=s.specialists, supervisors=s.supervisors,
                                        front_desk=s.front_desk) for s in staff},
                campaigns=self._ensure_campaigns(stores, staff, now),
                tiers=list(MemberTier.objects.values_list("pk", "threshold", "earn_rate")),
                taken_references=set(Complaint.objects.values_list("reference", flat=True)))
        builder = BenchBuilder(rng=rng, now=now, stores=staff, packages=packages,
                               taken_mobiles=taken, seed=seed, extras=extras)
        self.stdout.write(f"开始生成：{total:,} 位客户，{len(stores)} 家门店，{len(packages)} 个套系，"
                          f"每批 {batch_size:,} 位客户。")
        # On PostgreSQL one thread writes batch n (COPY, one transaction) while this one builds
        # batch n + 1: the server's work overlaps ours on a two-core machine.
        # Inside a caller's transaction (a test) everything goes through this connection, so
        # that it is rolled back with the rest: a second connection would commit on its own.
        pipelined = bench_copy.is_postgresql() and not connection.in_atomic_block
        pending: Future | None = None
        # Millions of fresh objects and no cycles among them worth collecting: the cyclic
        # collector would walk all of them again and again.
        gc.disable()
        with (_keep_given_timestamps(Customer, Order, Payment, StageEvent, CallbackTask, Complaint,
                                     MemberAccount, MemberCard),
              ThreadPoolExecutor(max_workers=1) as writer):
            for start in range(0, total, batch_size):
                groups = builder.build_batch(min(batch_size, total - start))
                if pending is not None:
                    pending.result()
                if pipelined:
                    pending = writer.submit(_write_in_thread, groups)
                else:
                    with transaction.atomic():
                        bench_copy.write(groups)
                t = builder.tally
                self.stdout.write(f"  客户 {t.customers:,} / {total:,}，订单 {t.orders:,},"
                                  f"已用 {time.monotonic() - started:.1f} 秒")
            if pending is not None:
                pending.result()
            if pipelined:
                writer.submit(connections.close_all).result()  # the writer thread's own
        gc.enable()
        if extras is not None:
            CallbackCampaign.objects.filter(store__in=stores).update(tasks_created=Coalesce(models.Subquery(
                CallbackTask.objects.filter(campaign=models.OuterRef("pk")).values("campaign")
                .annotate(n=models.Count("pk")).values("n")[:1]), 0))
        self._analyse()

        t = builder.tally
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"压测数据生成完毕，用时 {seconds:.1f} 秒。"))
        self.stdout.write("\n".join([
            f"  门店 {len(stores)}（新建 {stores_created}），"
            f"员工 {sum(n for _, n in STAFF_PLAN) * len(stores)}"
            f"（新建 {staff_created}），套系 {len(packages)}",
            f"  客户 {t.customers:,}（已分配客服 {t.assigned:,}，未分配 {t.customers - t.assigned:,}）",
            f"  订单 {t.orders:,}(进行中 {t.orders - t.completed - t.cancelled:,}，已完成 {t.completed:,},"
            f"已取消 {t.cancelled:,})",
            f"  服务阶段 {t.stages:,}(已完成 {t.done:,}，已预约 {t.booked:,}，已逾期 {t.late:,},"
            f"待安排 {t.pending:,})",
            f"  收款记录 {t.payments:,}（其中退款 {t.refunds:,}），阶段记录 {t.events:,}",
        ]))
        if extras is not None:
            x = extras.tally
            self.stdout.write("\n".join([
                f"  回访任务 {x.tasks:,}（活动回访 {x.campaign_tasks:,},"
                f"已过期限仍待回访 {x.open_past_due:,}),"
                f"回访记录 {x.records:,}",
                f"  投诉 {x.complaints:,}（处理中 {x.open_complaints:,}),"
                f"投诉处理记录 {x.complaint_events:,}",
                f"  会员 {x.members:,}，积分流水 {x.points:,}",
            ]))

    def _analyse(self) -> None:
        """Fresh statistics (and, on PostgreSQL, the visibility map) for the planner."""
        tables = [m._meta.db_table for m in (
            Customer, Order, OrderStage, StageEvent, Payment, CallbackTask, CallbackRecord, Complaint,
            ComplaintEvent, MemberAccount, MemberCard, CardEvent, PointsEntry, CallbackCampaign)]
        with connection.cursor() as cursor:
            if bench_copy.is_postgresql() and connection.get_autocommit():
                for table in tables:
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
            else:
                cursor.execute("ANALYZE")

    def _ensure_campaigns(self, stores: list[Store], staff: list[_StoreStaff], now: datetime
                          ) -> dict[int, list[CallbackCampaign]]:
        """A dozen holiday, anniversary and promotion campaigns per store over the two years."""
        existing: dict[int, list[CallbackCampaign]] = {}
        for c in CallbackCampaign.objects.filter(store__in=stores, name__startswith="压测·"):
            existing.setdefault(c.store_id, []).append(c)
        new = []
        for store, people in zip(stores, staff, strict=True):
            if store.pk in existing:
                continue
            for name, purpose, days in CAMPAIGNS:
                at = now - timedelta(days=days)
                new.append(CallbackCampaign(name=f"压测·{name}", purpose=purpose, store=store,
                                            created_by_id=people.supervisors[0], created_at=at,
                                            updated_at=at))
        with _keep_given_timestamps(CallbackCampaign), transaction.atomic():
            bench_copy.write([(CallbackCampaign, new, None)])
        for c in new:
            existing.setdefault(c.store_id, []).append(c)
        return existing

    # --- the fixed part: stores, staff, packages (a few queries, not per row) ---------------
    def _ensure_stores(self, count: int) -> tuple[list[Store], int]:
        """Stores B01..Bnn, created only if absent."""
        codes = [f"B{i:02d}" for i in range(1, count + 1)]
        existing = {s.code for s in Store.objects.filter(code__in=codes)}
        new = [Store(code=code, name=f"{STORE_PLACES[i % len(STORE_PLACES)]}{i // len(STORE_PLACES) or ''}店"
                                     "（压测）",
                     address=f"{STORE_PLACES[i % len(STORE_PLACES)]}商圈 {i + 1} 号",
                     phone=f"400-800-{i + 1:04d}")
               for i, code in enumerate(codes) if code not in existing]
        Store.objects.bulk_create(new)
        return list(Store.objects.filter(code__in=codes).order_by("code")), len(new)

    def _ensure_staff(self, stores: list[Store], rng: random.Random) -> tuple[list[_StoreStaff], int]:
        """Departments, logins without usable passwords, profiles and role groups, as
        staff_member_create would make them, for whichever of them are missing."""
        departments = {(d.store_id, d.kind): d.pk for d in Department.objects.filter(store__in=stores)}
        Department.objects.bulk_create(
            Department(store=store, kind=kind, name=str(DepartmentKind(kind).label))
            for store in stores for kind in sorted(set(ROLE_DEPARTMENT.values()))
            if (store.pk, kind) not in departments)
        departments = {(d.store_id, d.kind): d.pk for d in Department.objects.filter(store__in=stores)}

        wanted = {f"{BENCH_USER_PREFIX}{store.code.lower()}_{role}_{n}": (store, role)
                  for store in stores for role, count in STAFF_PLAN for n in range(1, count + 1)}
        existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        # One unusable hash for all: no password hasher runs, and nobody can log in as them.
        unusable = make_password(None)
        new_users = [User(username=username, password=unusable, is_staff=role in ADMIN_ROLES,
                          first_name=self._staff_name(rng))
                     for username, (_, role) in wanted.items() if username not in existing]
        User.objects.bulk_create(new_users)
        users = {u.username: u.pk for u in User.objects.filter(username__in=wanted)}
        with_profile = set(StaffMember.objects.filter(user_id__in=users.values())
                           .values_list("user_id", flat=True))
        StaffMember.objects.bulk_create(
            StaffMember(user_id=users[username], store=store, role=role,
                        department_id=departments[(store.pk, ROLE_DEPARTMENT[role])],
                        level=rng.randint(1, 5), skill_rating=rng.randint(1, 5),
                        mobile=f"139{rng.randrange(10**8):08d}")
            for username, (store, role) in wanted.items() if users[username] not in with_profile)
        groups = {role: Group.objects.get_or_create(name=group_name(role))[0].pk for role, _ in STAFF_PLAN}
        membership = User.groups.through
        membership.objects.bulk_create(
            [membership(user_id=users[u.username], group_id=groups[wanted[u.username][1]])
             for u in new_users], ignore_conflicts=True)

        by_store = {store.pk: _StoreStaff(pk=store.pk) for store in stores}
        pools = {Role.SPECIALIST: "specialists", Role.SUPERVISOR: "supervisors",
                 Role.FRONT_DESK: "front_desk",
                 Role.PHOTOGRAPHER: "photographers", Role.MAKEUP_ARTIST: "makeup_artists",
                 Role.SELECTION_CONSULTANT: "selection_consultants", Role.CASHIER: "cashiers"}
        for store_id, role, user_id in (StaffMember.objects.filter(user_id__in=users.values())
                                        .order_by("user_id").values_list("store_id", "role", "user_id")):
            if role in pools:
                getattr(by_store[store_id], pools[role]).append(user_id)
        for s in by_store.values():
            if not all(getattr(s, pool) for pool in pools.values()):
                raise CommandError(f"门店 #{s.pk} 的压测员工不全，请检查以 {BENCH_USER_PREFIX} 开头的账号。")
        return [by_store[store.pk] for store in stores], len(new_users)

    @staticmethod
    def _staff_name(rng: random.Random) -> str:
        surname = rng.choice(COMMON_SURNAMES + OTHER_SURNAMES)
        chars = rng.choice((FEMALE_GIVEN, MALE_GIVEN))
        return surname + "".join(rng.choice(chars) for _ in range(rng.choice((1, 2))))

    def _ensure_packages(self) -> list[_PackageInfo]:
        """The packages on sale; a handful of typical ones if nothing is on sale yet."""
        if not Package.objects.filter(is_active=True).exists():
            names = {name for name, *_ in DEFAULT_PACKAGES}
            taken = set(Package.objects.filter(name__in=names).values_list("name", flat=True))
            Package.objects.bulk_create(
                Package(name=name, kind=kind, price=Decimal(price), photos_count=photos, album=album,
                        outfits=outfits, includes_gown_selection=gown)
                for name, kind, price, photos, album, outfits, gown in DEFAULT_PACKAGES
                if name not in taken)
        packages = [_PackageInfo(pk=p.pk, kind=p.kind, price=p.price, stage_kinds=p.stage_kinds)
                    for p in Package.objects.filter(is_active=True).order_by("pk")]
        if not packages:
            raise CommandError("没有在售的套系，且默认套系名称已被停售套系占用。")
        return packages
