"""Each stage carries its order's store, so that a store's stage list reads one index."""
import django.db.models.deletion
from django.db import migrations, models


def copy_store(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE orders_orderstage s SET store_id = o.store_id "
            "FROM orders_order o WHERE o.id = s.order_id AND s.store_id IS NULL")
    else:
        schema_editor.execute(
            "UPDATE orders_orderstage SET store_id = (SELECT o.store_id FROM orders_order o "
            "WHERE o.id = orders_orderstage.order_id) WHERE store_id IS NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_stage_event_time"),
        ("staff", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderstage",
            name="store",
            field=models.ForeignKey(db_index=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="staff.store", verbose_name="门店"),
        ),
        migrations.RunPython(copy_store, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderstage",
            name="store",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="staff.store", verbose_name="门店"),
        ),
        migrations.AddIndex(
            model_name="orderstage",
            index=models.Index(fields=["store", "kind", "status", "scheduled_at"],
                               name="orders_orde_store_i_feb9d6_idx"),
        ),
    ]
