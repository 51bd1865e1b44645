"""Get the bench database ready (`make bench`'s first step): create it if absent (psycopg2, no
psql needed), migrate, and build the "chain" data set if it is not there, or finish it if an
earlier build was interrupted (whole batches are committed; the rest is appended).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studio_bench python -m bench.prepare
"""
from __future__ import annotations

import os
import sys
import time
from urllib.parse import urlsplit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

CHAIN_CUSTOMERS = 200_000
CHAIN_STORES = 20


def create_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(dbname="postgres", user=parts.username or "postgres",
                            password=parts.password or None, host=parts.hostname or "127.0.0.1",
                            port=parts.port or 5432)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.", flush=True)
    conn.close()


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("make bench measures PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    create_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from customers.models import Customer

    call_command("migrate", interactive=False, verbosity=0)
    have = Customer.objects.filter(store__code__startswith="B").count()
    if have >= CHAIN_CUSTOMERS:
        print(f"Data set present: {have:,} bench customers.", flush=True)
        return 0
    started = time.monotonic()
    options = {"append": True} if have else {}
    call_command("generate_bench_data", customers=CHAIN_CUSTOMERS - have, stores=CHAIN_STORES, **options)
    print(f"Data set built in {time.monotonic() - started:.0f} s.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
