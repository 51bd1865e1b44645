"""Demo front desk: gowns and outdoor locations, bookings for the coming shoots and
selections, flow cards for done shoots, products being chased, a rework and walk-outs."""
import random
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from frontdesk.flowcards import flow_card_create, rework_request
from frontdesk.models import Gown, OutdoorLocation, ProductionStatus, ProductKind, WalkOutReason
from frontdesk.production import (
    production_arrive,
    production_item_add,
    production_pickup,
    production_qc,
    production_send,
    walkout_record,
)
from frontdesk.schedule import booking_create
from orders.models import Order, OrderStage, Package, StageKind, StageStatus
from staff.models import Role, Store, User
from studio.errors import DomainError

from .orders import SLOT_TIMES, local_slot

LOCATIONS = [("西湖湖滨", "湖滨路", 4), ("太子湾公园", "南山路", 3), ("浙大之江校区", "之江路", 2)]
GOWNS = [("W001", "法式拖尾婚纱", "M", "白"), ("W002", "一字肩蓬蓬纱", "S", "白"),
         ("W003", "中式秀禾服", "M", "红"), ("W004", "鱼尾缎面婚纱", "L", "香槟"),
         ("W005", "森系轻纱", "S", "米白"), ("W006", "晚礼服", "M", "酒红")]
# What an order's products are, and how far each has got: (kind, description, quantity, status).
PRODUCTS = [
    (ProductKind.ALBUM, "", 1, ProductionStatus.SENT),
    (ProductKind.FRAME, "放大框 24 寸（油画布）", 1, ProductionStatus.ARRIVED),
    (ProductKind.FILES, "精修电子档 30 张 + 全部底片（U 盘）", 1, ProductionStatus.QC_PASSED),
    (ProductKind.OTHER, "8 寸水晶摆台", 2, ProductionStatus.PICKED_UP),
    (ProductKind.ALBUM, "", 1, ProductionStatus.QC_FAILED),
    (ProductKind.FRAME, "10 寸实木相框", 2, ProductionStatus.PENDING),
    (ProductKind.OTHER, "定制台历 2027", 1, ProductionStatus.SENT),
]
QC_FAILURES = ["相册第 3 页照片偏色，需返厂重印", "相框边角磕碰，需更换", "内页装订歪斜"]


def _staff(store: Store, role: str) -> list[User]:
    return list(User.objects.filter(staff_profile__store=store, staff_profile__role=role)
                .order_by("pk"))


def demo_seed_frontdesk(*, now: datetime, seed: int = 2030) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"bookings": 0, "flow_cards": 0, "products": 0, "walkouts": 0}
    wedding = list(Package.objects.filter(includes_gown_selection=True))
    booked = 0  # across the stores: each booking starts at the next of the desk's times
    for store_index, store in enumerate(Store.objects.order_by("code")):
        for name, address, cap in LOCATIONS:
            OutdoorLocation.objects.get_or_create(store=store, name=name,
                                                  defaults={"address": address,
                                                            "daily_capacity": cap})
        for code, style, size, colour in GOWNS:
            gown, created = Gown.objects.get_or_create(
                store=store, code=code, defaults={"style": style, "size": size, "colour": colour,
                                                  "addon_price": rng.choice([0, 300, 600])})
            if created:
                gown.packages.set(rng.sample(wedding, k=min(2, len(wedding))))
        desk = _staff(store, Role.FRONT_DESK)[0]
        photographers = _staff(store, Role.PHOTOGRAPHER)
        makeup = _staff(store, Role.MAKEUP_ARTIST)
        # Book the coming fittings, shoots and selections (those scheduled in the future) over
        # the next six days, at the desk's times and spread over the day; a slot whose people
        # are taken is tried at the next time.
        today = timezone.localdate(now)
        for n, stage in enumerate(OrderStage.objects.filter(
                order__store=store, status=StageStatus.SCHEDULED, scheduled_at__gt=now,
                kind__in=[StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION])
                .select_related("order").order_by("scheduled_at")[:12]):
            times = SLOT_TIMES[stage.kind]
            for attempt in range(2 * len(times)):
                start = local_slot(today + timedelta(days=1 + (n + attempt // len(times)) % 6),
                                   times[(booked + attempt) % len(times)])
                try:
                    # The photographer: the least busy free one (booking_create's rule).
                    booking_create(stage=stage, starts_at=start, by=desk,
                                   makeup_artist=makeup[n % len(makeup)]
                                   if stage.kind == StageKind.SHOOT else None, now=now)
                except (ValidationError, DomainError):
                    continue
                counts["bookings"] += 1
                booked += 1
                break
        # Flow cards for recently done shoots; products for orders past selection.
        for order in Order.objects.filter(store=store, stages__kind=StageKind.SHOOT,
                                          stages__status=StageStatus.DONE).distinct()[:8]:
            flow_card_create(order=order, by=desk, photographer=photographers[0],
                             makeup_artist=makeup[0])
            counts["flow_cards"] += 1
        # Products of the orders past selection, at every step of production (催件).
        for i, order in enumerate(Order.objects.filter(store=store, current_stage=StageKind.PICKUP)
                                  .select_related("customer", "package").order_by("pk")[:6]):
            for j in range(2):
                kind, description, quantity, status = PRODUCTS[(2 * i + j + store_index) % len(PRODUCTS)]
                item = production_item_add(order=order, by=desk, kind=kind, quantity=quantity,
                                           description=description or order.package.album)
                _produce(rng, item=item, status=status, by=desk, now=now,
                         picked_up_by=order.customer.name)
                counts["products"] += 1
        first = Order.objects.filter(store=store, current_stage=StageKind.PICKUP).first()
        if first:
            rework_request(order=first, by=desk, reason="客户反映两张照片肤色偏黄",
                           items="精修照片 2 张重新调色")
        for i in range(3):
            walkout_record(store=store, by=desk, name=["周女士", "吴先生", "郑小姐"][i],
                           mobile=f"1{5 + i}9{store_index:02d}00{rng.randrange(10000):04d}",
                           reason=[WalkOutReason.PRICE, WalkOutReason.COMPARING,
                                   WalkOutReason.SCHEDULE][i],
                           visited_at=local_slot(today - timedelta(days=i + 1),
                                                 ["10:40", "14:20", "16:30"][i]),
                           now=now)
            counts["walkouts"] += 1
    return counts


def _produce(rng: random.Random, *, item, status: str, by: User, now: datetime,
             picked_up_by: str) -> None:
    """Take a product through the lab to `status`, through production's services."""
    if status == ProductionStatus.PENDING:
        return
    sent = now - timedelta(days=rng.randint(8, 20), hours=rng.randint(0, 6))
    due_on = timezone.localdate(sent) + timedelta(days=rng.choice([10, 14, 21]))
    production_send(item=item, by=by, due_on=due_on, now=sent)  # some are late at the lab
    if status == ProductionStatus.SENT:
        return
    arrived = sent + timedelta(days=rng.randint(5, 7))
    production_arrive(item=item, by=by, now=arrived)
    if status == ProductionStatus.ARRIVED:
        return
    failed = status == ProductionStatus.QC_FAILED
    production_qc(item=item, by=by, count=item.quantity, passed=not failed,
                  note=rng.choice(QC_FAILURES) if failed else "", now=arrived + timedelta(hours=2))
    if status == ProductionStatus.PICKED_UP:
        production_pickup(item=item, by=by, picked_up_by=picked_up_by,
                          now=min(arrived + timedelta(days=2), now - timedelta(hours=1)))
