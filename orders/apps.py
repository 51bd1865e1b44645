from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("订单与服务阶段")

    def ready(self) -> None:
        from customers.signals import customers_reassigned

        from . import import_tasks  # noqa: F401  (Celery's autodiscovery looks in tasks.py only)
        from .services import on_customers_reassigned

        customers_reassigned.connect(on_customers_reassigned,
                                     dispatch_uid="orders.stages_follow_customers")

        # studio.exports finds orders/exports.py itself; the front desk's exporters live in
        # their package and register when imported.
        from .frontdesk import exports  # noqa: F401
