"""Admin plumbing: the audit log (read-only) and the mixin that scopes admin lists."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from staff.scoping import scope_for

from .models import AuditEntry, SmsMessage


class ScopedAdminMixin:
    """Admin lists and forms see only what the user's role and store allow (staff.scoping)."""

    scope_store_field = "store_id"
    scope_owner_field: str | None = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return scope_for(request.user).apply(qs, store_field=self.scope_store_field,
                                             owner_field=self.scope_owner_field)


class AppendOnlyAdminMixin:
    """Ledgers and logs: entries are added through services, never edited or deleted here."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(AppendOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["object_id", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(SmsMessage)
class SmsMessageAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "masked", "purpose", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "purpose"]
    search_fields = ["=mobile"]
    readonly_fields = ["mobile", "body", "purpose", "store_id", "customer_id", "status",
                       "attempts", "provider_id", "error", "created_by", "sent_at"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("手机号"))
    def masked(self, message: SmsMessage) -> str:
        return f"{message.mobile[:3]}****{message.mobile[-4:]}"
