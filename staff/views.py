"""Pages whose rows are scoped by role and store and that belong to no app above staff."""
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.models import SmsMessage, SmsStatus
from studio.pagination import paginate

from .scoping import scope_for


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
