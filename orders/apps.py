from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("订单与服务阶段")

    def ready(self) -> None:
        # studio.exports finds orders/exports.py itself; the front desk's exporters live in
        # their package and register when imported.
        from .frontdesk import exports  # noqa: F401
