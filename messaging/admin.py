from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from staff.admin import ScopedAdminMixin
from studio.models import SmsOptOut

from .models import MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read here; written on the templates page (messaging.views), which checks each
    placeholder against the purpose's parameters (messaging.services.template_save)."""

    list_display = ["purpose", "channel", "store", "code", "active", "updated_at"]
    list_select_related = ["store"]
    list_filter = ["purpose", "channel", "active", "store"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["masked", "source", "text", "created_at", "created_by"]
    list_filter = ["source"]
    search_fields = ["=mobile"]
    readonly_fields = ["created_by", "created_at"]

    @admin.display(description=_("手机号"))
    def masked(self, opt_out: SmsOptOut) -> str:
        return f"{opt_out.mobile[:3]}****{opt_out.mobile[-4:]}"
