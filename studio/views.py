"""Kernel pages: the health check and the SMS outbox."""
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from staff.scoping import scope_for

from .health import broker_state, database_state
from .models import SmsMessage, SmsStatus
from .pagination import paginate


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
