"""Who sees which endpoints and deliveries: those of the stores the user works in (a general
manager every store; a specialist none), through staff.scoping like every store's rows."""
from django.db.models import QuerySet

from staff.scoping import of_my_stores

from .models import WebhookDelivery, WebhookEndpoint

endpoints_visible_to = of_my_stores(WebhookEndpoint.objects.select_related("store"))
deliveries_visible_to = of_my_stores(WebhookDelivery.objects.select_related("endpoint"))


def deliveries_for_log(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """One endpoint's delivery log, newest first (index webhook_delivery_log)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
