"""A walk-out's follow-up calls point at the walk-out in its new app: state only.
"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('callbacks', '0008_open_task_indexes'),
        ('frontdesk', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.AlterField(
                    model_name='callbacktask',
                    name='walkout',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='followups', to='frontdesk.walkout', verbose_name='走单'),
                ),
        ]),
    ]
