"""Stages carry whether their order was cancelled; partial indexes serve the stage lists."""

from django.conf import settings
from django.db import migrations, models


def mark_cancelled(apps, schema_editor):
    """Stages of orders already cancelled carry the mark too."""
    schema_editor.execute(
        "UPDATE orders_orderstage SET order_cancelled = %s WHERE order_id IN "
        "(SELECT id FROM orders_order WHERE status = 'cancelled')", [True])


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0009_payment_request_key'),
        ('staff', '0002_monthlytarget'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='orderstage',
            name='orders_orde_store_i_feb9d6_idx',
        ),
        migrations.AddField(
            model_name='orderstage',
            name='order_cancelled',
            field=models.BooleanField(default=False, verbose_name='订单已取消'),
        ),
        migrations.RunPython(mark_cancelled, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='orderstage',
            index=models.Index(condition=models.Q(('order_cancelled', False)), fields=['store', 'kind', 'status', 'scheduled_at'], name='stage_list_count'),
        ),
        migrations.AddIndex(
            model_name='orderstage',
            index=models.Index(condition=models.Q(('order_cancelled', False)), fields=['store', 'kind', 'scheduled_at', '-id'], name='stage_list_page'),
        ),
    ]
