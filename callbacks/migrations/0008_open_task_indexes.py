"""The due lists read open tasks in due order from an index (a specialist's, a store's)."""

from django.db import migrations, models


def _statistics(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('callbacks', '0007_record_store_lean_task_indexes'),
    ]

    operations = [
        # A specialist's tasks are all in their store: tell PostgreSQL, or it multiplies the
        # two filters' selectivities and misjudges the due lists' plans.
        migrations.RunPython(_statistics("CREATE STATISTICS IF NOT EXISTS callback_store_owner "
                                         "(dependencies) ON store_id, assigned_to_id "
                                         "FROM callbacks_callbacktask"),
                             _statistics("DROP STATISTICS IF EXISTS callback_store_owner")),
        migrations.AddIndex(
            model_name='callbacktask',
            index=models.Index(condition=models.Q(('status__in', ['pending', 'overdue'])), fields=['assigned_to', 'due_at', 'id'], name='callback_open_by_owner'),
        ),
        migrations.AddIndex(
            model_name='callbacktask',
            index=models.Index(condition=models.Q(('status__in', ['pending', 'overdue'])), fields=['store', 'due_at', 'id'], include=('assigned_to', 'status'), name='callback_open_by_store'),
        ),
    ]
