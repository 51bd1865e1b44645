"""Front-desk pages for production chasing (催件) and walk-outs (走单), with their forms.

Every page starts from a `*_visible_to(user)` selector: another store's order or walk-out
answers 404; a role without the permission 403; bad input and refused moves become form
errors on the page, never a 500.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Title
from customers.validators import validate_mobile
from orders.models import Order, OrderStatus
from orders.selectors import orders_visible_to
from staff.scoping import StoreField, scope_for, store_for, stores_to_pick
from studio.exports import XlsxColumn, XlsxSection, export_list, xlsx_report_response
from studio.forms import LocalDateTimeInput, RadioInput, ServiceFormMixin
from studio.pagination import paginate
from studio.periods import MAX_REPORT_DAYS, PeriodForm

from .exports import production_filtered, walkouts_filtered
from .models import ProductionStatus, ProductKind, WalkOutReason, WalkOutStatus
from .production import (
    pickup_sms_of,
    production_arrive,
    production_item_add,
    production_items_of_order,
    production_late,
    production_pickup,
    production_qc,
    production_send,
    production_visible_to,
    visitor_report,
    walkout_convert,
    walkout_give_up,
    walkout_orders_to_convert,
    walkout_record,
    walkouts_visible_to,
)
from .workflow import PRODUCTION_ITEM_STEPS, PRODUCTION_STEPS

# --- Forms -------------------------------------------------------------------------------------


class ProductionAddForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("产品"), choices=ProductKind.choices)
    quantity = forms.IntegerField(label=gettext_lazy("数量"), min_value=1, max_value=999,
                                  initial=1)
    description = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def save(self, *, order: Order, by):
        return self.call(production_item_add, order=order, by=by, **self.cleaned_data)


class ProductionSendForm(ServiceFormMixin, forms.Form):
    due_on = forms.DateField(label=gettext_lazy("预计到店"),
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def save(self, *, item, by):
        return self.call(production_send, item=item, by=by, due_on=self.cleaned_data["due_on"])


class ProductionArriveForm(ServiceFormMixin, forms.Form):
    def save(self, *, item, by):
        return self.call(production_arrive, item=item, by=by)


class ProductionQcForm(ServiceFormMixin, forms.Form):
    count = forms.IntegerField(label=gettext_lazy("清点数量"), min_value=0, max_value=9999)
    passed = forms.TypedChoiceField(label=gettext_lazy("质检结果"), coerce=lambda v: v == "yes",
                                    choices=[("yes", gettext_lazy("合格")),
                                             ("no", gettext_lazy("不合格"))],
                                    widget=RadioInput)
    note = forms.CharField(label=gettext_lazy("质检说明"), max_length=200, required=False)

    def save(self, *, item, by):
        data = self.cleaned_data
        return self.call(production_qc, item=item, by=by, count=data["count"],
                         passed=data["passed"], note=data["note"])


class ProductionPickupForm(ServiceFormMixin, forms.Form):
    picked_up_by = forms.CharField(label=gettext_lazy("取件人"), max_length=64)

    def save(self, *, item, by):
        return self.call(production_pickup, item=item, by=by,
                         picked_up_by=self.cleaned_data["picked_up_by"])


# What each step of a product says when done; its form and permission are the step map's
# (frontdesk.workflow.PRODUCTION_STEPS).
STEP_DONE: dict[str, str] = {
    "send": gettext_lazy("已送厂。"),
    "arrive": gettext_lazy("已登记到店。"),
    "qc": gettext_lazy("已登记质检。"),
    "pickup": gettext_lazy("已登记取件。"),
}


class WalkOutForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("客户姓名"), max_length=64)
    title = forms.ChoiceField(label=gettext_lazy("称呼"), choices=Title.choices, initial=Title.MS)
    mobile = forms.CharField(label=gettext_lazy("手机号"), max_length=11,
                             validators=[validate_mobile])
    reason = forms.ChoiceField(label=gettext_lazy("流失原因"),
                               choices=[("", "---------"), *WalkOutReason.choices])
    reason_note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)
    visited_at = forms.DateTimeField(label=gettext_lazy("到店时间"), widget=LocalDateTimeInput())
    store = StoreField(label=gettext_lazy("门店"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if scope_for(user).all_stores:
            self.fields["store"].bind(user, writing=True)
        else:  # one's own store: nothing to choose
            del self.fields["store"]

    def save(self, *, by):
        data = dict(self.cleaned_data)
        # A general manager picked the store above; anyone else records for their own.
        store = data.pop("store") if "store" in data else store_for(by, None, writing=True)
        return self.call(walkout_record, store=store, by=by, **data)


class WalkOutConvertForm(ServiceFormMixin, forms.Form):
    order = forms.ModelChoiceField(label=gettext_lazy("成交订单"), queryset=Order.objects.none())

    def __init__(self, *args, orders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders if orders is not None else Order.objects.none()
        self.fields["order"].label_from_instance = lambda o: (
            f"#{o.pk} {o.package.name} {timezone.localtime(o.created_at):%Y-%m-%d}")

    def save(self, *, walkout, by):
        return self.call(walkout_convert, walkout=walkout, by=by, order=self.cleaned_data["order"])


class WalkOutGiveUpForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(label=gettext_lazy("放弃原因"), max_length=100)

    def save(self, *, walkout, by):
        return self.call(walkout_give_up, walkout=walkout, by=by, note=self.cleaned_data["note"])


class ReportPeriodForm(PeriodForm):
    """The period (studio.periods: this month so far by default, at most a year) and the store."""

    max_days = MAX_REPORT_DAYS
    # A general manager's pick, every store by default; anyone else's is their own store.
    store = StoreField(label=gettext_lazy("门店"), empty_label=gettext_lazy("全部门店"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].bind(user, writing=False)


# --- Production pages --------------------------------------------------------------------------


def _production_nav() -> dict:
    return {"statuses": ProductionStatus.choices, "kinds": ProductKind.choices}


@login_required
@permission_required("frontdesk.view_productionitem", raise_exception=True)
def production(request: HttpRequest) -> HttpResponse:
    """催件: every product in scope, by status and product."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "production")
    status, kind, items = production_filtered(request.user, request.GET)
    page = paginate(request, items)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(request, "frontdesk/production_list.html", {
        "page": page, "status": status, "kind": kind, "query": query.urlencode(),
        "today": timezone.localdate(), **_production_nav()})


@login_required
@permission_required("frontdesk.view_productionitem", raise_exception=True)
def late_production(request: HttpRequest) -> HttpResponse:
    """Products at the lab past their due date: the list to chase the lab with."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "late_production")
    today = timezone.localdate()
    items = production_late(request.user, today=today)
    page = paginate(request, items)
    return render(request, "frontdesk/production_late.html", {
        "page": page, "today": today, "query": ""})


def _next_step_form(item, order: Order, today, user) -> forms.Form | None:
    """The form of the item's next step the step map offers `user`, shown in its row (登记到店
    has no fields); None when there is none (picked up, or not the user's to take)."""
    steps = PRODUCTION_STEPS.available(state=item.status, user=user)
    if not steps:
        return None
    step = steps[0]  # each state of a product has one step out
    initial = {"qc": {"count": item.quantity, "passed": "yes"},
               "pickup": {"picked_up_by": order.customer.name}}.get(step.action)
    form = step.form_class(auto_id=f"item-{item.pk}-%s", initial=initial)  # ids of each row's own
    if step.action == "send":
        form.fields["due_on"].widget.attrs["min"] = today.isoformat()
    return form


def _order_page(request: HttpRequest, order: Order, *, add_form=None, error_item=None,
                error_form=None, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    items = list(production_items_of_order(order))
    for item in items:  # each row's next step; a refused one keeps what was typed, its errors
        item.step_form = _next_step_form(item, order, today, request.user)
        item.error_form = None
        if item.pk == error_item:
            if type(error_form) is type(item.step_form):
                error_form.auto_id = item.step_form.auto_id
                item.step_form = error_form
            else:  # not the row's step (an unknown action): the errors alone, with their labels
                item.error_form = error_form
    return render(request, "frontdesk/production_order.html", {
        "order": order, "items": items,
        "pickup_sms": pickup_sms_of(order),
        "add_form": (add_form or ProductionAddForm()) if PRODUCTION_STEPS["add"].permits(
            request.user) else None,
        "today": today, "active": order.status != OrderStatus.CANCELLED,
    }, status=status)


@login_required
@permission_required("frontdesk.view_productionitem", raise_exception=True)
def production_order(request: HttpRequest, pk: int) -> HttpResponse:
    """One order's products: add them, send, receive, check and hand them over."""
    order = get_object_or_404(
        orders_visible_to(request.user).select_related("customer", "package", "store"), pk=pk)
    if request.method == "POST":
        step = PRODUCTION_STEPS["add"]
        if not step.permits(request.user):
            raise PermissionDenied
        form = step.form_class(request.POST)
        if form.is_valid() and form.save(order=order, by=request.user):
            messages.success(request, _("已添加制作产品。"))
            return redirect("frontdesk:production_order", pk=order.pk)
        return _order_page(request, order, add_form=form, status=400)
    return _order_page(request, order)


@login_required
@permission_required("frontdesk.view_productionitem", raise_exception=True)
def production_item(request: HttpRequest, pk: int) -> HttpResponse:
    """A step of one product (send, arrive, qc, pickup); GET shows its order's page."""
    item = get_object_or_404(production_visible_to(request.user).select_related(
        "order__customer", "order__package", "order__store"), pk=pk)
    target = reverse("frontdesk:production_order", args=[item.order_id]) + f"#item-{item.pk}"
    if request.method != "POST":
        return redirect(target)
    action = request.POST.get("action", "")
    step = next((s for s in PRODUCTION_ITEM_STEPS if s.action == action), None)
    # The step's permission (403); an unknown action: 403 for whoever may take no step of a
    # product, else a form error (400).
    user = request.user
    if not (step.permits(user) if step else any(s.permits(user) for s in PRODUCTION_ITEM_STEPS)):
        raise PermissionDenied
    if step is None:
        form = ProductionArriveForm(request.POST)
        form.add_error(None, _("未知的操作。"))
        return _order_page(request, item.order, error_item=item.pk, error_form=form, status=400)
    form = step.form_class(request.POST)
    if form.is_valid() and form.save(item=item, by=request.user):
        messages.success(request, STEP_DONE[action])
        return redirect(target)
    return _order_page(request, item.order, error_item=item.pk, error_form=form, status=400)


# --- Walk-out pages ----------------------------------------------------------------------------


@login_required
@permission_required("frontdesk.view_walkout", raise_exception=True)
def walkouts(request: HttpRequest) -> HttpResponse:
    """走单 list: who left, why, and whether they were won back."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "walkouts")
    status, reason, q, walkouts = walkouts_filtered(request.user, request.GET)
    reveal = request.user.has_perm("customers.view_full_mobile")
    page = paginate(request, walkouts)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(request, "frontdesk/walkout_list.html", {
        "page": page, "status": status, "reason": reason, "q": q, "query": query.urlencode(),
        "statuses": WalkOutStatus.choices, "reasons": WalkOutReason.choices, "reveal": reveal})


@login_required
@permission_required("frontdesk.add_walkout", raise_exception=True)
def walkout_new(request: HttpRequest) -> HttpResponse:
    """Record a walk-out; the week's follow-up calls are scheduled on save."""
    form = WalkOutForm(request.POST or None, user=request.user,
                       initial={"visited_at": timezone.localtime().replace(second=0,
                                                                           microsecond=0)})
    if request.method == "POST" and form.is_valid():
        walkout = form.save(by=request.user)
        if walkout is not None:
            messages.success(request, _("已登记走单，一周内的跟进电话已安排。"))
            return redirect("frontdesk:walkout", pk=walkout.pk)
    return render(request, "frontdesk/walkout_new.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
@permission_required("frontdesk.view_walkout", raise_exception=True)
def walkout(request: HttpRequest, pk: int) -> HttpResponse:
    """One walk-out: the visit, its follow-up calls, and 已成交 / 已流失."""
    walkout = get_object_or_404(walkouts_visible_to(request.user).select_related(
        "customer", "store", "consultant", "converted_order__package"), pk=pk)
    orders = walkout_orders_to_convert(walkout)
    convert_form = WalkOutConvertForm(orders=orders)
    give_up_form = WalkOutGiveUpForm()
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("frontdesk.change_walkout"):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "convert":
            form = convert_form = WalkOutConvertForm(request.POST, orders=orders)
            done = _("已标记为成交，未完成的跟进电话已取消。")
        elif action == "give_up":
            form = give_up_form = WalkOutGiveUpForm(request.POST)
            done = _("已标记为流失，未完成的跟进电话已取消。")
        else:
            return redirect("frontdesk:walkout", pk=walkout.pk)
        if form.is_valid() and form.save(walkout=walkout, by=request.user):
            messages.success(request, done)
            return redirect("frontdesk:walkout", pk=walkout.pk)
        status = 400
    return render(request, "frontdesk/walkout_detail.html", {
        "walkout": walkout, "orders": orders, "convert_form": convert_form,
        "give_up_form": give_up_form,
        # The calls are callbacks' rows, read through the reverse relation (orders never
        # imports callbacks).
        "followups": walkout.followups.select_related("assigned_to").order_by("sequence"),
        "reveal": request.user.has_perm("customers.view_full_mobile"),
    }, status=status)


@login_required
@permission_required("frontdesk.view_walkout", raise_exception=True)
def visitors(request: HttpRequest) -> HttpResponse:
    """每日客流: each day's visitors (new orders + walk-outs) per store, and why people left."""
    today = timezone.localdate()
    data = request.GET.copy()  # the date boxes show the period shown
    data.setdefault("start", today.replace(day=1).isoformat())
    data.setdefault("end", today.isoformat())
    form = ReportPeriodForm(data, user=request.user)
    start, end = form.period()
    status = 200 if form.is_valid() else 400
    store = form.cleaned_data.get("store")  # None: every store in scope (or a refused pick)
    report = visitor_report(request.user, start=start, end=end, store=store)
    store_name = store.name if store else _("全部门店")
    if request.GET.get("export") == "xlsx" and status == 200:
        return _visitors_xlsx(request, report, store_name)
    query = request.GET.copy()
    query.pop("export", None)
    return render(request, "frontdesk/walkout_visitors.html", {
        "form": form, "report": report, "store_name": store_name, "query": query.urlencode(),
        "store_param": f"&store={store.pk}" if store else "",
        "stores": stores_to_pick(request.user)}, status=status)


def _visitors_xlsx(request: HttpRequest, report, store_name: str):
    days = XlsxSection(title=_("每日客流"), columns=[
        XlsxColumn(_("日期"), 12), XlsxColumn(_("门店"), 16), XlsxColumn(_("到店客户"), 10),
        XlsxColumn(_("成交（新客户下单）"), 18), XlsxColumn(_("走单"), 10),
        XlsxColumn(_("成交率"), 10, percent=True)], rows=[
        *[(d.day, d.store, d.visitors, d.ordered, d.walked_out, d.order_rate) for d in report.days],
        (_("合计"), "", report.visitors, report.ordered, report.walked_out, report.order_rate)])
    reasons = XlsxSection(title=_("流失原因"), columns=[
        XlsxColumn(_("流失原因"), 16), XlsxColumn(_("走单数"), 10),
        XlsxColumn(_("占比"), 10, percent=True),
        XlsxColumn(_("其中已成交"), 12)],
        rows=[(r.label, r.count, r.share, r.converted) for r in report.reasons])
    period = f"{report.start:%Y-%m-%d} ~ {report.end:%Y-%m-%d}"
    return xlsx_report_response(
        request=request, filename=f"客流统计-{report.start:%Y%m%d}-{report.end:%Y%m%d}.xlsx",
        title=_("客流统计"), sections=[days, reasons],
        lines=[_("统计期间：%(period)s") % {"period": period},
               _("门店：%(store)s") % {"store": store_name}],
        audit_detail={"report": "visitors", "start": report.start.isoformat(),
                      "end": report.end.isoformat()})

