"""Backup and restore (studio.backup, issue 18): a studio with customers, an order and its payment
ledger, a member and their points ledger and a complaint closed with the customer's signature is
backed up, restored into a fresh database (SQLite file, or a new PostgreSQL database when the
suite runs on PostgreSQL) and a fresh media folder, and every row, ledger and file is back. A
corrupted backup and a database holding data are refused; old backups are pruned."""
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from complaints.services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
)
from membership.services import points_redeem
from orders.services import order_create, payment_record
from staff.models import Department, DepartmentKind, Role
from studio.backup import backup_create, backup_verify, backups_prune, media_restore
from studio.tasks import backup_task

from ..complaints.conftest import SIGNATURE
from ..complaints.factories import ComplaintFactory
from ..factories import CustomerFactory, MemberAccountFactory
from .backup_check import studio_state

pytestmark = pytest.mark.django_db(transaction=True)  # the dump reads what is committed


@pytest.fixture
def studio_with_data(store, specialist, front_desk, supervisor, package, staff_of):
    """Two customers, an order paid in two instalments and partly refunded, a member who
    earned and redeemed points, and a complaint closed with the customer's signature."""
    zhang = CustomerFactory(store=store, assigned_to=specialist, name="张三")
    li = CustomerFactory(store=store, assigned_to=specialist, name="李四")
    member = MemberAccountFactory(customer=zhang, by=front_desk, points=800,
                                  adjusted_by=supervisor)
    order = order_create(customer=zhang, package=package, by=front_desk)
    payment_record(order=order, kind="deposit", amount="1000", received_by=front_desk)
    payment_record(order=order, kind="balance", amount="500", received_by=front_desk)
    payment_record(order=order, kind="refund", amount="200", received_by=front_desk)
    order_create(customer=li, package=package, by=front_desk)
    points_redeem(account=member, points=300, by=front_desk, note="兑换相框")
    department = Department.objects.get_or_create(
        store=store, kind=DepartmentKind.CUSTOMER_SERVICE, defaults={"name": "客服部"})[0]
    complaint = ComplaintFactory(store=store, by=specialist, customer=li, content="相册有划痕")
    complaint_judge(complaint=complaint, by=specialist, valid=True, reason="确有划痕",
                    department=department, promised_at=timezone.now() + timedelta(days=2))
    complaint_investigate(complaint=complaint, by=specialist, cause="装裱时划伤",
                          responsible_staff=staff_of(Role.DESIGNER).user)
    solution = complaint_propose(complaint=complaint, by=specialist, kind="remake",
                                 description="免费重做相册", cost=300)
    complaint_approve(complaint=complaint, by=supervisor, solution=solution, comment="同意")
    complaint = complaint_implement(complaint=complaint, by=supervisor, accepted=True,
                                    signature_data_url=SIGNATURE, feedback="满意")
    assert complaint.signature.name
    order.refresh_from_db()
    assert order.paid_total == Decimal("1300.00")
    return complaint


def _run(argv: list[str], *, database_url: str, media: Path) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_S3_")}
    environ.update(DJANGO_SETTINGS_MODULE="tests.studio.backup_settings",
                   DATABASE_URL=database_url, STUDIO_TEST_MEDIA_ROOT=str(media))
    return subprocess.run([sys.executable, *argv], cwd=settings.BASE_DIR, env=environ,
                          capture_output=True, text=True, timeout=300)


def _restore_and_read(backup: Path, *, database_url: str, media: Path) -> dict:
    restored = _run(["manage.py", "restore", str(backup)], database_url=database_url, media=media)
    assert restored.returncode == 0, restored.stderr
    assert "各表行数与清单一致" in restored.stdout
    state = _run(["-m", "tests.studio.backup_check"], database_url=database_url, media=media)
    assert state.returncode == 0, state.stderr
    return json.loads(state.stdout)


def _assert_everything_back(original: dict, restored: dict, manifest: dict) -> None:
    assert restored["counts"] == original["counts"] == manifest["row_counts"]
    assert original["counts"]["orders_payment"] == 3
    assert original["counts"]["complaints_complaint"] == 1
    assert restored["paid"] == original["paid"]
    assert all(Decimal(paid) == Decimal(ledger) for paid, ledger in restored["paid"].values())
    assert restored["points"] == original["points"]
    assert all(balance == ledger for balance, ledger in restored["points"].values())
    assert restored["differences"] == [] == original["differences"]
    assert restored["files"] == original["files"]
    assert any(name.startswith("signatures/") for name in restored["files"])


@pytest.fixture
def fresh_postgresql_url():
    """A new, empty database on the test database's server; dropped afterwards."""
    import psycopg2

    db = connection.settings_dict
    name = f"restore_test_{uuid.uuid4().hex[:10]}"
    params = {"dbname": "postgres", "user": db["USER"], "password": db["PASSWORD"] or None,
              "host": db["HOST"] or None, "port": db["PORT"] or None}
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    yield f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the suite runs on PostgreSQL")
def test_a_sqlite_backup_restores_into_a_fresh_database_with_every_record_and_file(
        studio_with_data, tmp_path):
    backup = backup_create(dest=tmp_path / "backups")
    assert backup.manifest["database"] == {"vendor": "sqlite", "file": "database.sqlite3"}
    assert backup.manifest["migrations"]["complaints"].startswith("00")
    database_url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    restored = _restore_and_read(backup.path, database_url=database_url,
                                 media=tmp_path / "new-media")
    _assert_everything_back(studio_state(), restored, backup.manifest)
    # The restored file database backs up in turn (a file, as in production, not the tests'
    # in-memory database) with the same rows and files.
    again = _run(["manage.py", "backup", "--dest", str(tmp_path / "again")],
                 database_url=database_url, media=tmp_path / "new-media")
    assert again.returncode == 0, again.stderr
    [folder] = (tmp_path / "again").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_counts"] == backup.manifest["row_counts"]
    assert manifest["media"] == backup.manifest["media"]
    assert all(manifest["files"][f"media/{name}"] == backup.manifest["files"][f"media/{name}"]
               for name in manifest["media"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL")
def test_a_postgresql_backup_restores_into_a_fresh_database_with_every_record_and_file(
        studio_with_data, tmp_path, fresh_postgresql_url):
    backup = backup_create(dest=tmp_path / "backups")
    assert backup.manifest["database"] == {"vendor": "postgresql", "file": "database.pgdump"}
    restored = _restore_and_read(backup.path, database_url=fresh_postgresql_url,
                                 media=tmp_path / "new-media")
    _assert_everything_back(studio_state(), restored, backup.manifest)


def test_a_corrupted_backup_is_refused_before_anything_is_touched(studio_with_data, tmp_path):
    backup = backup_create(dest=tmp_path / "backups")
    [signature] = [n for n in backup.manifest["media"] if n.startswith("signatures/")]
    file = backup.path / "media" / signature
    file.write_bytes(file.read_bytes()[:-1] + b"\x01")
    with pytest.raises(CommandError, match="校验和不符"):
        call_command("restore", str(backup.path), "--yes")
    (backup.path / backup.manifest["database"]["file"]).unlink()
    with pytest.raises(CommandError, match="缺少文件"):
        call_command("restore", str(backup.path), "--yes")


def test_a_database_that_holds_data_is_not_overwritten(studio_with_data, tmp_path):
    backup = backup_create(dest=tmp_path / "backups")
    with pytest.raises(CommandError, match="已有数据"):
        call_command("restore", str(backup.path))
    assert studio_state()["counts"] == backup.manifest["row_counts"]


def test_the_command_writes_a_dated_checksummed_backup(studio_with_data, tmp_path):
    call_command("backup", "--dest", str(tmp_path / "backups"))
    [folder] = (tmp_path / "backups").iterdir()
    assert folder.name.startswith("studio-")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest) >= {"created_at", "migrations", "row_counts", "files", "media"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())


def test_files_in_an_s3_store_are_backed_up_and_restored_into_another(tmp_path, monkeypatch):
    """The media files are read and written through the storage API: an S3-compatible store
    (a local moto server here) is backed up and restored into another bucket alike."""
    import boto3
    from moto.server import ThreadedMotoServer
    from storages.backends.s3 import S3Storage

    keys = {"access_key": "studio-test", "secret_key": "studio-test-secret"}
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        endpoint = "http://{}:{}".format(*server.get_host_and_port())
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=keys["access_key"],
                              aws_secret_access_key=keys["secret_key"])

        def bucket(name: str) -> S3Storage:
            client.create_bucket(Bucket=name)
            return S3Storage(bucket_name=name, endpoint_url=endpoint, region_name="us-east-1",
                             addressing_style="path", default_acl=None, querystring_auth=False,
                             file_overwrite=False, **keys)

        source, target = bucket("studio-source"), bucket("studio-target")
        kept = {"signatures/2026/12/TS1.png": b"\x89PNG" + bytes(range(256)),
                "exports/2026/12/客户.xlsx": b"PK\x03\x04" * 1000, "gowns/a.jpg": b"\xff\xd8"}
        for name, data in kept.items():
            source.save(name, ContentFile(data))
        backup = backup_create(dest=tmp_path / "backups", storage=source)
        assert sorted(backup.manifest["media"]) == sorted(kept)
        assert media_restore(backup.path, backup_verify(backup.path), target) == len(kept)
        for name, data in kept.items():
            with target.open(name, "rb") as f:
                assert f.read() == data, name
    finally:
        server.stop()


def _fake_backup(dest: Path, made: datetime) -> Path:
    path = dest / f"studio-{made:%Y%m%d-%H%M%S}"
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"created_at": made.isoformat()}))
    return path


def test_backups_older_than_the_kept_days_are_deleted_and_the_newest_always_kept(tmp_path):
    now = datetime(2026, 12, 8, 19, 45, tzinfo=UTC)
    old, recent, newest = (_fake_backup(tmp_path, now - timedelta(days=d)) for d in (15, 13, 0))
    assert backups_prune(now=now, keep_days=14, dest=tmp_path) == [old]
    assert sorted(tmp_path.iterdir()) == [recent, newest]
    assert backups_prune(now=now + timedelta(days=100), keep_days=14, dest=tmp_path) == [recent]
    assert list(tmp_path.iterdir()) == [newest]


def test_the_nightly_job_backs_up_and_prunes(studio_with_data, tmp_path, settings):
    settings.BACKUP_DIR, settings.BACKUP_KEEP_DAYS = tmp_path / "backups", 14
    stale = _fake_backup(tmp_path / "backups", datetime.now(UTC) - timedelta(days=30))
    made = Path(backup_task())
    assert made.parent == tmp_path / "backups" and (made / "manifest.json").exists()
    assert not stale.exists()
    schedule = settings.CELERY_BEAT_SCHEDULE["backup"]
    assert schedule["task"] == "studio.tasks.backup_task"
