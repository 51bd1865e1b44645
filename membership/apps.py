from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("会员维护")

    def ready(self) -> None:
        from orders.signals import order_cancelling, payment_recorded

        from .services import on_order_cancelling, on_payment_recorded

        payment_recorded.connect(on_payment_recorded, dispatch_uid="membership.on_payment")
        order_cancelling.connect(on_order_cancelling, dispatch_uid="membership.order_cancelled")

        from customers.signals import customers_merging

        from .merging import on_customers_merging

        customers_merging.connect(on_customers_merging, dispatch_uid="membership.customers_merging")
