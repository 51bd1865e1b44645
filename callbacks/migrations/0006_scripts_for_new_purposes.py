"""Version 1 of the reminder, greeting and walk-out scripts (the purposes added later)."""
from django.db import migrations

from callbacks.default_scripts import default_script_texts


def create(apps, schema_editor):
    Script = apps.get_model("callbacks", "CallbackScript")
    for purpose in ("reminder", "greeting", "walkout"):
        Script.objects.get_or_create(purpose=purpose, version=1,
                                     defaults=default_script_texts(purpose))


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0005_callbacktask_walkout_alter_callbackcampaign_purpose_and_more")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
