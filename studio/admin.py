"""Admin plumbing: the audit log (read-only) and the append-only mixin of ledgers and logs.
The mixin that scopes admin lists by role and store is staff.admin.ScopedAdminMixin."""
from django.contrib import admin

from .models import AuditEntry


class AppendOnlyAdminMixin:
    """Ledgers and logs: entries are added through services, never edited or deleted here."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent (a ledger, a history, an order's stages): read here,
    written only through their services. `select_related` names the links each row shows."""

    extra = 0
    can_delete = False
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.select_related) if self.select_related else queryset


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
