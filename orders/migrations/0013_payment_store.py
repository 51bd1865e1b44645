"""A payment keeps its order's store, so that a store's money of a month reads one index."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def payments_take_their_store(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Payment = apps.get_model("orders", "Payment")
    Payment.objects.filter(store__isnull=True).update(store_id=Subquery(
        Order.objects.filter(pk=OuterRef("order_id")).values("store_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0012_stage_specialist"),
        ("staff", "0002_monthlytarget"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="store",
            field=models.ForeignKey(db_index=False, editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="staff.store", verbose_name="门店"),
        ),
        migrations.RunPython(payments_take_their_store, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="store",
            field=models.ForeignKey(db_index=False, editable=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="staff.store", verbose_name="门店"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["store", "paid_at"], name="payment_store_paid"),
        ),
    ]
