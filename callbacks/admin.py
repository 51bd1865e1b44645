from django.contrib import admin

from staff.admin import ScopedAdminMixin
from studio.admin import AppendOnlyAdminMixin, ReadOnlyInline

from .models import CallbackCampaign, CallbackPolicy, CallbackRecord, CallbackScript, CallbackTask


@admin.register(CallbackPolicy)
class CallbackPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "due_days", "quiet_hours", "max_attempts", "retry_after_hours"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]


class RecordInline(AppendOnlyAdminMixin, ReadOnlyInline):
    model = CallbackRecord
    fields = ["called_at", "by", "channel", "reached", "satisfaction", "score", "comments",
              "suggestions", "next_appointment_at"]


@admin.register(CallbackTask)
class CallbackTaskAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_owner_field = "assigned_to_id"
    list_display = ["customer", "purpose", "stage", "store", "assigned_to", "status", "due_at",
                    "attempts"]
    list_filter = ["status", "purpose", "store"]
    search_fields = ["customer__name", "=customer__mobile"]
    list_select_related = ["customer", "stage", "store", "assigned_to"]
    autocomplete_fields = ["assigned_to"]
    readonly_fields = ["customer", "store", "purpose", "stage", "campaign", "status",
                       "triggered_at", "due_at", "booked_at", "attempts", "completed_at",
                       "escalated_at"]
    inlines = [RecordInline]
    date_hierarchy = "due_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # created after each service or by a campaign


@admin.register(CallbackRecord)
class CallbackRecordAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "task__store_id"
    scope_owner_field = "task__assigned_to_id"
    list_display = ["called_at", "task", "by", "channel", "reached", "satisfaction", "score"]
    list_filter = ["satisfaction", "reached", "channel"]
    list_select_related = ["task__customer", "by"]
    search_fields = ["task__customer__name", "comments", "suggestions"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CallbackScript)
class CallbackScriptAdmin(AppendOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["purpose", "version", "created_by", "created_at"]
    list_filter = ["purpose"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request) -> bool:
        return False  # edited on the 回访话术 page, which saves a new version


@admin.register(CallbackCampaign)
class CallbackCampaignAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "purpose", "store", "tasks_created", "created_by", "created_at"]
    list_filter = ["purpose", "store"]
    list_select_related = ["store", "created_by"]
    readonly_fields = ["tasks_created", "conditions", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False  # created on the 回访活动 page, which picks and distributes the customers
