"""The four tiers a studio starts with (普通, 银卡, 金卡, 钻石); editable in the admin."""
from decimal import Decimal

from django.db import migrations

TIERS = [("普通", 1, "0", "1.00"), ("银卡", 2, "10000", "1.20"), ("金卡", 3, "30000", "1.50"),
         ("钻石", 4, "80000", "2.00")]


def create(apps, schema_editor):
    Tier = apps.get_model("membership", "MemberTier")
    for name, rank, threshold, rate in TIERS:
        Tier.objects.get_or_create(rank=rank, defaults={
            "name": name, "threshold": Decimal(threshold), "earn_rate": Decimal(rate)})


class Migration(migrations.Migration):
    dependencies = [("membership", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
