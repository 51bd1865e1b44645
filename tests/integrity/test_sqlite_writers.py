"""The embedded default takes concurrent work (issue 17 item 2): on a SQLite file, 16 staff
writing at once — points redemptions and payments — all wait their turn; none sees "database is
locked". Without IMMEDIATE transactions (studio/settings.py) 15 of the 16 failed at once.

The test database is in memory, shared between threads by a cache that locks whole tables; the
product runs on a file: so the 16 writers run in a process of their own (sqlite_writers.py)
against a freshly migrated file in tmp_path, with the project's settings."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite",
                                reason="the embedded default's test (SQLite); PostgreSQL has "
                                       "its own races in test_ledger_races.py")


def _run(args: list[str], env: dict) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_sixteen_writers_at_once_on_a_sqlite_file_all_get_their_turn(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'studio.sqlite3'}",
           "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "studio.settings"}
    env.pop("STUDIO_TEST_CLOCK", None)
    _run(["manage.py", "migrate", "-v0"], env)
    outcome = json.loads(_run([str(ROOT / "tests" / "integrity" / "sqlite_writers.py")],
                              env).strip().splitlines()[-1])
    assert outcome["database"] == 0, outcome["errors"][:3]
    assert outcome["ok"] == 16
    # 8 deposits of ¥100; 8 redemptions of 100 points from 1,000 (+ 800 earned by the deposits).
    assert outcome["paid_total"] == "800.00"
    assert outcome["points_balance"] == 1000
