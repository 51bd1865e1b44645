"""Every payment and refund has a receipt (issue 16): the payments taken before receipts existed
get theirs, numbered per store and year in the order they were paid, and each store's year
sequence continues after them."""
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

BATCH = 2000


def backfill(apps, schema_editor):
    Payment = apps.get_model("orders", "Payment")
    Receipt = apps.get_model("orders", "Receipt")
    ReceiptSequence = apps.get_model("orders", "ReceiptSequence")
    Store = apps.get_model("staff", "Store")
    zone = ZoneInfo(settings.TIME_ZONE)
    codes = dict(Store.objects.values_list("pk", "code"))
    last = {(s.store_id, s.year): s.last for s in ReceiptSequence.objects.all()}
    now = timezone.now()
    batch = []
    payments = (Payment.objects.filter(receipt__isnull=True).order_by("paid_at", "pk")
                .values_list("pk", "store_id", "paid_at"))
    for pk, store_id, paid_at in payments.iterator(chunk_size=BATCH):
        year = paid_at.astimezone(zone).year
        serial = last.get((store_id, year), 0) + 1
        last[(store_id, year)] = serial
        batch.append(Receipt(payment_id=pk, store_id=store_id, year=year, serial=serial,
                             number=f"{codes[store_id]}-{year}-{serial:06d}", issued_at=now))
        if len(batch) >= BATCH:
            Receipt.objects.bulk_create(batch)
            batch = []
    Receipt.objects.bulk_create(batch)
    for (store_id, year), serial in last.items():
        ReceiptSequence.objects.update_or_create(store_id=store_id, year=year,
                                                 defaults={"last": serial})


class Migration(migrations.Migration):
    dependencies = [("orders", "0015_the_sale")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
