from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from staff.admin import ScopedAdminMixin
from studio.admin import AppendOnlyAdminMixin

from .models import Customer, CustomerAssignment, CustomerNote
from .services import assignment_reason, customers_reassigned_notify


class MergedFilter(admin.SimpleListFilter):
    """已合并: records merged into another (customers_merge), or those that stand."""

    title = _("是否已合并")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("yes", _("已合并")), ("no", _("未合并"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(merged_into__isnull=self.value() == "no")
        return queryset


@admin.register(Customer)
class CustomerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_owner_field = "assigned_to_id"
    list_display = ["name", "title", "masked_mobile", "store", "source", "assigned_to", "is_vip",
                    "wedding_on", "created_at", "merged_into"]
    list_filter = ["store", "source", "is_vip", "title", "preferred_contact_time", MergedFilter]
    # Merging goes through the customer's file (合并重复客户), which moves everything: here the
    # link to the record kept is shown, never edited.
    readonly_fields = ["merged_into", "merged_at"]
    search_fields = ["name", "=mobile", "wechat"]
    list_select_related = ["store", "assigned_to", "merged_into"]
    autocomplete_fields = ["store", "referrer", "assigned_to"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # a COUNT(*) over hundreds of thousands of rows per page

    def get_readonly_fields(self, request, obj=None):
        # A customer's store is fixed at registration: their orders, stages, payments, tasks
        # and member account keep it.
        return [*super().get_readonly_fields(request, obj), *(["store"] if obj else [])]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "assigned_to" in form.changed_data:
            # In the change view's transaction, as customers_assign: what follows the specialist
            # moves, and a new specialist is written to the customer's assignment history.
            moved = customers_reassigned_notify([obj.pk])
            if obj.assigned_to_id is not None:
                CustomerAssignment.objects.create(
                    customer=obj, from_user_id=form.initial.get("assigned_to"),
                    to_user_id=obj.assigned_to_id, by=request.user,
                    reason=assignment_reason(str(_("后台修改")), moved.get(obj.pk)))


@admin.register(CustomerNote)
class CustomerNoteAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "customer__store_id"
    scope_owner_field = "customer__assigned_to_id"
    list_display = ["at", "customer", "by", "text"]
    list_select_related = ["customer", "by"]
    search_fields = ["customer__name", "text"]
    show_full_result_count = False


@admin.register(CustomerAssignment)
class CustomerAssignmentAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "customer__store_id"
    scope_owner_field = "customer__assigned_to_id"
    list_display = ["at", "customer", "from_user", "to_user", "by", "reason"]
    list_filter = ["customer__store"]
    list_select_related = ["customer", "from_user", "to_user", "by"]
    search_fields = ["customer__name"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # assignments go through the 客服分配 page, which records the history
