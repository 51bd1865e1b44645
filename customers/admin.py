from django.contrib import admin

from studio.admin import ScopedAdminMixin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_owner_field = "assigned_to_id"
    list_display = ["name", "title", "masked_mobile", "store", "source", "assigned_to", "is_vip",
                    "wedding_on", "created_at"]
    list_filter = ["store", "source", "is_vip", "title", "preferred_contact_time"]
    search_fields = ["name", "=mobile", "wechat"]
    list_select_related = ["store", "assigned_to"]
    autocomplete_fields = ["store", "referrer", "assigned_to"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # a COUNT(*) over hundreds of thousands of rows per page
