from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "callbacks"
    verbose_name = _("回访管理")

    def ready(self) -> None:
        from customers.signals import customers_reassigned
        from orders.signals import order_cancelling, stage_completed

        from .services import on_customers_reassigned, on_order_cancelling, on_stage_completed

        stage_completed.connect(on_stage_completed, dispatch_uid="callbacks.on_stage_completed")
        customers_reassigned.connect(on_customers_reassigned,
                                     dispatch_uid="callbacks.callbacks_follow_customers")
        order_cancelling.connect(on_order_cancelling, dispatch_uid="callbacks.order_cancelled")
        from .walkouts import walkouts_connect_receivers
        walkouts_connect_receivers()
