"""seed_demo: the demo studio, built by devtools.demo's modules in layer order."""
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from devtools.demo import demo_modules
from devtools.demo.orders import DEMO_PASSWORD

DEMO_LOGIN_NAMES = ["specialist1", "specialist2", "supervisor", "frontdesk", "manager", "manager2",
                    "gm"]


class Command(BaseCommand):
    help = "载入演示数据(2 家门店、各角色账号、6 个套系、约 300 位客户及其回访);重复运行不做任何修改。"

    def handle(self, *args, **options) -> None:
        modules = demo_modules()
        if any(getattr(m, "demo_present", lambda: False)() for m in modules):
            self.stdout.write("演示数据已存在,未做任何修改。")
            return
        now = timezone.now()
        counts: dict[str, int] = {}
        with transaction.atomic():
            for module in modules:
                counts.update(module.demo_seed(now=now))
        self.stdout.write(self.style.SUCCESS(
            "演示数据已载入:" + ",".join(f"{k} {v}" for k, v in counts.items())))
        self.stdout.write(f"演示账号(密码均为 {DEMO_PASSWORD}):{'、'.join(DEMO_LOGIN_NAMES)}")
