"""Pages of the webhooks: a store's endpoints, each one's delivery log, the test button.

For the store's manager (their store) and the general manager (every store): the permission
is checked first (403 for every other role, whether the id exists or not), then the scope
(another store's endpoint is a 404). The secret is shown once, on the page that answers the
POST that made it (never stored in a message or the session), and never listed.
"""
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from staff.models import Store
from staff.scoping import store_asked, store_for, stores_to_pick
from studio.errors import DomainError
from studio.forms import CheckInput, ServiceFormMixin
from studio.pagination import paginate

from .models import DeliveryStatus, WebhookEndpoint, WebhookEvent
from .selectors import deliveries_for_log, deliveries_visible_to, endpoints_visible_to
from .services import (
    webhook_endpoint_delete,
    webhook_endpoint_save,
    webhook_ping,
    webhook_redeliver,
    webhook_secret_regenerate,
)


class EndpointForm(ServiceFormMixin, forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("接收地址"), max_length=500, assume_scheme="https",
                         help_text=WebhookEndpoint._meta.get_field("url").help_text)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("订阅的事件"), choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]
        widgets = {"is_active": CheckInput}

    def __init__(self, *args, by=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.by = by
        self.fields["url"].widget.attrs["placeholder"] = "https://"

    def save_endpoint(self) -> WebhookEndpoint | None:
        return self.call(webhook_endpoint_save, endpoint=self.save(commit=False), by=self.by)


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _status(form: forms.Form) -> int:
    return 400 if form.errors else 200


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    return get_object_or_404(endpoints_visible_to(request.user), pk=pk)


def _secret_page(request: HttpRequest, endpoint: WebhookEndpoint, *, new: bool) -> HttpResponse:
    """The one page that shows the secret: the answer to the POST that made it."""
    response = render(request, "webhooks/secret.html", {"endpoint": endpoint, "new": new})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required("webhooks.view_webhookendpoint", raise_exception=True)
def endpoints(request: HttpRequest) -> HttpResponse:
    """The store's endpoints; a new one is added here (its secret shown once)."""
    store: Store = store_for(request.user, store_asked(request),
                             writing=request.method == "POST", one_store=True)
    may_add = request.user.has_perm("webhooks.add_webhookendpoint")
    form = EndpointForm(_posted(request), instance=WebhookEndpoint(store=store), by=request.user,
                        initial={"events": WebhookEvent.values})
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid() and (endpoint := form.save_endpoint()) is not None:
            return _secret_page(request, endpoint, new=True)
    rows = (WebhookEndpoint.objects.filter(store=store).order_by("pk"))
    return render(request, "webhooks/endpoints.html", {
        "store": store, "stores": stores_to_pick(request.user), "endpoints": rows,
        "form": form if may_add else None}, status=_status(form))


@login_required
@permission_required("webhooks.view_webhookendpoint", raise_exception=True)
def endpoint(request: HttpRequest, pk: int) -> HttpResponse:
    """One endpoint: its settings (changed by a POST) and its delivery log."""
    item = _endpoint(request, pk)
    form = EndpointForm(_posted(request), instance=item, by=request.user)
    if request.method == "POST":
        if not request.user.has_perm("webhooks.change_webhookendpoint"):
            raise PermissionDenied
        if form.is_valid() and form.save_endpoint() is not None:
            messages.success(request, _("接收地址已保存。"))
            return redirect("webhooks:endpoint", pk=item.pk)
    return _endpoint_page(request, item, form, status=_status(form))


def _endpoint_page(request: HttpRequest, item: WebhookEndpoint, form: EndpointForm, *,
                   status: int = 200, delete_error: str = "") -> HttpResponse:
    status_filter = request.GET.get("status", "")
    log = deliveries_for_log(item)
    if status_filter in DeliveryStatus.values:
        log = log.filter(status=status_filter)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "webhooks/endpoint.html", {
        "endpoint": item, "form": form, "page": paginate(request, log),
        "statuses": DeliveryStatus.choices, "status": status_filter, "query": query.urlencode(),
        "delete_error": delete_error}, status=status)


@login_required
@permission_required("webhooks.delete_webhookendpoint", raise_exception=True)
@require_POST
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _endpoint(request, pk)
    if request.POST.get("confirm") != "1":
        return _endpoint_page(request, item, EndpointForm(instance=item, by=request.user),
                              status=400, delete_error=_("请勾选“确认删除”。"))
    store_id = item.store_id
    webhook_endpoint_delete(endpoint=item, by=request.user)
    messages.success(request, _("接收地址及其推送记录已删除。"))
    return redirect(f"{reverse('webhooks:endpoints')}?store={store_id}")


@login_required
@permission_required("webhooks.change_webhookendpoint", raise_exception=True)
@require_POST
def endpoint_secret(request: HttpRequest, pk: int) -> HttpResponse:
    item = webhook_secret_regenerate(endpoint=_endpoint(request, pk), by=request.user)
    return _secret_page(request, item, new=False)


@login_required
@permission_required("webhooks.change_webhookendpoint", raise_exception=True)
@require_POST
def endpoint_ping(request: HttpRequest, pk: int) -> HttpResponse:
    """发送测试: a `ping` through the outbox; the log shows how it went."""
    webhook_ping(endpoint=_endpoint(request, pk), by=request.user)
    messages.success(request, _("测试推送已发出，结果见下方推送记录（稍后刷新）。"))
    return redirect("webhooks:endpoint", pk=pk)


@login_required
@permission_required("webhooks.view_webhookdelivery", raise_exception=True)
def delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: its outcome and the JSON sent."""
    item = get_object_or_404(deliveries_visible_to(request.user), pk=pk)
    return render(request, "webhooks/delivery.html", {
        "delivery": item, "payload_text": json.dumps(item.payload, ensure_ascii=False, indent=2)})


@login_required
@permission_required("webhooks.change_webhookendpoint", raise_exception=True)
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(deliveries_visible_to(request.user), pk=pk)
    try:
        webhook_redeliver(delivery=item, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("webhooks:endpoint", pk=item.endpoint_id)
    messages.success(request, _("已重新排队发送。"))
    return redirect("webhooks:endpoint", pk=item.endpoint_id)
