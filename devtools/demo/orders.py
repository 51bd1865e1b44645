"""Demo data for a fresh install: two stores, every role, six packages and ~300 customers.

Built through the same services the staff use, so the demo obeys every rule (stage order,
ledger, balances). Deterministic: the same seed gives the same studio.
"""
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import ContactTime, Customer, SourceChannel, Title
from orders.models import Package, PackageKind, StageKind
from orders.services import order_create, payment_record, stage_complete, stage_schedule
from staff.models import Department, DepartmentKind, Role, StaffMember, Store
from staff.services import staff_member_create

DEMO_PASSWORD = "studio-demo"

STORES = [
    ("S01", "星光影楼·人民路店", "人民路 88 号", "0571-88880001"),
    ("S02", "星光影楼·滨江店", "江南大道 1200 号", "0571-88880002"),
]

# (username, full name, store index, role, skill): the demo logins listed in the README.
DEMO_LOGINS = [
    ("specialist1", "王晓丽", 0, Role.SPECIALIST, 4),
    ("specialist2", "李静", 0, Role.SPECIALIST, 3),
    ("supervisor", "陈美华", 0, Role.SUPERVISOR, 5),
    ("frontdesk", "赵雪", 0, Role.FRONT_DESK, 3),
    ("manager", "刘建国", 0, Role.STORE_MANAGER, 4),
    ("manager2", "孙海涛", 1, Role.STORE_MANAGER, 4),
    ("gm", "周志强", 0, Role.GENERAL_MANAGER, 5),
]

# Staff without a demo login (no usable password): they are assigned to stages and customers.
# People's own names: the dashboards, the day sheet and the flow cards show them.
OTHER_STAFF = [
    ("s1_photo1", "林志鹏", 0, Role.PHOTOGRAPHER), ("s1_photo2", "黄俊杰", 0, Role.PHOTOGRAPHER),
    ("s1_makeup1", "吴佳怡", 0, Role.MAKEUP_ARTIST), ("s1_select1", "郑雅琪", 0, Role.SELECTION_CONSULTANT),
    ("s1_design1", "冯子轩", 0, Role.DESIGNER), ("s1_cashier", "何丽娟", 0, Role.CASHIER),
    ("s2_spec1", "许梦瑶", 1, Role.SPECIALIST), ("s2_spec2", "邓思远", 1, Role.SPECIALIST),
    ("s2_super", "曹慧敏", 1, Role.SUPERVISOR), ("s2_front", "彭雨欣", 1, Role.FRONT_DESK),
    ("s2_photo1", "蒋浩然", 1, Role.PHOTOGRAPHER), ("s2_makeup1", "沈晓雯", 1, Role.MAKEUP_ARTIST),
    ("s2_select1", "韩明轩", 1, Role.SELECTION_CONSULTANT),
]

ROLE_DEPARTMENT = {
    Role.SPECIALIST: DepartmentKind.CUSTOMER_SERVICE, Role.SUPERVISOR: DepartmentKind.CUSTOMER_SERVICE,
    Role.FRONT_DESK: DepartmentKind.SALES, Role.STORE_MANAGER: DepartmentKind.MANAGEMENT,
    Role.GENERAL_MANAGER: DepartmentKind.MANAGEMENT, Role.PHOTOGRAPHER: DepartmentKind.PHOTOGRAPHY,
    Role.MAKEUP_ARTIST: DepartmentKind.MAKEUP, Role.SELECTION_CONSULTANT: DepartmentKind.SELECTION_DESIGN,
    Role.DESIGNER: DepartmentKind.SELECTION_DESIGN, Role.CASHIER: DepartmentKind.FINANCE,
}

PACKAGES = [
    ("经典婚纱照", PackageKind.WEDDING, "5999", 30, "12 寸水晶相册", 3, True),
    ("韩式浪漫婚纱照", PackageKind.WEDDING, "8999", 45, "14 寸皮质相册 + 放大框", 4, True),
    ("海景旅拍婚纱照", PackageKind.WEDDING, "15999", 60, "16 寸典藏相册 + 放大框 ×2", 5, True),
    ("宝宝百天照", PackageKind.CHILDREN, "1999", 15, "8 寸成长册", 2, False),
    ("儿童成长套系", PackageKind.CHILDREN, "3999", 25, "10 寸成长册 + 摆台", 3, False),
    ("温馨全家福", PackageKind.FAMILY, "2999", 20, "12 寸相册", 2, False),
]

SCENES = ["室内实景棚", "欧式城堡景", "森系花园景", "中式庭院景", "海边外景", "城市街拍"]
LOCATIONS = ["西湖湖滨", "太子湾公园", "浙大之江校区", "九溪烟树", "千岛湖", ""]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = ["丽", "静", "敏", "婷", "雪", "芳", "娜", "燕", "洁", "颖", "慧", "琳", "倩", "欣", "怡",
         "佳", "晨", "雨", "萱", "涵", "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超",
         "浩", "宇", "鹏", "辉", "峰", "子", "梓", "思", "若", "嘉"]
# The demo's opening hours (the product has no setting for them): people come in, shoot and
# pay between these, at the times a front desk gives out (a shoot takes four hours, a fitting
# or a selection two, and ends before closing), mornings and afternoons in turn.
OPENS, CLOSES = time(9, 0), time(18, 0)
SLOT_TIMES = {
    StageKind.GOWN: ["09:30", "14:00", "10:30", "15:30", "13:30"],
    StageKind.SHOOT: ["09:00", "13:30", "09:30", "14:00", "10:00", "13:00"],
    StageKind.SELECTION: ["10:00", "15:00", "11:00", "16:00", "13:30"],
}
DESK_TIMES = ["09:40", "10:15", "11:20", "13:50", "14:45", "15:30", "16:10", "17:05"]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
                   "155", "156", "158", "159", "176", "177", "180", "181", "186", "187", "188",
                   "189", "199"]


def demo_present() -> bool:
    return Store.objects.filter(code=STORES[0][0]).exists()


@transaction.atomic
def demo_seed(*, customers_per_store: int = 150, seed: int = 2026, now=None) -> dict[str, int]:
    """Create the demo studio once. Returns counts; a second call changes nothing."""
    if demo_present():
        return {}
    rng = random.Random(seed)
    stores = []
    for code, name, address, phone in STORES:
        store = Store.objects.create(code=code, name=name, address=address, phone=phone)
        Department.objects.bulk_create(
            Department(store=store, kind=kind, name=str(kind.label)) for kind in DepartmentKind)
        stores.append(store)
    departments = {(d.store_id, d.kind): d for d in Department.objects.all()}

    def member(username, full_name, store_i, role, *, password, skill=3):
        store = stores[store_i]
        return staff_member_create(
            username=username, password=password, full_name=full_name, store=store, role=role,
            department=departments[(store.pk, ROLE_DEPARTMENT[role])], skill_rating=skill,
            mobile=f"139{rng.randrange(10**8):08d}")

    staff = {}
    for username, full_name, store_i, role, skill in DEMO_LOGINS:
        staff[username] = member(username, full_name, store_i, role, password=DEMO_PASSWORD,
                                 skill=skill)
    for username, full_name, store_i, role in OTHER_STAFF:
        staff[username] = member(username, full_name, store_i, role, password=None)
        staff[username].user.set_unusable_password()
        staff[username].user.save(update_fields=["password"])

    packages = [Package.objects.create(name=n, kind=k, price=Decimal(p), photos_count=c, album=a,
                                       outfits=o, includes_gown_selection=g)
                for n, k, p, c, a, o, g in PACKAGES]

    now = now or timezone.now()
    counts = {"customers": 0, "orders": 0}
    used_mobiles: set[str] = set()
    for store in stores:
        by_role = {}
        for m in StaffMember.objects.filter(store=store).select_related("user"):
            by_role.setdefault(m.role, []).append(m.user)
        specialists = by_role[Role.SPECIALIST]
        front = by_role[Role.FRONT_DESK][0]
        for i in range(customers_per_store):
            _demo_customer(rng, store=store, now=now, index=i, packages=packages,
                           specialists=specialists, front=front, by_role=by_role,
                           used_mobiles=used_mobiles)
            counts["customers"] += 1
            counts["orders"] += 1
    counts["staff"] = len(staff)
    counts["packages"] = len(packages)
    from .frontdesk import demo_seed_frontdesk  # the desk's demo builds on the orders

    counts.update(demo_seed_frontdesk(now=now))
    return counts


def local_slot(day: date, hm: str) -> datetime:
    """`day` at `hm` ("HH:MM"), the studio's local time, aware."""
    return timezone.make_aware(datetime.combine(day, time.fromisoformat(hm)))


def _slot(rng: random.Random, kind: str, day: date) -> datetime:
    return local_slot(day, rng.choice(SLOT_TIMES.get(kind, DESK_TIMES)))


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if mobile not in used:
            used.add(mobile)
            return mobile


def _demo_customer(rng, *, store, now, index, packages, specialists, front, by_role, used_mobiles):
    """One customer with one order, advanced to a random stage, on the studio's opening hours;
    one in five paid in full when signing, the others a deposit (some late, some owing)."""
    package = rng.choice(packages)
    is_child = package.kind == PackageKind.CHILDREN
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    today = timezone.localdate(now)
    yesterday = today - timedelta(days=1)
    # One order in eight was signed this month (before today), the others over 20-200 days.
    this_month = today.day - 1
    days_ago = rng.randint(1, this_month) if index % 8 == 3 and this_month else rng.randint(20, 200)
    created = local_slot(today - timedelta(days=days_ago), rng.choice(DESK_TIMES))
    customer = Customer.objects.create(
        store=store, name=name, mobile=_mobile(rng, used_mobiles),
        title=Title.PARENT if is_child else rng.choice([Title.MS, Title.MISS, Title.MR]),
        wechat=f"wx_{rng.randrange(10**6):06d}" if rng.random() < 0.7 else "",
        source=rng.choice(SourceChannel.values),
        wedding_on=(now + timedelta(days=rng.randint(-30, 240))).date() if not is_child else None,
        child_birthday_on=(now - timedelta(days=rng.randint(90, 2000))).date() if is_child else None,
        preferred_contact_time=rng.choice(ContactTime.values),
        # One in eight waits for the supervisor to assign a specialist (L20 资料处理).
        assigned_to=None if index % 8 == 7 else specialists[index % len(specialists)],
        # Regular customers (老客户): the membership demo gives them cards.
        is_vip=index % 4 == 1 or rng.random() < 0.12,
    )
    order = order_create(customer=customer, package=package, by=front,
                         discount=Decimal(rng.choice([0, 0, 200, 500])),
                         scene=rng.choice(SCENES), at=created)
    method = rng.choice(["wechat", "alipay", "cash", "card"])
    paid_in_full = index % 5 == 0
    deposit = min(Decimal(rng.choice([1000, 2000, 3000])), (order.total_due / 2).quantize(Decimal(100)))
    payment_record(order=order, kind="deposit", amount=deposit,
                   received_by=front, method=method, paid_at=created)
    if paid_in_full:  # 全款: the rest paid at the same visit
        payment_record(order=order, kind="balance", amount=order_balance(order), received_by=front,
                       method=method, paid_at=created + timedelta(minutes=5))
    kinds = package.stage_kinds[1:]
    reached = rng.randint(0, len(kinds))  # how many later stages are done
    at = created
    for kind in kinds[:reached]:
        # Done on a later day at one of the desk's times; yesterday at the latest.
        day = min(timezone.localdate(at) + timedelta(days=rng.randint(3, 15)), yesterday)
        when = _slot(rng, kind, day)
        at = when if when > at else at + timedelta(minutes=30)
        extra = Decimal(rng.choice([0, 0, 800, 1500, 3000])) if kind in (
            StageKind.GOWN, StageKind.SELECTION) else Decimal(0)
        if kind == StageKind.PICKUP and (owed := order_balance(order)) > 0:
            # The balance is settled at pickup (L188); earlier stages may still owe.
            payment_record(order=order, kind="balance", amount=owed, received_by=front, paid_at=at)
        stage_complete(order=order, kind=kind, by=front, at=at,
                       assigned_to=_staff_for(rng, kind, by_role),
                       makeup_artist=(rng.choice(by_role[Role.MAKEUP_ARTIST])
                                      if kind == StageKind.SHOOT else None),
                       location=rng.choice(LOCATIONS) if kind == StageKind.SHOOT else None,
                       extra_amount=extra, extra_note="加选精修 10 张" if extra else "",
                       picked_up_by=customer.name if kind == StageKind.PICKUP else "")
    if reached < len(kinds):
        kind = kinds[reached]
        roll = rng.random()
        if roll < 0.25:  # late: booked for a time that has passed, not done
            when = _slot(rng, kind, today - timedelta(days=rng.randint(1, 6)))
        elif roll < 0.8:
            day = today + timedelta(days=rng.randint(0, 20))
            when = _slot(rng, kind, day)
            if when <= now:  # today's slot has gone: the next day's
                when = _slot(rng, kind, day + timedelta(days=1))
        else:
            when = None  # not booked yet
        if when is not None:
            stage_schedule(order=order, kind=kind, at=when, by=front, now=when - timedelta(days=1),
                           assigned_to=_staff_for(rng, kind, by_role),
                           location=rng.choice(LOCATIONS) if kind == StageKind.SHOOT else None)
    order_balance(order)
    if order.extras_total > 0 and order.balance_owed > 0 and (paid_in_full or rng.random() < 0.5):
        payment_record(order=order, kind="addon", amount=min(order.extras_total, order.balance_owed),
                       received_by=front, paid_at=min(at, now))


def order_balance(order) -> Decimal:
    order.refresh_from_db(fields=["paid_total", "extras_total", "balance_owed"])
    return order.balance_owed


def _staff_for(rng, kind, by_role):
    role = {StageKind.SHOOT: Role.PHOTOGRAPHER, StageKind.SELECTION: Role.SELECTION_CONSULTANT,
            StageKind.GOWN: Role.MAKEUP_ARTIST}.get(kind, Role.FRONT_DESK)
    return rng.choice(by_role[role])
