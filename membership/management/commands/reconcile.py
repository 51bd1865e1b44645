"""reconcile: the nightly reconciliation run by hand (membership.reconcile)."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from membership.reconcile import reconcile_ledgers


class Command(BaseCommand):
    help = ("对账：核对每个会员的积分余额与积分流水合计（及未用积分），每张订单的已收款与收款流水合计；"
            "差异记入对账差异并写入错误日志。发现差异时以非零状态退出。")

    def handle(self, *args, **options) -> None:
        found = reconcile_ledgers(now=timezone.now())
        for difference in found:
            self.stdout.write(str(difference))
        if found:
            raise CommandError(f"发现 {len(found)} 处差异。")
        self.stdout.write(self.style.SUCCESS("对账完成：余额与流水一致。"))
