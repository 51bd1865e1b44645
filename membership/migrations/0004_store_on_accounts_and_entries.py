"""A member account and each ledger line keep the customer's store, so that a store's
membership statistics are counted from one index instead of joining every customer."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def take_the_customers_store(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    MemberAccount = apps.get_model("membership", "MemberAccount")
    PointsEntry = apps.get_model("membership", "PointsEntry")
    MemberAccount.objects.filter(store__isnull=True).update(store_id=Subquery(
        Customer.objects.filter(pk=OuterRef("customer_id")).values("store_id")[:1]))
    PointsEntry.objects.filter(store__isnull=True).update(store_id=Subquery(
        MemberAccount.objects.filter(pk=OuterRef("account_id")).values("store_id")[:1]))


def _store(null):
    return models.ForeignKey(db_index=False, editable=False, null=null,
                             on_delete=django.db.models.deletion.PROTECT, related_name="+",
                             to="staff.store", verbose_name="门店")


class Migration(migrations.Migration):

    dependencies = [
        ("membership", "0003_reconciliation_issue"),
        ("staff", "0002_monthlytarget"),
    ]

    operations = [
        migrations.AddField(model_name="memberaccount", name="store", field=_store(True)),
        migrations.AddField(model_name="pointsentry", name="store", field=_store(True)),
        migrations.RunPython(take_the_customers_store, migrations.RunPython.noop),
        migrations.AlterField(model_name="memberaccount", name="store", field=_store(False)),
        migrations.AlterField(model_name="pointsentry", name="store", field=_store(False)),
        migrations.AddIndex(
            model_name="memberaccount",
            index=models.Index(fields=["store", "tier"], include=("points_balance",),
                               name="member_store_tier"),
        ),
        migrations.AddIndex(
            model_name="pointsentry",
            index=models.Index(fields=["store", "at"], include=("kind", "points"),
                               name="points_store_at"),
        ),
    ]
