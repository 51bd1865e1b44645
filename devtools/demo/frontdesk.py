"""Demo front desk: gowns and outdoor locations, bookings for the coming shoots and
selections, flow cards for done shoots, products being chased, a rework and walk-outs."""
import random
from datetime import datetime, timedelta

from django.utils import timezone

from frontdesk.flowcards import flow_card_create, rework_request
from frontdesk.models import Gown, OutdoorLocation, ProductKind, WalkOutReason
from frontdesk.production import production_item_add, walkout_record
from frontdesk.schedule import booking_create
from orders.models import Order, OrderStage, Package, StageKind, StageStatus
from staff.models import Role, Store, User

LOCATIONS = [("西湖湖滨", "湖滨路", 4), ("太子湾公园", "南山路", 3), ("浙大之江校区", "之江路", 2)]
GOWNS = [("W001", "法式拖尾婚纱", "M", "白"), ("W002", "一字肩蓬蓬纱", "S", "白"),
         ("W003", "中式秀禾服", "M", "红"), ("W004", "鱼尾缎面婚纱", "L", "香槟"),
         ("W005", "森系轻纱", "S", "米白"), ("W006", "晚礼服", "M", "酒红")]


def _staff(store: Store, role: str) -> list[User]:
    return list(User.objects.filter(staff_profile__store=store, staff_profile__role=role)
                .order_by("pk"))


def demo_seed_frontdesk(*, now: datetime, seed: int = 2030) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"bookings": 0, "flow_cards": 0, "products": 0, "walkouts": 0}
    wedding = list(Package.objects.filter(includes_gown_selection=True))
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
        # Book the coming shoots and selections (those scheduled in the future).
        day = 0
        for stage in (OrderStage.objects.filter(order__store=store, status=StageStatus.SCHEDULED,
                                                scheduled_at__gt=now,
                                                kind__in=[StageKind.SHOOT, StageKind.SELECTION])
                      .select_related("order").order_by("scheduled_at")[:12]):
            day += 1
            start = (timezone.localtime(now) + timedelta(days=1 + day % 6)).replace(
                hour=[9, 10, 14, 15][day % 4], minute=0, second=0, microsecond=0)
            try:
                booking_create(stage=stage, starts_at=start, by=desk,
                               photographer=photographers[day % len(photographers)]
                               if stage.kind == StageKind.SHOOT else None,
                               makeup_artist=makeup[0] if stage.kind == StageKind.SHOOT else None,
                               now=now)
                counts["bookings"] += 1
            except Exception:  # a demo slot that conflicts is simply skipped
                continue
        # Flow cards for recently done shoots; products for orders past selection.
        for order in Order.objects.filter(store=store, stages__kind=StageKind.SHOOT,
                                          stages__status=StageStatus.DONE).distinct()[:8]:
            flow_card_create(order=order, by=desk, photographer=photographers[0],
                             makeup_artist=makeup[0])
            counts["flow_cards"] += 1
        for order in Order.objects.filter(store=store, current_stage=StageKind.PICKUP)[:6]:
            for kind in (ProductKind.ALBUM, ProductKind.FRAME):
                production_item_add(order=order, by=desk, kind=kind,
                                    description="12 寸相册" if kind == ProductKind.ALBUM
                                    else "放大框 24 寸")
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
                           visited_at=now - timedelta(days=i + 1, hours=3), now=now)
            counts["walkouts"] += 1
    return counts
