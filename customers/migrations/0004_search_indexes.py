"""Indexes for the one search rule (customers.selectors.customer_search_q) at chain size.

- the mobile's last digits: `reverse(mobile) LIKE '4321%'` uses a b-tree with a pattern
  operator class (the database's collation is not "C", so a plain b-tree cannot serve LIKE);
- part of a name: `name LIKE '%小花%'` uses a trigram index (pg_trgm; CJK characters make
  trigrams under a UTF-8 ctype). Where the extension cannot be created (no privilege), the
  search still works, by scanning.

Operator classes and extensions are PostgreSQL's, so nothing is created on SQLite, the embedded
default, whose data sets are small.
"""
from django.db import migrations

MOBILE_TAIL = ("CREATE INDEX IF NOT EXISTS customer_mobile_tail "
               "ON customers_customer ((reverse(mobile)) text_pattern_ops)")
NAME_TRIGRAM = ("CREATE INDEX IF NOT EXISTS customer_name_trgm "
                "ON customers_customer USING gin (name gin_trgm_ops)")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(MOBILE_TAIL)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        has_trgm = cursor.fetchone() is not None
    if not has_trgm:
        try:
            with schema_editor.connection.cursor() as cursor, _savepoint(schema_editor):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            has_trgm = True
        except Exception:  # no privilege on a managed server: search scans instead
            has_trgm = False
    if has_trgm:
        schema_editor.execute(NAME_TRIGRAM)


def _savepoint(schema_editor):
    from django.db import transaction

    return transaction.atomic(using=schema_editor.connection.alias)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_mobile_tail")
    schema_editor.execute("DROP INDEX IF EXISTS customer_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customerassignment_customernote")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
