"""Backup and restore of the whole studio: the database and the media files (issue 18).

A backup is one folder `studio-YYYYMMDD-HHMMSS` (UTC) under settings.BACKUP_DIR:
  database.pgdump   PostgreSQL, `pg_dump --format=custom` of one exported snapshot, or
  database.sqlite3  SQLite, through the online backup API (consistent while staff write);
  media/<name>      every file of the default storage, read through the storage API (the file
                    system or an S3-compatible store alike);
  manifest.json     the SHA-256 and size of every file above, the latest migration per app,
                    the row count of every table (taken from the same snapshot as the dump) and
                    the time it was made.
It is written into `<name>.partial` and renamed when complete, so a half-written backup never
looks like one. `restore` checks every checksum before it touches anything, refuses a database
that holds data, restores the database and the files, and checks the row counts against the
manifest. The kernel knows no app: the tables and files are whatever the project has.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connections

MANIFEST = "manifest.json"
MEDIA_DIR = "media"
PREFIX = "studio-"
FORMAT = 1
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why, for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tables() -> list[str]:
    """Every table the project's models (and their many-to-many tables) keep, sorted."""
    return sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)
                   if m._meta.managed and not m._meta.proxy})


def _count_rows(cursor, quote, existing: set[str]) -> dict[str, int]:
    counts = {}
    for table in _tables():
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # a model's table, quoted
            counts[table] = cursor.fetchone()[0]
    return counts


def _latest_migrations(cursor, existing: set[str]) -> dict[str, str]:
    if "django_migrations" not in existing:  # a database nobody has migrated yet
        return {}
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _pg_environ(db: dict) -> dict[str, str]:
    """libpq's variables for the configured database: the password stays out of argv."""
    environ = {**os.environ}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                     ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):
        if db.get(key):
            environ[var] = str(db[key])
    options = db.get("OPTIONS", {})
    for var, key in (("PGSSLMODE", "sslmode"), ("PGSSLROOTCERT", "sslrootcert"),
                     ("PGSSLCERT", "sslcert"), ("PGSSLKEY", "sslkey")):
        if options.get(key):
            environ[var] = str(options[key])
    return environ


def _run(argv: list[str], environ: dict[str, str]) -> None:
    try:
        done = subprocess.run(argv, env=environ, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {argv[0]}：请安装 PostgreSQL 客户端（postgresql-client）。") from exc
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} 失败（{done.returncode}）：{done.stderr.strip()}")


def _dump_postgresql(connection, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """pg_dump of a snapshot exported by a REPEATABLE READ transaction that counts the rows of
    the same snapshot: the manifest's counts are exactly what the dump holds."""
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}"],
                 _pg_environ(connection.settings_dict))
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            existing = {row[0] for row in cursor.fetchall()}
            counts = _count_rows(cursor, connection.ops.quote_name, existing)
            migrations = _latest_migrations(cursor, existing)
        raw.rollback()
    finally:
        raw.close()
    return counts, migrations


def _dump_sqlite(connection, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """SQLite's online backup: one consistent copy while others go on writing (WAL), through a
    connection of its own (like pg_dump, it copies what is committed; Django's connection may be
    inside a transaction, and SQLite refuses to back up a connection that is writing). The
    counts are read from the copy itself."""
    if connection.is_in_memory_db():  # the tests' database: only Django's connection has it
        connection.ensure_connection()
        target.write_bytes(connection.connection.serialize())  # the database file's image
    copy = sqlite3.connect(target)
    try:
        if not connection.is_in_memory_db():
            source = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
            try:
                source.backup(copy)
            finally:
                source.close()
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        existing = {row[0] for row in cursor.fetchall()}
        counts = _count_rows(cursor, connection.ops.quote_name, existing)
        migrations = _latest_migrations(cursor, existing)
        cursor.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
    return counts, migrations


def _storage_names(storage: Storage, path: str = "") -> list[str]:
    """Every file in the storage, walking listdir (the file system and S3 alike)."""
    try:
        dirs, files = storage.listdir(path)
    except FileNotFoundError:  # a file-system storage whose folder nothing has created yet
        return []
    names = [f"{path}/{name}" if path else name for name in files]
    for sub in dirs:
        names += _storage_names(storage, f"{path}/{sub}" if path else sub)
    return sorted(names)


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"备份中的文件名不安全：{name}")
    return path


def backup_create(*, dest: Path | None = None, using: str = "default",
                  storage: Storage | None = None, now: datetime | None = None) -> Backup:
    """Write one complete backup folder under `dest` (settings.BACKUP_DIR) and return it."""
    connection = connections[using]
    storage = storage or default_storage
    dest = Path(dest or settings.BACKUP_DIR)
    dest.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    name = f"{PREFIX}{now.astimezone(UTC):%Y%m%d-%H%M%S}"
    final, n = dest / name, 1
    while final.exists() or final.with_name(final.name + ".partial").exists():
        n += 1
        final = dest / f"{name}-{n}"
    work = final.with_name(final.name + ".partial")
    work.mkdir()
    try:
        if connection.vendor == "postgresql":
            database = "database.pgdump"
            counts, migrations = _dump_postgresql(connection, work / database)
        elif connection.vendor == "sqlite":
            database = "database.sqlite3"
            counts, migrations = _dump_sqlite(connection, work / database)
        else:
            raise BackupError(f"不支持的数据库：{connection.vendor}")
        files = {database: {"sha256": _sha256(work / database),
                            "size": (work / database).stat().st_size}}
        media = []
        for stored in _storage_names(storage):
            relative = PurePosixPath(MEDIA_DIR) / _safe_relative(stored)
            target = work.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(stored, "rb") as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            files[str(relative)] = {"sha256": _sha256(target), "size": target.stat().st_size}
            media.append(stored)
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).isoformat(),
            "database": {"vendor": connection.vendor, "file": database},
            "migrations": migrations,
            "row_counts": counts,
            "media": media,
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Backup(final, manifest)


def backup_resolve(name_or_path: str | Path) -> Path:
    """A backup named by its path, or by its folder name under settings.BACKUP_DIR."""
    path = Path(name_or_path)
    if not path.exists() and not path.is_absolute():
        path = Path(settings.BACKUP_DIR) / path
    if not path.is_dir():
        raise BackupError(f"找不到备份：{name_or_path}")
    return path


def backup_verify(path: Path) -> dict:
    """The manifest, once every file it lists is there with its size and SHA-256 (and nothing
    else under media/ is); a BackupError naming the first that is not."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        files, database = manifest["files"], manifest["database"]["file"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"备份已损坏：{path / MANIFEST} 无法读取（{exc}）。") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    if database not in files:
        raise BackupError("备份已损坏：清单中没有数据库文件。")
    for relative, expected in files.items():
        file = path.joinpath(*_safe_relative(relative).parts)
        if not file.is_file():
            raise BackupError(f"备份已损坏：缺少文件 {relative}。")
        if file.stat().st_size != expected["size"] or _sha256(file) != expected["sha256"]:
            raise BackupError(f"备份已损坏：{relative} 的校验和不符（SHA-256），拒绝恢复。")
    listed = {PurePosixPath(r) for r in files}
    media = path / MEDIA_DIR
    extra = [p for p in media.rglob("*") if p.is_file()
             and PurePosixPath(p.relative_to(path).as_posix()) not in listed] if media.exists() else []
    if extra:
        raise BackupError(f"备份已损坏：清单之外的文件 {extra[0].relative_to(path)}。")
    return manifest


def database_tables(using: str = "default") -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def database_holds_data(using: str = "default") -> bool:
    """A database holds data unless it has no tables, or has tables (a fresh `migrate`) but no
    user account: every studio that has worked has staff who signed in."""
    if not database_tables(using):
        return False
    table = get_user_model()._meta.db_table
    if table not in database_tables(using):
        return True  # tables, but not ours: not something to overwrite unasked
    return get_user_model()._default_manager.using(using).exists()


def _restore_postgresql(connection, file: Path, *, has_tables: bool) -> None:
    connection.close()  # pg_restore works on its own connection; ours would hold stale state
    argv = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
            "--single-transaction", f"--dbname={connection.settings_dict['NAME']}"]
    if has_tables:  # a freshly migrated database, or one the operator said to replace (--yes)
        argv += ["--clean", "--if-exists"]
    environ = _pg_environ(connection.settings_dict)
    environ.pop("PGDATABASE", None)
    _run([*argv, str(file)], environ)


def _restore_sqlite(connection, file: Path) -> None:
    """The backup API into the configured database replaces all of it, page for page."""
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(file)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def media_restore(path: Path, manifest: dict, storage: Storage) -> int:
    """Write a verified backup's media files into `storage` under their own names."""
    for stored in manifest.get("media", []):
        relative = PurePosixPath(MEDIA_DIR) / _safe_relative(stored)
        if storage.exists(stored):
            storage.delete(stored)
        with path.joinpath(*relative.parts).open("rb") as f:
            saved = storage.save(stored, File(f, name=stored))
        if saved != stored:
            raise BackupError(f"文件 {stored} 恢复后名为 {saved}：存储改了它的名字。")
    return len(manifest.get("media", []))


def backup_restore(path: Path, *, using: str = "default", storage: Storage | None = None,
                   replace: bool = False) -> dict:
    """Restore a verified backup into the configured database and storage; returns the
    manifest. Refuses a corrupted backup, another database engine and, unless `replace`, a
    database that holds data; afterwards every table's row count must match the manifest."""
    manifest = backup_verify(path)
    connection = connections[using]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"这是 {vendor} 的备份，配置的数据库是 {connection.vendor}。")
    if database_holds_data(using) and not replace:
        raise BackupError(
            f"目标数据库 {connection.settings_dict['NAME']} 已有数据，拒绝覆盖。请恢复到新建的空数据库，"
            "或确认要用备份替换其全部内容时加 --yes。")
    file = path / manifest["database"]["file"]
    if vendor == "postgresql":
        _restore_postgresql(connection, file, has_tables=bool(database_tables(using)))
    else:
        _restore_sqlite(connection, file)
    with connection.cursor() as cursor:
        counts = _count_rows(cursor, connection.ops.quote_name,
                             set(connection.introspection.table_names(cursor)))
    wrong = {t: (n, counts.get(t)) for t, n in manifest["row_counts"].items() if counts.get(t) != n}
    if wrong:
        raise BackupError(f"恢复后的行数与清单不符：{wrong}")
    media_restore(path, manifest, storage or default_storage)
    return manifest


def backup_list(dest: Path | None = None) -> list[Path]:
    """The complete backups under `dest`, oldest first."""
    dest = Path(dest or settings.BACKUP_DIR)
    if not dest.is_dir():
        return []
    return sorted(p for p in dest.iterdir()
                  if p.is_dir() and p.name.startswith(PREFIX) and not p.name.endswith(".partial"))


def _made_at(path: Path) -> datetime:
    try:
        return datetime.fromisoformat(
            json.loads((path / MANIFEST).read_text(encoding="utf-8"))["created_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def backups_prune(*, now: datetime, keep_days: int | None = None,
                  dest: Path | None = None) -> list[Path]:
    """Delete the backups made more than `keep_days` (settings.BACKUP_KEEP_DAYS) ago, and
    partial ones left by a crash a day ago; the newest backup is always kept."""
    keep_days = settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days
    dest = Path(dest or settings.BACKUP_DIR)
    complete = backup_list(dest)
    old = [p for p in complete[:-1] if _made_at(p) < now - timedelta(days=keep_days)]
    if dest.is_dir():
        old += [p for p in dest.glob(f"{PREFIX}*.partial")
                if datetime.fromtimestamp(p.stat().st_mtime, UTC) < now - timedelta(days=1)]
    for path in old:
        shutil.rmtree(path)
    return old

