"""What a backup must bring back, read from whatever database and storage are configured:
every table's row count, each order's paid total and payment ledger, each member's points
balance and points ledger, the reconciliation's differences, and every media file's SHA-256.
tests/studio/test_backup.py compares this for the original and the restored studio; run as
`python -m tests.studio.backup_check` it prints it as JSON (for a restored database)."""
import hashlib
import json
from decimal import Decimal


def studio_state() -> dict:
    from django.core.files.storage import default_storage
    from django.db import connection
    from django.db.models import Sum

    from membership.models import MemberAccount
    from membership.reconcile import ledger_differences
    from orders.models import Order, PaymentKind
    from studio.backup import _count_rows, _storage_names

    with connection.cursor() as cursor:
        counts = _count_rows(cursor, connection.ops.quote_name,
                             set(connection.introspection.table_names(cursor)))
    paid = {}
    for order in Order.objects.order_by("pk").prefetch_related("payments"):
        ledger = sum((-p.amount if p.kind == PaymentKind.REFUND else p.amount
                      for p in order.payments.all()), Decimal(0))
        paid[str(order.pk)] = [str(order.paid_total), str(ledger)]
    points = {str(a.pk): [a.points_balance, a.entries.aggregate(s=Sum("points"))["s"] or 0]
              for a in MemberAccount.objects.order_by("pk")}
    files = {}
    for name in _storage_names(default_storage):
        with default_storage.open(name, "rb") as f:
            files[name] = hashlib.sha256(f.read()).hexdigest()
    return {"counts": counts, "paid": paid, "points": points, "files": files,
            "differences": [str(d) for d in ledger_differences()]}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(studio_state()))
