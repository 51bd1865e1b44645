"""The outbox, the store's message templates, and the opt-out list."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from staff.scoping import scope_for, store_asked, store_for, stores_to_pick
from studio.models import SmsChannel, SmsMessage, SmsOptOut, SmsStatus
from studio.pagination import paginate
from studio.sms import get_sender, sms_opt_in, sms_opt_out

from .forms import OptOutForm, TemplateForm
from .models import MessageTemplate
from .purposes import PURPOSES, purpose_label
from .services import template_preview, template_save

GATEWAY_LABELS = {"outbox": gettext_lazy("发件箱"), "aliyun": gettext_lazy("阿里云短信"),
                  "tencent": gettext_lazy("腾讯云短信"), "wechat": gettext_lazy("微信")}


@login_required
@permission_required("studio.view_smsmessage", raise_exception=True)
def outbox(request: HttpRequest) -> HttpResponse:
    """Every message with its channel, gateway, template, status and reason, for the viewer's
    store(s)."""
    rows = scope_for(request.user).apply(SmsMessage.objects.all(), store_field="store_id",
                                         owner_field=None)
    status = request.GET.get("status", "")
    if status in SmsStatus.values:
        rows = rows.filter(status=status)
    page = paginate(request, rows.select_related("created_by"))
    page.object_list = list(page.object_list)
    for message in page.object_list:
        message.purpose_label = purpose_label(message.purpose)
        message.gateway_label = GATEWAY_LABELS.get(message.gateway, message.gateway)
    return render(request, "messaging/outbox.html", {
        "page": page, "statuses": SmsStatus.choices, "status": status,
        "sender": get_sender()})


def _template_store(request: HttpRequest):
    """The store whose templates a page shows: one's own; a general manager picks one, or none
    for the chain's templates (every store without its own)."""
    return store_for(request.user, store_asked(request), writing=False)


@login_required
@permission_required("messaging.view_messagetemplate", raise_exception=True)
def templates(request: HttpRequest) -> HttpResponse:
    store = _template_store(request)
    found = {(t.purpose, t.channel, t.store_id): t for t in MessageTemplate.objects.filter(
        store_id__in=[store.pk if store else None]) | MessageTemplate.objects.filter(
        store__isnull=True)}
    sender = get_sender()
    rows = []
    for purpose in PURPOSES.values():
        row = {"purpose": purpose, "channels": []}
        for channel, label in SmsChannel.choices:
            if channel == SmsChannel.WECHAT and not purpose.wechat:
                continue
            own = found.get((purpose.key, channel, store.pk if store else None))
            chain = found.get((purpose.key, channel, None)) if store else None
            template = own or chain
            row["channels"].append({
                "channel": channel, "label": label, "own": own, "chain": chain if not own else None,
                "preview": template_preview(purpose=purpose.key, text=template.text,
                                            fields=template.fields) if template else "",
                "missing": template is None and channel == SmsChannel.SMS and sender.needs_template,
            })
        rows.append(row)
    return render(request, "messaging/templates.html", {
        "rows": rows, "store": store, "stores": stores_to_pick(request.user), "sender": sender,
        "can_edit": request.user.has_perm("messaging.change_messagetemplate")})


@login_required
@permission_required("messaging.change_messagetemplate", raise_exception=True)
def template_edit(request: HttpRequest, purpose: str, channel: str) -> HttpResponse:
    if purpose not in PURPOSES or channel not in SmsChannel.values or (
            channel == SmsChannel.WECHAT and not PURPOSES[purpose].wechat):
        return render(request, "404.html", status=404)
    store = _template_store(request)
    spec = PURPOSES[purpose]
    current = MessageTemplate.objects.filter(store=store, purpose=purpose, channel=channel).first()
    initial = {"code": current.code, "text": current.text, "active": current.active,
               "fields_text": "\n".join(f"{k}={v}" for k, v in current.fields.items())
               } if current else {"active": True}
    form = TemplateForm(request.POST or None, initial=initial, channel=channel)
    if request.method == "POST" and form.is_valid():
        saved = form.call(template_save, store=store, purpose=purpose, channel=channel,
                          code=form.cleaned_data["code"], text=form.cleaned_data.get("text", ""),
                          fields=form.cleaned_data.get("fields_text") or {},
                          active=form.cleaned_data["active"], by=request.user)
        if saved is not None:
            messages.success(request, _("已保存“%(purpose)s”的%(channel)s模板。") % {
                "purpose": spec.label, "channel": saved.get_channel_display()})
            return redirect(_templates_url(store))
    preview = ""
    if current is not None:
        preview = template_preview(purpose=purpose, text=current.text, fields=current.fields)
    return render(request, "messaging/template_form.html", {
        "form": form, "purpose": spec, "channel": SmsChannel(channel), "store": store,
        "current": current, "preview": preview})


def _templates_url(store) -> str:
    url = reverse("messaging:templates")
    return f"{url}?store={store.pk}" if store else url


@login_required
@permission_required("messaging.delete_messagetemplate", raise_exception=True)
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(_editable_templates(request.user), pk=pk)
    store = template.store
    template.delete()
    messages.success(request, _("已删除模板。"))
    return redirect(_templates_url(store))


def _editable_templates(user):
    """A store's templates for its manager; every template, the chain's too, for a general manager."""
    scope = scope_for(user)
    if scope.nothing or scope.owner_id is not None:
        raise PermissionDenied
    if scope.all_stores:
        return MessageTemplate.objects.all()
    return MessageTemplate.objects.filter(store_id=scope.store_id)


@login_required
@permission_required("studio.view_smsoptout", raise_exception=True)
def opt_outs(request: HttpRequest) -> HttpResponse:
    """Mobiles that want no marketing messages: replies of TD, and what staff recorded."""
    form = OptOutForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("studio.add_smsoptout"):
            raise PermissionDenied
        if form.is_valid():
            with transaction.atomic():
                sms_opt_out(mobile=form.cleaned_data["mobile"], source=SmsOptOut.Source.STAFF,
                            text=form.cleaned_data["text"], by=request.user)
            messages.success(request, _("已登记退订：此后不再向该号码发送营销短信。"))
            return redirect("messaging:opt_outs")
    rows = SmsOptOut.objects.select_related("created_by")
    query = request.GET.get("mobile", "").strip()
    if query:
        rows = rows.filter(mobile=query)
    return render(request, "messaging/opt_outs.html", {
        "page": paginate(request, rows), "form": form, "query": query})


@login_required
@permission_required("studio.delete_smsoptout", raise_exception=True)
@require_POST
def opt_out_delete(request: HttpRequest, pk: int) -> HttpResponse:
    opt_out = get_object_or_404(SmsOptOut, pk=pk)
    sms_opt_in(mobile=opt_out.mobile)
    messages.success(request, _("已恢复：该号码可以再收到营销短信。"))
    return redirect("messaging:opt_outs")
