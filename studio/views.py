"""Kernel pages: the home page and the health check."""
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from customers.selectors import customers_visible_to
from orders.models import OrderStatus, StageStatus
from orders.selectors import orders_visible_to, stages_visible_to
from staff.scoping import scope_for

from .health import broker_state, database_state
from .models import SmsMessage, SmsStatus
from .pagination import paginate


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: who I am, where I work, and what in my scope needs attention."""
    now = timezone.now()
    orders = orders_visible_to(request.user).filter(status=OrderStatus.ACTIVE)
    context = {
        "customers_count": customers_visible_to(request.user).count(),
        "active_orders_count": orders.count(),
        "owing_orders_count": orders.filter(balance_owed__gt=0).count(),
        "late_stages_count": stages_visible_to(request.user).filter(
            status=StageStatus.SCHEDULED, scheduled_at__lt=now,
            order__status=OrderStatus.ACTIVE).count(),
    }
    return render(request, "home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (the broker's state is reported, not fatal: every
    deadline is a database row that beat sweeps, so a broker outage delays, loses nothing)."""
    database, broker = database_state(), broker_state()
    healthy = database == "ok"
    body = {"status": "ok" if healthy and broker == "ok" else ("degraded" if healthy else "down"),
            "database": database, "broker": broker}
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
@permission_required("studio.view_smsmessage", raise_exception=True)
def sms_outbox(request: HttpRequest) -> HttpResponse:
    """The SMS outbox: every message with its delivery status, for the viewer's store(s)."""
    messages_ = scope_for(request.user).apply(SmsMessage.objects.all(), store_field="store_id",
                                              owner_field=None)
    status = request.GET.get("status", "")
    if status in SmsStatus.values:
        messages_ = messages_.filter(status=status)
    return render(request, "sms_outbox.html", {
        "page": paginate(request, messages_.select_related("created_by")),
        "statuses": SmsStatus.choices, "status": status})
