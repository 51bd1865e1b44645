"""Admin for orders: money and stages change only through the services (forms below)."""
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from staff.admin import ScopedAdminMixin
from staff.models import Store
from staff.scoping import scope_for
from studio.admin import AppendOnlyAdminMixin, ReadOnlyInline

from .forms import PaymentForm, StageCompleteForm
from .models import LateFollowUp, Order, OrderStage, Package, Payment, Receipt, StageEvent
from .packages import PACKAGE_FIELDS, package_may_change, package_save
from .selectors import packages_visible_to


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    """The price list, as the packages page keeps it (orders.packages.package_save: the same
    rules, audited): a store manager their store's packages, the general manager all and the
    chain's (no store). A package is never deleted: 在售 off instead."""

    list_display = ["name", "store", "kind", "price", "photos_count", "album_photos", "outfits",
                    "scenes", "includes_gown_selection", "is_active"]
    list_filter = ["store", "kind", "is_active", "includes_gown_selection"]
    list_select_related = ["store"]
    search_fields = ["name"]
    fields = PACKAGE_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request) & packages_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return ["store"] if obj is not None else []  # a package stays in its store

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "store" and not scope_for(request.user).all_stores:
            kwargs["queryset"] = Store.objects.filter(pk=scope_for(request.user).store_id)
            kwargs["required"], kwargs["empty_label"] = True, None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or package_may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        names = form.changed_data if change else PACKAGE_FIELDS
        saved = package_save(package=Package.objects.get(pk=obj.pk) if change else None,
                             by=request.user,
                             **{name: getattr(obj, name) for name in names if name in PACKAGE_FIELDS})
        obj.pk = saved.pk


class StageInline(ReadOnlyInline):
    model = OrderStage
    fields = ["kind", "status", "scheduled_at", "completed_at", "completed_by", "assigned_to",
              "location", "extra_amount", "picked_up_by"]
    show_change_link = True
    select_related = ("completed_by", "assigned_to")


class PaymentInline(AppendOnlyAdminMixin, ReadOnlyInline):
    model = Payment
    fields = ["kind", "amount", "method", "received_by", "paid_at", "note"]
    select_related = ("received_by",)


@admin.register(Order)
class OrderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_owner_field = "customer__assigned_to_id"
    list_display = ["id", "customer", "store", "package", "amount", "paid_total", "balance_owed",
                    "current_stage", "status", "created_at", "actions_column"]
    list_filter = ["status", "current_stage", "store", "package"]
    search_fields = ["customer__name", "=customer__mobile", "=id"]
    list_select_related = ["customer", "store", "package"]
    autocomplete_fields = ["customer", "package", "consultant"]
    readonly_fields = ["status", "current_stage", "paid_total", "extras_total", "balance_owed",
                       "cancelled_reason"]
    inlines = [StageInline, PaymentInline]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # orders are booked at the front desk, which lays out their stages

    def get_readonly_fields(self, request, obj=None):
        # Money fields stay in step with the ledger: fixed once the order exists.
        return [*self.readonly_fields, "customer", "store", "package", "amount", "discount"]

    @admin.display(description=_("操作"))
    def actions_column(self, order: Order) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:orders_order_payment", args=[order.pk]), _("收款/退款"),
            reverse("admin:orders_order_stage", args=[order.pk]), _("登记阶段完成"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/payment/", view(self.payment_view), name="orders_order_payment"),
            path("<int:pk>/stage/", view(self.stage_view), name="orders_order_stage"),
            *super().get_urls(),
        ]

    def _action_view(self, request, pk: int, form_class, permission: str, title: str):
        order = get_object_or_404(self.get_queryset(request), pk=pk)
        if not request.user.has_perm(permission):
            messages.error(request, _("您没有这项操作的权限。"))
            return redirect("admin:orders_order_change", pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid() and form.save(order=order, by=request.user):
            messages.success(request, _("已保存。"))
            return redirect("admin:orders_order_change", pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "original": order, "form": form, "title": title}
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)

    def payment_view(self, request, pk: int):
        return self._action_view(request, pk, PaymentForm, "orders.take_payment", _("收款/退款"))

    def stage_view(self, request, pk: int):
        return self._action_view(request, pk, StageCompleteForm, "orders.record_stage",
                                 _("登记阶段完成"))


@admin.register(Payment)
class PaymentAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "order__store_id"
    scope_owner_field = "order__customer__assigned_to_id"
    list_display = ["paid_at", "order", "kind", "amount", "method", "received_by"]
    list_filter = ["kind", "method", "order__store"]
    search_fields = ["=order__id", "order__customer__name"]
    list_select_related = ["order__package", "received_by"]
    date_hierarchy = "paid_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # through the order's 收款/退款 form, which checks the ledger


@admin.register(OrderStage)
class OrderStageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "order__store_id"
    scope_owner_field = "order__customer__assigned_to_id"
    list_display = ["order", "kind", "status", "scheduled_at", "completed_at", "assigned_to",
                    "location"]
    list_filter = ["kind", "status", "order__store"]
    search_fields = ["=order__id", "order__customer__name", "location"]
    list_select_related = ["order__package", "assigned_to"]
    readonly_fields = ["order", "kind", "sequence", "status", "scheduled_at", "completed_at",
                       "completed_by", "extra_amount"]
    autocomplete_fields = ["assigned_to", "makeup_artist"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StageEvent)
class StageEventAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "stage__order__store_id"
    scope_owner_field = "stage__order__customer__assigned_to_id"
    list_display = ["at", "stage", "action", "before", "after", "by", "note"]
    list_filter = ["action", "stage__kind"]
    list_select_related = ["stage", "by"]
    search_fields = ["=stage__order__id"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LateFollowUp)
class LateFollowUpAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_store_field = "stage__order__store_id"
    scope_owner_field = "stage__order__customer__assigned_to_id"
    list_display = ["created_at", "stage", "scheduled_at", "assigned_to", "status", "resolved_by",
                    "note"]
    list_filter = ["status", "stage__kind", "stage__order__store"]
    list_select_related = ["stage", "assigned_to", "resolved_by"]
    search_fields = ["stage__order__customer__name"]
    readonly_fields = ["stage", "scheduled_at", "created_at", "resolved_at", "resolved_by"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # raised by the late-stage sweep


@admin.register(Receipt)
class ReceiptAdmin(AppendOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """收据: issued with each payment (orders.services.receipt_issue), read here only."""

    scope_owner_field = "payment__order__customer__assigned_to_id"
    list_display = ["number", "store", "year", "serial", "issued_at", "payment"]
    list_filter = ["store", "year"]
    search_fields = ["=number", "=payment__order__id"]
    list_select_related = ["store", "payment"]
    readonly_fields = ["number", "store", "year", "serial", "issued_at", "payment"]
    ordering = ["store", "-year", "-serial"]
    show_full_result_count = False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("orders.view_payment")  # a receipt is its payment's

    def has_add_permission(self, request) -> bool:
        return False
