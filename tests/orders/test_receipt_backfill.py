"""Payments taken before receipts existed get theirs when the database is migrated (orders
0016): numbered per store and year in the order they were paid, the sequences continuing."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_earlier_payments_get_receipts_numbered_in_the_order_they_were_paid():
    old = _migrate([("orders", "0015_the_sale")])
    Store = old.get_model("staff", "Store")
    Customer = old.get_model("customers", "Customer")
    Package = old.get_model("orders", "Package")
    Order = old.get_model("orders", "Order")
    Payment = old.get_model("orders", "Payment")
    User = old.get_model("staff", "User")
    desk = User.objects.create(username="old_desk")
    one, two = Store.objects.create(code="B01", name="一店"), Store.objects.create(code="B02", name="二店")
    package = Package.objects.create(name="旧套系", price=Decimal("5000"))
    payments = {}
    for label, store, paid_at in [
        ("late", one, datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI)),  # 2025 in Shanghai
        ("early", one, datetime(2025, 3, 1, 10, tzinfo=SHANGHAI)),
        ("new_year", one, datetime(2026, 1, 1, 0, 10, tzinfo=SHANGHAI)),
        ("other", two, datetime(2025, 6, 1, 10, tzinfo=SHANGHAI)),
    ]:
        customer = Customer.objects.create(store=store, name=label, mobile=f"1390000{len(payments):04d}")
        order = Order.objects.create(customer=customer, store=store, package=package,
                                     amount=Decimal("5000"))
        payments[label] = Payment.objects.create(order=order, store=store, kind="deposit",
                                                 amount=Decimal("100"), received_by=desk,
                                                 paid_at=paid_at).pk

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(latest)

    from orders.models import Receipt, ReceiptSequence

    numbers = {label: Receipt.objects.get(payment_id=pk).number for label, pk in payments.items()}
    assert numbers == {"early": "B01-2025-000001", "late": "B01-2025-000002",
                       "new_year": "B01-2026-000001", "other": "B02-2025-000001"}
    assert ReceiptSequence.objects.get(store__code="B01", year=2025).last == 2
