"""Read-only pages composed from the other apps' selectors."""
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from callbacks.selectors import callback_counts
from customers.selectors import customers_visible_to
from orders.models import OrderStatus, StageStatus
from orders.selectors import orders_visible_to, stages_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: who I am, where I work, and what in my scope needs attention."""
    now = timezone.now()
    orders = orders_visible_to(request.user).filter(status=OrderStatus.ACTIVE)
    context = {
        "callbacks": callback_counts(request.user, now=now)
        if request.user.has_perm("callbacks.view_callbacktask") else None,
        "customers_count": customers_visible_to(request.user).count(),
        "active_orders_count": orders.count(),
        "owing_orders_count": orders.filter(balance_owed__gt=0).count(),
        "late_stages_count": stages_visible_to(request.user).filter(
            status=StageStatus.SCHEDULED, scheduled_at__lt=now,
            order__status=OrderStatus.ACTIVE).count(),
    }
    return render(request, "home.html", context)
