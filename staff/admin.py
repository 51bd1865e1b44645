from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from studio.admin import AppendOnlyAdminMixin
from studio.models import SmsMessage

from .models import Department, MonthlyTarget, StaffMember, Store, User
from .scoping import scope_for


class ScopedAdminMixin:
    """Admin lists and forms see only what the user's role and store allow (staff.scoping)."""

    scope_store_field = "store_id"
    scope_owner_field: str | None = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return scope_for(request.user).apply(qs, store_field=self.scope_store_field,
                                             owner_field=self.scope_owner_field)


class StaffMemberInline(admin.StackedInline):
    model = StaffMember
    fk_name = "user"
    can_delete = False
    autocomplete_fields = ["store", "department"]
    verbose_name_plural = _("员工资料")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [StaffMemberInline]
    list_display = ["username", "first_name", "staff_store", "staff_role", "is_active", "is_staff"]
    list_select_related = ["staff_profile__store"]
    list_filter = ["is_active", "is_staff", "staff_profile__role", "staff_profile__store"]
    search_fields = ["username", "first_name", "last_name"]

    @admin.display(description=_("门店"), ordering="staff_profile__store__code")
    def staff_store(self, user: User) -> str:
        profile = getattr(user, "staff_profile", None)
        return profile.store.name if profile else "-"

    @admin.display(description=_("角色"), ordering="staff_profile__role")
    def staff_role(self, user: User) -> str:
        profile = getattr(user, "staff_profile", None)
        return profile.get_role_display() if profile else "-"


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone", "address", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "address"]


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "store"]
    list_filter = ["kind", "store"]
    search_fields = ["name", "store__name"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]


@admin.register(StaffMember)
class StaffMemberAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "store", "department", "role", "level", "skill_rating", "is_active"]
    list_filter = ["role", "store", "department__kind", "is_active"]
    search_fields = ["user__username", "user__first_name", "mobile"]
    list_select_related = ["user", "store", "department__store"]
    autocomplete_fields = ["user", "store", "department"]


@admin.register(MonthlyTarget)
class MonthlyTargetAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read here; targets are set on the 月度目标 page, which checks the month rule."""

    list_display = ["month", "store", "department", "person", "orders_target", "revenue_target",
                    "upsell_target", "performance_target", "set_by"]
    list_filter = ["store", "month"]
    list_select_related = ["store", "department", "person", "set_by"]
    search_fields = ["person__username", "person__first_name"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "masked", "purpose", "channel", "gateway", "template_code",
                    "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "channel", "gateway", "purpose"]
    search_fields = ["=mobile"]
    readonly_fields = ["mobile", "body", "purpose", "store_id", "customer_id", "status",
                       "channel", "gateway", "template_code", "params", "wechat_template",
                       "attempts", "provider_id", "in_doubt", "error", "created_by", "send_after",
                       "sent_at", "delivered_at"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("手机号"))
    def masked(self, message: SmsMessage) -> str:
        return f"{message.mobile[:3]}****{message.mobile[-4:]}"
