from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("订单与服务阶段")

    def ready(self) -> None:
        from customers.signals import customers_reassigned

        from .services import on_customers_reassigned

        customers_reassigned.connect(on_customers_reassigned,
                                     dispatch_uid="orders.stages_follow_customers")
