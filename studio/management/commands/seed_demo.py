"""seed_demo: the demo studio, built by each app's `demo` module in layer order.

An app with demo data has `<app>/demo.py` with `demo_seed(now=...) -> dict` (and may have
`demo_present() -> bool`); this command knows no app by name, so each app owns its demo.
"""
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

DEMO_PASSWORD = "studio-demo"
DEMO_LOGINS = ["specialist1", "specialist2", "supervisor", "frontdesk", "manager", "manager2", "gm"]


def demo_modules() -> list:
    return [import_module(f"{config.name}.demo") for config in apps.get_app_configs()
            if module_has_submodule(config.module, "demo")]


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
        self.stdout.write(f"演示账号(密码均为 {DEMO_PASSWORD}):{'、'.join(DEMO_LOGINS)}")
