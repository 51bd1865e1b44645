from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontdeskConfig(AppConfig):
    name = "frontdesk"
    verbose_name = _("门市与档期")

    def ready(self) -> None:
        from orders.signals import order_cancelling, stage_completing

        from . import exports  # noqa: F401  (the front desk's exporters register when imported)
        from .schedule import on_order_cancelling, on_stage_completing

        stage_completing.connect(on_stage_completing, dispatch_uid="frontdesk.booking_done")
        order_cancelling.connect(on_order_cancelling, dispatch_uid="frontdesk.bookings_freed")
