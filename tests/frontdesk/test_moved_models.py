"""The front desk's models moved from orders to their own app (issue 15) by a state-only
migration: an existing database keeps every row in the same tables, and the models' content
types, and so the roles' permissions on them, follow them to the new app."""
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0013_payment_store"), ("callbacks", "0008_open_task_indexes"),
          ("frontdesk", None), ("staff", "0002_monthlytarget")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_keeps_its_front_desk_rows_and_permissions_through_the_move():
    old = _migrate(BEFORE)
    Store = old.get_model("staff", "Store")
    Gown = old.get_model("orders", "Gown")
    store = Store.objects.create(code="M01", name="迁移店")
    gown_pk = Gown.objects.create(store=store, code="G-1", style="白纱").pk
    assert Permission.objects.filter(content_type__app_label="orders",
                                     codename="add_booking").exists()

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(latest)

    from frontdesk.models import Gown as MovedGown

    assert MovedGown._meta.db_table == "orders_gown"
    assert MovedGown.objects.get(pk=gown_pk).style == "白纱"
    assert Permission.objects.filter(content_type__app_label="frontdesk",
                                     codename="add_booking").exists()
    assert not Permission.objects.filter(content_type__app_label="orders",
                                         codename="add_booking").exists()
