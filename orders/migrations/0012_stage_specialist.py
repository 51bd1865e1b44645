"""A stage keeps its customer's specialist, so that a specialist's stage lists read one index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def _statistics(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


def stages_take_their_specialist(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderStage = apps.get_model("orders", "OrderStage")
    OrderStage.objects.update(specialist_id=Subquery(
        Order.objects.filter(pk=OuterRef("order_id")).values("customer__assigned_to_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0011_order_order_store_newest'),
        ('staff', '0002_monthlytarget'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='orderstage',
            name='specialist',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='负责客服'),
        ),
        migrations.RunPython(stages_take_their_specialist, migrations.RunPython.noop),
        # A specialist works in one store: without being told, PostgreSQL multiplies the two
        # filters' selectivities, expects a few dozen rows and sorts them all instead of reading
        # the first page in order from stage_list_specialist.
        migrations.RunPython(_statistics("CREATE STATISTICS IF NOT EXISTS stage_store_specialist "
                                         "(dependencies) ON store_id, specialist_id "
                                         "FROM orders_orderstage"),
                             _statistics("DROP STATISTICS IF EXISTS stage_store_specialist")),
        migrations.AddIndex(
            model_name='orderstage',
            index=models.Index(condition=models.Q(('order_cancelled', False)), fields=['specialist', 'kind', 'scheduled_at', '-id'], include=('status', 'store'), name='stage_list_specialist'),
        ),
    ]
