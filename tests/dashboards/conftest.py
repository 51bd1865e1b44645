"""The March fixture of the targets and the manager dashboard.

All times are local (Asia/Shanghai). Store 人民路店 (S01); departments 门市部 (sales),
选片/设计 (sel), 摄影部 (photo), 化妆部 (makeup); people sales1, sales2 (门市部), sel1 (选片),
photo1 (摄影部), mua1 (化妆部); the store manager has no department.

  order  consultant  booked       agreed    payments                     stages (extra, by)
  A      sales1      03-03 10:00  6000      deposit 2000 03-03           gown 03-08 +500 sel1
                                            balance 4000 03-20           shoot 03-10, card photo1+mua1
                                                                         selection 03-15 +1200 sel1
  B      sales1      03-05 10:00  8000−500  deposit 3000 03-05           gown 03-06 +300 sel1
                     cancelled 03-26        refund 1000 03-25
  C      sales2      02-27 10:00  5000      deposit 2000 02-27           gown 02-28 +400 sel1
                     (February)             balance 3000 03-01 00:05     shoot 03-01 09:00, card photo1
                                            (02-28 UTC)                  selection 03-18 +800 sel1
  D      sales2      03-31 23:30  4000      deposit 1000 04-01 00:10 (April)
  F      manager     03-12 10:00  3000      deposit 500 03-12
  X      (滨江店)    03-10 10:00  9999      deposit 9999 03-10           → another store

Targets (set on 02-20): store 10 / 50000 / 10000 / 30000; 门市部 8 / 40000 / 0 / 0;
选片 upsell 10000; sales1 5 / 20000; photo1 performance 12000.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from frontdesk.flowcards import flow_card_create
from orders.models import Order
from orders.services import order_cancel, order_create, payment_record, stage_complete
from staff.models import Department, DepartmentKind, Role
from staff.targets import target_set
from tests.factories import CustomerFactory, PackageFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = date(2025, 3, 1)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(3, 20, 12)
D = Decimal


@dataclass
class Fixture:
    store: object
    depts: dict
    people: dict
    orders: dict


def make_order(customer_store, package, consultant, booked: datetime, amount, discount=0):
    customer = CustomerFactory(store=customer_store)
    order = order_create(customer=customer, package=package, by=consultant, consultant=consultant,
                         amount=D(amount), discount=D(discount), at=booked)
    Order.objects.filter(pk=order.pk).update(created_at=booked)  # booked on that day
    order.refresh_from_db()
    return order


@pytest.fixture
def march(store, other_store, staff_of, manager) -> Fixture:
    depts = {key: Department.objects.create(store=store, kind=kind, name=name)
             for key, kind, name in [("sales", DepartmentKind.SALES, "门市部"),
                                     ("sel", DepartmentKind.SELECTION_DESIGN, "选片部"),
                                     ("photo", DepartmentKind.PHOTOGRAPHY, "摄影部"),
                                     ("makeup", DepartmentKind.MAKEUP, "化妆部")]}
    people = {name: staff_of(role, department=depts[dept], user__username=name).user
              for name, role, dept in [("sales1", Role.FRONT_DESK, "sales"),
                                       ("sales2", Role.FRONT_DESK, "sales"),
                                       ("sel1", Role.SELECTION_CONSULTANT, "sel"),
                                       ("photo1", Role.PHOTOGRAPHER, "photo"),
                                       ("mua1", Role.MAKEUP_ARTIST, "makeup")]}
    people["manager"] = manager
    far = staff_of(Role.FRONT_DESK, other_store, user__username="far_sales").user
    package = PackageFactory(name="经典婚纱照")
    s1, s2, sel, photo, mua = (people[k] for k in ("sales1", "sales2", "sel1", "photo1", "mua1"))

    a = make_order(store, package, s1, at(3, 3), 6000)
    payment_record(order=a, kind="deposit", amount=2000, received_by=s1, paid_at=at(3, 3))
    payment_record(order=a, kind="balance", amount=4000, received_by=s1, paid_at=at(3, 20, 9))
    stage_complete(order=a, kind="gown", by=sel, assigned_to=sel, at=at(3, 8), extra_amount=500)
    flow_card_create(order=a, by=s1, photographer=photo, makeup_artist=mua, complete_shoot=True,
                     at=at(3, 10))
    stage_complete(order=a, kind="selection", by=sel, assigned_to=sel, at=at(3, 15),
                   extra_amount=1200)

    b = make_order(store, package, s1, at(3, 5), 8000, discount=500)
    payment_record(order=b, kind="deposit", amount=3000, received_by=s1, paid_at=at(3, 5))
    stage_complete(order=b, kind="gown", by=sel, assigned_to=sel, at=at(3, 6), extra_amount=300)
    payment_record(order=b, kind="refund", amount=1000, received_by=s1, paid_at=at(3, 25))
    order_cancel(order=b, by=manager, reason="客户取消")

    c = make_order(store, package, s2, at(2, 27), 5000)
    payment_record(order=c, kind="deposit", amount=2000, received_by=s2, paid_at=at(2, 27))
    payment_record(order=c, kind="balance", amount=3000, received_by=s2, paid_at=at(3, 1, 0, 5))
    stage_complete(order=c, kind="gown", by=sel, assigned_to=sel, at=at(2, 28), extra_amount=400)
    flow_card_create(order=c, by=s2, photographer=photo, complete_shoot=True, at=at(3, 1, 9))
    stage_complete(order=c, kind="selection", by=sel, assigned_to=sel, at=at(3, 18),
                   extra_amount=800)

    d = make_order(store, package, s2, at(3, 31, 23, 30), 4000)
    payment_record(order=d, kind="deposit", amount=1000, received_by=s2, paid_at=at(4, 1, 0, 10))

    f = make_order(store, package, manager, at(3, 12), 3000)
    payment_record(order=f, kind="deposit", amount=500, received_by=manager, paid_at=at(3, 12))

    x = make_order(other_store, package, far, at(3, 10), 9999)
    payment_record(order=x, kind="deposit", amount=9999, received_by=far, paid_at=at(3, 10))

    set_on = at(2, 20)
    for kwargs in [
        {"orders_target": 10, "revenue_target": 50000, "upsell_target": 10000,
         "performance_target": 30000},
        {"department": depts["sales"], "orders_target": 8, "revenue_target": 40000},
        {"department": depts["sel"], "upsell_target": 10000},
        {"person": s1, "orders_target": 5, "revenue_target": 20000},
        {"person": photo, "performance_target": 12000},
    ]:
        target_set(by=manager, store=store, month=MARCH, now=set_on, **kwargs)
    return Fixture(store, depts, people, {"A": a, "B": b, "C": c, "D": d, "F": f, "X": x})
