"""开单: the front desk turns a visit into an order (SPEC §1, seed L180-L188 "推荐套系形成定单").

One page from the customer (?customer=), from a walk-out who came back (?walkout=: the walk-out
is marked converted with the new order, in the same transaction), or from a fresh registration
(the customer page's registration sends the new customer back here with ?customer=). The order,
its stages, add-ons and the deposit are written by orders.services.order_create.
"""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.selectors import customers_search, customers_visible_to
from orders.forms import OrderCreateForm
from orders.models import OrderStatus
from orders.workflow import ORDER_CREATE

from .models import WalkOutStatus
from .production import walkout_convert, walkouts_visible_to


def _search(request: HttpRequest) -> list:
    q = (request.GET.get("q") or "").strip()
    if not q:
        return []
    return list(customers_search(customers_visible_to(request.user), q)
                .select_related("store").order_by("-created_at")[:20])


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    if not ORDER_CREATE.permits(request.user):
        raise PermissionDenied
    walkout = None
    if request.GET.get("walkout", "").isdigit():
        walkout = get_object_or_404(walkouts_visible_to(request.user).select_related(
            "customer__store"), pk=request.GET["walkout"], status=WalkOutStatus.FOLLOWING)
        customer = walkout.customer
    elif request.GET.get("customer", "").isdigit():
        customer = get_object_or_404(customers_visible_to(request.user).select_related("store"),
                                     pk=request.GET["customer"])
    else:  # no customer yet: find one, or register them and come back
        return render(request, "frontdesk/sale_pick_customer.html", {
            "q": request.GET.get("q", ""), "found": _search(request),
            "register_next": reverse("frontdesk:order_create"),
        })
    form = OrderCreateForm(request.POST if request.method == "POST" else None, store=customer.store,
                           initial={"request_key": uuid.uuid4().hex,
                                    "consultant": request.user.pk})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            order = form.save(customer=customer, by=request.user)
            if order is not None and walkout is not None and form.call(
                    walkout_convert, walkout=walkout, by=request.user, order=order) is None:
                transaction.set_rollback(True)  # the sale stands with its walk-out, or not at all
                order = None
        if order is not None:
            if order.status == OrderStatus.PENDING_APPROVAL:
                messages.warning(request, _("已开单 #%(pk)s：优惠超过本店门市可直接给的额度，"
                                            "待店长审批后订单生效。") % {"pk": order.pk})
            else:
                messages.success(request, _("已开单 #%(pk)s。") % {"pk": order.pk})
            return redirect(reverse("orders:customer", args=[customer.pk]) + f"#order-{order.pk}")
    return render(request, "frontdesk/sale_form.html", {
        "customer": customer, "walkout": walkout, "form": form,
        "store": customer.store,
        "reveal": request.user.has_perm("customers.view_full_mobile"),
    }, status=400 if form.is_bound else 200)
