"""16 staff at once on the embedded default (a SQLite file): run by test_sqlite_writers.py in a
process of its own, against a migrated file database named by DATABASE_URL. Prints one JSON line:
how many writes succeeded, were refused by a rule (400) and failed on the database."""
import json
import os
import threading
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.db import OperationalError, connections  # noqa: E402

from customers.models import Customer  # noqa: E402
from membership.services import member_card_issue, points_adjust, points_redeem  # noqa: E402
from orders.models import Package  # noqa: E402
from orders.services import order_create, payment_record  # noqa: E402
from staff.models import Role, StaffMember, Store, User  # noqa: E402
from staff.roles import group_name, roles_sync_groups  # noqa: E402

THREADS = 16


def staff(store, role, username):
    user = User.objects.create(username=username, first_name=username)
    StaffMember.objects.create(user=user, store=store, role=role)
    user.groups.add(Group.objects.get(name=group_name(role)))
    return User.objects.get(pk=user.pk)


def main():
    roles_sync_groups()
    store = Store.objects.create(code="C01", name="并发店")
    desk, lead = staff(store, Role.FRONT_DESK, "desk"), staff(store, Role.SUPERVISOR, "lead")
    customer = Customer.objects.create(store=store, name="并发", mobile="13900009999")
    account = member_card_issue(customer=customer, number="VIPC1", by=desk).account
    points_adjust(account=account, points=1000, by=lead, reason="开卡礼")
    package = Package.objects.create(name="并发套系", price=Decimal("100000"))
    order = order_create(customer=customer, package=package, by=desk)
    connections.close_all()
    barrier = threading.Barrier(THREADS)
    outcome = {"ok": 0, "refused": 0, "database": 0, "errors": []}
    lock = threading.Lock()

    def work(i):
        try:
            barrier.wait()
            if i % 2:
                points_redeem(account=account, points=100, by=desk, note=f"兑换 {i}")
            else:
                payment_record(order=order, kind="deposit", amount=Decimal("100"),
                               received_by=desk)
            result = "ok"
        except ValidationError:
            result = "refused"
        except OperationalError as exc:
            result = "database"
            with lock:
                outcome["errors"].append(str(exc))
        finally:
            connections.close_all()
        with lock:
            outcome[result] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    account.refresh_from_db()
    order.refresh_from_db()
    outcome["points_balance"] = account.points_balance
    outcome["paid_total"] = str(order.paid_total)
    print(json.dumps(outcome, ensure_ascii=False))


if __name__ == "__main__":
    main()
