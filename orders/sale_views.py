"""Pages of a sold order: change it, cancel it, approve its discount, and the orders waiting
for approval. (Selling — 开单 — is the front desk's page: frontdesk.sale_views.)

Every page starts from orders_visible_to(user): another store's order answers 404; a role
without the step's permission 403; bad input and refused moves are form errors, never a 500.
"""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from studio.pagination import paginate
from studio.workflow import Step

from .forms import OrderApproveForm, OrderCancelForm, OrderChangeForm
from .models import Order, OrderStatus
from .selectors import orders_visible_to
from .workflow import ORDER_APPROVE, ORDER_CANCEL, ORDER_CHANGE


def _order_for(request: HttpRequest, pk: int, step: Step) -> Order:
    """The order if the viewer sees it (else 404) and may take `step` (else 403)."""
    order = get_object_or_404(orders_visible_to(request.user).select_related(
        "customer", "package", "store", "consultant"), pk=pk)
    if not step.permits(request.user):
        raise PermissionDenied
    return order


def _customer_page(order: Order) -> str:
    return reverse("orders:customer", args=[order.customer_id]) + f"#order-{order.pk}"


@login_required
def order_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a sold order: package, price, discount, add-ons, consultant, scene, date, notes."""
    order = _order_for(request, pk, ORDER_CHANGE)
    form = OrderChangeForm(request.POST if request.method == "POST" else None, order=order)
    if request.method == "POST" and form.is_valid() and form.save(by=request.user):
        messages.success(request, _("订单 #%(pk)s 已修改。") % {"pk": order.pk})
        return redirect(_customer_page(order))
    return render(request, "orders/order_change.html", {
        "order": order, "form": form,
        "events": order.events.select_related("by").order_by("-at", "-pk")[:50],
        "addons": order.addons.select_related("by"),
    }, status=400 if form.is_bound else 200)


@login_required
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an order with a reason and, if any, the refund."""
    order = _order_for(request, pk, ORDER_CANCEL)
    form = OrderCancelForm(request.POST if request.method == "POST" else None,
                           initial={"request_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid() and form.save(order=order, by=request.user):
        messages.success(request, _("订单 #%(pk)s 已取消。") % {"pk": order.pk})
        return redirect(_customer_page(order))
    return render(request, "orders/order_cancel.html", {"order": order, "form": form},
                  status=400 if form.is_bound else 200)


@login_required
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The manager approves a discount above the store's limit (POST from the approvals list)."""
    order = _order_for(request, pk, ORDER_APPROVE)
    form = OrderApproveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.save(order=order, by=request.user):
        messages.success(request, _("订单 #%(pk)s 的优惠已批准，订单生效。") % {"pk": order.pk})
        return redirect("orders:approvals")
    for error in form.non_field_errors():
        messages.error(request, error)
    return redirect("orders:approvals")


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Orders waiting for a discount's approval (待审批), oldest first."""
    if not ORDER_APPROVE.permits(request.user) and not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    orders = (orders_visible_to(request.user).filter(status=OrderStatus.PENDING_APPROVAL)
              .select_related("customer", "package", "store", "consultant", "created_by")
              .order_by("created_at", "pk"))
    return render(request, "orders/approvals.html", {
        "page": paginate(request, orders), "may_approve": ORDER_APPROVE.permits(request.user),
        "form": OrderApproveForm(),
    })
