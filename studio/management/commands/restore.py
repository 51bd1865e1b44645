"""restore: a backup made by `backup` into an empty database and the media storage."""
from django.core.management.base import BaseCommand, CommandError

from studio.backup import BackupError, backup_resolve, backup_restore


class Command(BaseCommand):
    help = ("恢复：先核对备份中每个文件的 SHA-256（损坏的备份拒绝恢复），再把数据库恢复到配置的空数据库"
            "（已有数据时拒绝，除非加 --yes），把媒体文件写回存储，最后核对各表行数与清单一致。")

    def add_arguments(self, parser) -> None:
        parser.add_argument("backup", help="备份文件夹的路径，或 STUDIO_BACKUP_DIR 下的文件夹名")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")
        parser.add_argument("--yes", action="store_true",
                            help="目标数据库已有数据时，用备份替换其全部内容")

    def handle(self, *args, backup: str, database: str, yes: bool, **options) -> None:
        try:
            path = backup_resolve(backup)
            manifest = backup_restore(path, using=database, replace=yes)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"恢复完成：{path}（{manifest['created_at']}），{sum(manifest['row_counts'].values())} 行，"
            f"{len(manifest['media'])} 个媒体文件；各表行数与清单一致。"))
        self.stdout.write("如代码比备份新，请再运行 python manage.py migrate。")
