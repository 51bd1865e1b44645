"""Pages whose rows are scoped by role and store and that belong to no app above staff."""
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from studio.models import SmsMessage, SmsStatus
from studio.pagination import paginate

from .scoping import scope_for

# What each sender writes in SmsMessage.purpose (callbacks, frontdesk), as the page names it.
SMS_PURPOSES = {
    "callback:thanks": _("回访感谢短信"),
    "callback:survey": _("满意度调查短信"),
    "reminder": _("到店前一天提醒"),
    "production:pickup": _("取件通知"),
}


@login_required
@permission_required("studio.view_smsmessage", raise_exception=True)
def sms_outbox(request: HttpRequest) -> HttpResponse:
    """The SMS outbox: every message with its delivery status, for the viewer's store(s)."""
    messages_ = scope_for(request.user).apply(SmsMessage.objects.all(), store_field="store_id",
                                              owner_field=None)
    status = request.GET.get("status", "")
    if status in SmsStatus.values:
        messages_ = messages_.filter(status=status)
    page = paginate(request, messages_.select_related("created_by"))
    page.object_list = list(page.object_list)
    for message in page.object_list:  # a code no sender above names is shown as it is
        message.purpose_label = SMS_PURPOSES.get(message.purpose, message.purpose)
    return render(request, "sms_outbox.html", {
        "page": page, "statuses": SmsStatus.choices, "status": status})
