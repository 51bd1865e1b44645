from django.core.management.base import BaseCommand

from orders.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_present, demo_seed


class Command(BaseCommand):
    help = "载入演示数据（2 家门店、各角色账号、6 个套系、约 300 位客户）;重复运行不做任何修改。"

    def handle(self, *args, **options) -> None:
        if demo_present():
            self.stdout.write("演示数据已存在，未做任何修改。")
            return
        counts = demo_seed()
        self.stdout.write(self.style.SUCCESS(
            "演示数据已载入：" + ",".join(f"{k} {v}" for k, v in counts.items())))
        logins = "、".join(username for username, *_ in DEMO_LOGINS)
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）:{logins}")
