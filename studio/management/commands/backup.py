"""backup: the database and the media files into one checksummed folder (studio.backup)."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from studio.backup import BackupError, backup_create, backups_prune


class Command(BaseCommand):
    help = ("备份：数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份）与全部媒体文件写入一个带日期的文件夹，"
            "附 manifest.json（每个文件的 SHA-256、各应用最新迁移、各表行数、备份时间）。"
            "默认目录 STUDIO_BACKUP_DIR（var/backups）。")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dest", type=Path, default=None,
                            help=f"备份目录（默认 {settings.BACKUP_DIR}）")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")
        parser.add_argument("--prune", action="store_true",
                            help="备份后删除超过 STUDIO_BACKUP_KEEP_DAYS 天的旧备份（保留最新一份）")

    def handle(self, *args, dest: Path | None, database: str, prune: bool, **options) -> None:
        try:
            backup = backup_create(dest=dest, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = backup.manifest
        self.stdout.write(self.style.SUCCESS(
            f"备份完成：{backup.path}（{sum(manifest['row_counts'].values())} 行，"
            f"{len(manifest['media'])} 个媒体文件）"))
        if prune:
            for path in backups_prune(now=timezone.now(), dest=dest):
                self.stdout.write(f"已删除旧备份：{path}")
