from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevtoolsConfig(AppConfig):
    """Development only: the demo studio (`seed_demo`) and the benchmark's chain data
    (`generate_bench_data`). It stands above every app and no app imports it."""

    name = "devtools"
    verbose_name = _("演示与基准数据")
