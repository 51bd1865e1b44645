"""Admin for membership: tiers and store rules are edited here; cards, points and cashback
move only through the services (the member pages), so their rows are read-only or append-only."""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from staff.admin import ScopedAdminMixin
from studio.admin import AppendOnlyAdminMixin, ReadOnlyInline

from .models import (
    CardEvent,
    CashbackStatus,
    MemberAccount,
    MemberCard,
    MembershipPolicy,
    MemberTier,
    PointsEntry,
    ReferralCashback,
    Segment,
)
from .services import cashback_pay


@admin.register(MemberTier)
class MemberTierAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "threshold", "earn_rate"]
    ordering = ["rank"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts point at their tier (PROTECT); rename or re-rank instead


@admin.register(MembershipPolicy)
class MembershipPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "referral_reward", "referral_points", "referral_cashback",
                    "points_valid_days"]
    list_filter = ["referral_reward"]
    list_select_related = ["store"]
    search_fields = ["store__name", "store__code"]
    autocomplete_fields = ["store"]


class CardInline(ReadOnlyInline):
    model = MemberCard
    fields = ["number", "status", "store", "issued_by", "issued_at", "expires_on", "ended_at",
              "end_reason"]
    show_change_link = True
    select_related = ("store", "issued_by")


@admin.register(MemberAccount)
class MemberAccountAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "store_id"
    scope_owner_field = "customer__assigned_to_id"
    list_display = ["customer", "store", "tier", "points_balance", "total_spent", "created_at"]
    list_filter = ["tier", "store"]
    list_select_related = ["customer", "store", "tier"]
    search_fields = ["customer__name", "=customer__mobile"]
    # The balance and spending are kept in step with the ledger by the services.
    readonly_fields = ["customer", "points_balance", "total_spent", "created_at"]
    autocomplete_fields = ["tier"]
    inlines = [CardInline]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # a customer becomes a member when a card is issued (会员 › 发放会员卡)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CardEventInline(AppendOnlyAdminMixin, ReadOnlyInline):
    model = CardEvent
    fields = ["at", "action", "note", "by"]
    select_related = ("by",)


@admin.register(MemberCard)
class MemberCardAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "store_id"
    scope_owner_field = "account__customer__assigned_to_id"
    list_display = ["number", "customer", "status", "store", "issued_at", "issued_by",
                    "expires_on", "ended_at"]
    list_filter = ["status", "store"]
    list_select_related = ["account__customer", "store", "issued_by"]
    search_fields = ["=number", "account__customer__name", "=account__customer__mobile"]
    # Issue, loss, revocation and expiry go through the services, which write the history.
    readonly_fields = ["number", "account", "store", "status", "issued_by", "issued_at",
                       "replaces", "ended_at", "end_reason"]
    inlines = [CardEventInline]
    date_hierarchy = "issued_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("客户"), ordering="account__customer__name")
    def customer(self, card: MemberCard):
        return card.account.customer


@admin.register(CardEvent)
class CardEventAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "card__store_id"
    scope_owner_field = "card__account__customer__assigned_to_id"
    list_display = ["at", "card", "action", "note", "by"]
    list_filter = ["action", "card__store"]
    list_select_related = ["card", "by"]
    search_fields = ["=card__number", "card__account__customer__name"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "account__customer__store_id"
    scope_owner_field = "account__customer__assigned_to_id"
    list_display = ["at", "customer", "kind", "points", "balance_after", "remaining",
                    "expires_at", "order", "by", "note"]
    list_filter = ["kind", "account__customer__store"]
    list_select_related = ["account__customer", "order__package", "by"]
    search_fields = ["account__customer__name", "=account__customer__mobile", "=key",
                     "=order__id"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # redemptions and adjustments go through the member page (one ledger)

    @admin.display(description=_("客户"), ordering="account__customer__name")
    def customer(self, entry: PointsEntry):
        return entry.account.customer


@admin.action(description=_("登记为已支付"), permissions=["change"])
def mark_paid(modeladmin, request, queryset) -> None:
    paid = 0
    for cashback in queryset.filter(status=CashbackStatus.OWED):
        try:
            cashback_pay(cashback=cashback, by=request.user)
            paid += 1
        except ValidationError:
            continue  # paid meanwhile by someone else
    modeladmin.message_user(request, ngettext("已登记 %(n)d 笔返现为已支付。",
                                              "已登记 %(n)d 笔返现为已支付。", paid) % {"n": paid},
                            messages.SUCCESS)


@admin.register(ReferralCashback)
class ReferralCashbackAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "order__store_id"
    scope_owner_field = "referrer__assigned_to_id"
    list_display = ["created_at", "referrer", "order", "amount", "status", "paid_at", "paid_by"]
    list_filter = ["status", "order__store"]
    list_select_related = ["referrer", "order__package", "paid_by"]
    search_fields = ["referrer__name", "=referrer__mobile", "=order__id"]
    readonly_fields = ["referrer", "order", "amount", "status", "created_at", "paid_at",
                       "paid_by"]
    actions = [mark_paid]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # owed when the referred customer pays a deposit (the services)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Segment)
class SegmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "store", "created_by", "updated_at"]
    list_filter = ["store"]
    list_select_related = ["store", "created_by"]
    search_fields = ["name"]
    autocomplete_fields = ["store"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
