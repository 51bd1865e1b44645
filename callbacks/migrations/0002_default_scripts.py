"""Version 1 of the call scripts, from the studio's own duty document (seed L32-L38)."""
from django.db import migrations

from callbacks.default_scripts import SCRIPTS, default_script_texts

def create(apps, schema_editor):
    Script = apps.get_model("callbacks", "CallbackScript")
    for purpose in SCRIPTS:
        Script.objects.get_or_create(purpose=purpose, version=1,
                                     defaults=default_script_texts(purpose))


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
