"""A call record keeps its task's store (the supervisor's satisfaction trend reads one index);
a callback task drops the indexes its composite and unique indexes already lead with (each one
cost every status change of a million rows)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def records_take_their_task_store(apps, schema_editor):
    CallbackRecord = apps.get_model("callbacks", "CallbackRecord")
    CallbackTask = apps.get_model("callbacks", "CallbackTask")
    CallbackRecord.objects.filter(store__isnull=True).update(store_id=Subquery(
        CallbackTask.objects.filter(pk=OuterRef("task_id")).values("store_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('callbacks', '0006_scripts_for_new_purposes'),
        ('orders', '0010_stage_order_cancelled'),
        ('staff', '0002_monthlytarget'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='callbackrecord',
            name='store',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='staff.store', verbose_name='门店'),
        ),
        migrations.RunPython(records_take_their_task_store, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='callbackrecord',
            name='store',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='staff.store', verbose_name='门店'),
        ),
        migrations.AlterField(
            model_name='callbacktask',
            name='assigned_to',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='callback_tasks', to=settings.AUTH_USER_MODEL, verbose_name='负责客服'),
        ),
        migrations.AlterField(
            model_name='callbacktask',
            name='campaign',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='callbacks.callbackcampaign', verbose_name='回访活动'),
        ),
        migrations.AlterField(
            model_name='callbacktask',
            name='stage',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='callback_tasks', to='orders.orderstage', verbose_name='服务阶段'),
        ),
        migrations.AlterField(
            model_name='callbacktask',
            name='store',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='callback_tasks', to='staff.store', verbose_name='门店'),
        ),
        migrations.AlterField(
            model_name='callbacktask',
            name='walkout',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='followups', to='orders.walkout', verbose_name='走单'),
        ),
        migrations.AddIndex(
            model_name='callbackrecord',
            index=models.Index(fields=['store', 'called_at'], include=('reached', 'satisfaction'), name='record_store_called'),
        ),
    ]
