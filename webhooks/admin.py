from django.contrib import admin
from django.db import models

from staff.admin import ScopedAdminMixin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # The secret is not shown (it is `editable=False`): the page shows it once, on creation.
    list_display = ["url", "store", "is_active", "created_at"]
    list_select_related = ["store"]
    list_filter = ["is_active", "store"]
    search_fields = ["url", "description"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["store"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "status", "attempts", "response_code"]
    list_select_related = ["endpoint"]
    list_filter = ["status", "event"]
    search_fields = ["event_id", "reason"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # a delivery is an event's, never typed in
