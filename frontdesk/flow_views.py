"""Pages of flow cards （流程卡） and rework （返工）.

Every page starts from a `*_visible_to(user)` selector: what is out of the viewer's scope
answers 404, what their role may not do answers 403, and bad input comes back as form errors.
"""
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders.models import ZERO, Order, OrderStage, StageKind, StageStatus
from orders.selectors import orders_visible_to
from orders.workflow import STAGE_STEPS
from staff.models import Role, User
from staff.scoping import StoreField, scope_for
from studio.errors import DomainError
from studio.exports import XlsxColumn, XlsxSection, export_list, xlsx_report_response
from studio.forms import ServiceFormMixin, confirm_field
from studio.pagination import paginate

from .exports import reworks_filtered
from .flowcards import (
    flow_card_create,
    flow_card_preview,
    flow_cards_list_for_handover,
    performance_credits_for_person,
    performance_summary_for_person,
    performance_totals_for_handover,
    rework_decide,
    rework_done,
    rework_request,
    reworks_visible_to,
    staff_with_performance_visible_to,
)
from .models import FlowCard, Rework, ReworkStatus
from .workflow import REWORK_STEPS


class DateInput(forms.DateInput):
    """The browser's date picker: it reads only ISO values, whatever the UI language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        profile = getattr(obj, "staff_profile", None)
        if profile is None:
            return obj.display_name
        return f"{obj.display_name}({profile.get_role_display()} · {profile.store.name})"


# ---- flow card ------------------------------------------------------------------------------

class FlowCardForm(ServiceFormMixin, forms.Form):
    photographer = PersonField(label=gettext_lazy("摄影师"), queryset=User.objects.none())
    makeup_artist = PersonField(label=gettext_lazy("化妆师"), queryset=User.objects.none(),
                                required=False, empty_label=gettext_lazy("（无化妆师）"))
    confirm = confirm_field()  # people or time other than the booking's

    def __init__(self, *args, stage: OrderStage, **kwargs):
        super().__init__(*args, **kwargs)
        staff = (User.objects.filter(is_active=True, staff_profile__is_active=True,
                                     staff_profile__store_id=stage.order.store_id)
                 .select_related("staff_profile__store").order_by("staff_profile__role", "username"))
        # The people of the role, and whoever the shoot was booked with even in another role.
        self.fields["photographer"].queryset = staff.filter(
            Q(staff_profile__role=Role.PHOTOGRAPHER) | Q(pk=stage.assigned_to_id or 0))
        self.fields["makeup_artist"].queryset = staff.filter(
            Q(staff_profile__role=Role.MAKEUP_ARTIST) | Q(pk=stage.makeup_artist_id or 0))

    def save(self, *, order: Order, by: User, complete_shoot: bool) -> FlowCard | None:
        return self.call(flow_card_create, order=order, by=by, complete_shoot=complete_shoot,
                         photographer=self.cleaned_data["photographer"],
                         makeup_artist=self.cleaned_data["makeup_artist"],
                         confirm=self.cleaned_data["confirm"])


@login_required
@permission_required("frontdesk.add_flowcard", raise_exception=True)
def flowcard_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The flow card of an order's shoot: who photographed, who did makeup, what each earns."""
    order = get_object_or_404(
        orders_visible_to(request.user).select_related("customer", "package", "store"), pk=pk)
    stage = get_object_or_404(
        OrderStage.objects.select_related("assigned_to", "makeup_artist"),
        order=order, kind=StageKind.SHOOT)
    stage.order = order
    card = (FlowCard.objects.filter(stage=stage)
            .select_related("photographer", "makeup_artist", "created_by")
            .prefetch_related("credits__user").first())
    shoot_done = stage.status == StageStatus.DONE
    may_complete = STAGE_STEPS["complete"].permits(request.user)  # the card completes the shoot
    form = None
    if card is None:
        initial = {"photographer": stage.assigned_to_id, "makeup_artist": stage.makeup_artist_id}
        form = FlowCardForm(request.POST if request.method == "POST" else None, stage=stage,
                            initial=initial)
        if request.method == "POST" and form.is_valid():
            complete_shoot = request.POST.get("complete_shoot") == "1" and may_complete
            created = form.save(order=order, by=request.user, complete_shoot=complete_shoot)
            if created is not None:
                parts = [f"{c.user.display_name} ¥{c.amount:,.2f}"
                         for c in created.credits.select_related("user")]
                messages.success(request, _("流程卡已登记，业绩：%(parts)s。") % {
                    "parts": "，".join(parts)})
                return redirect(reverse("orders:customer", args=[order.customer_id])
                                + f"#order-{order.pk}")
    elif request.method == "POST":
        messages.error(request, _("该订单的拍摄已登记流程卡，不能重复登记。"))
    return render(request, "frontdesk/flow_card_form.html", {
        "order": order, "stage": stage, "card": card, "form": form, "shoot_done": shoot_done,
        "may_complete": may_complete, "preview": flow_card_preview(order),
    })


# ---- the cashier's hand-over ----------------------------------------------------------------

class HandoverForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("日期"), required=False, widget=DateInput())
    store = StoreField(label=gettext_lazy("门店"), empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].bind(user, writing=False, one_store=True)


def _handover_rows(cards) -> list[list]:
    rows = []
    for card in cards:
        credit = {c.role: c for c in card.credits.all()}
        photo, makeup = credit.get(Role.PHOTOGRAPHER), credit.get(Role.MAKEUP_ARTIST)
        rows.append([card.on, card.order_id, card.order.customer.name, card.order.package.name,
                     card.amount, card.photographer.display_name, photo.amount if photo else None,
                     card.makeup_artist.display_name if card.makeup_artist else "",
                     makeup.amount if makeup else None,
                     card.created_by.display_name if card.created_by else "", card.created_at])
    return rows


def _handover_sections(cards, people: list[User]) -> list[XlsxSection]:
    card_columns = [
        XlsxColumn(_("日期"), 12), XlsxColumn(_("订单号"), 9), XlsxColumn(_("客户"), 12),
        XlsxColumn(_("套系"), 18), XlsxColumn(_("计业绩金额"), 14), XlsxColumn(_("摄影师"), 12),
        XlsxColumn(_("摄影业绩"), 14), XlsxColumn(_("化妆师"), 12), XlsxColumn(_("化妆业绩"), 14),
        XlsxColumn(_("登记人"), 12), XlsxColumn(_("登记时间"), 18)]
    person_columns = [
        XlsxColumn(_("员工"), 12), XlsxColumn(_("流程卡数"), 9), XlsxColumn(_("摄影业绩"), 12),
        XlsxColumn(_("化妆业绩"), 12), XlsxColumn(_("业绩合计"), 14)]
    return [
        XlsxSection(_("流程卡"), card_columns, _handover_rows(cards)),
        XlsxSection(_("个人业绩"), person_columns, [
            [p.display_name, p.cards, p.as_photographer, p.as_makeup, p.total] for p in people]),
    ]


@login_required
@permission_required("frontdesk.view_performancecredit", raise_exception=True)
def handover(request: HttpRequest) -> HttpResponse:
    """交班: one store's flow cards of one day and what each person earned; export .xlsx."""
    shown = request.GET.copy()  # the form's boxes show the day and the store shown
    shown.setdefault("on", timezone.localdate().isoformat())
    form = HandoverForm(shown, user=request.user)
    form.is_valid()  # a bad date or store is reported on the form (400); the valid fields apply
    data = form.cleaned_data
    on: date = data.get("on") or timezone.localdate()
    store = data.get("store")
    if store is not None:
        shown.setdefault("store", str(store.pk))
    if store is None:  # a store that is not one's to pick shows nothing
        cards, people = FlowCard.objects.none(), User.objects.none()
    else:
        cards = flow_cards_list_for_handover(request.user, on=on, store_id=store.pk)
        people = performance_totals_for_handover(request.user, on=on, store_id=store.pk)
    people = list(people)
    if request.GET.get("export") == "xlsx" and store is not None:
        return xlsx_report_response(
            request=request, filename=f"交班-{store.code}-{on:%Y%m%d}.xlsx",
            title=_("交班 %(on)s") % {"on": on.isoformat()},
            lines=[_("门店：%(store)s") % {"store": store.name},
                   _("日期：%(on)s") % {"on": on.isoformat()}],
            sections=_handover_sections(cards, people),
            audit_detail={"list": "handover", "on": on.isoformat(), "store": store.pk})
    page = paginate(request, cards)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "frontdesk/flow_handover.html", {
        "form": form, "on": on, "store": store, "page": page, "people": people,
        "day_total": sum((p.total for p in people), start=ZERO),
        "show_stores": scope_for(request.user).all_stores, "query": query.urlencode(),
        "active": "handover",
    }, status=400 if form.errors else 200)


# ---- a person's performance over a period ---------------------------------------------------

class PerformanceForm(forms.Form):
    person = PersonField(label=gettext_lazy("员工"), queryset=User.objects.none())
    start_on = forms.DateField(label=gettext_lazy("开始日期"), widget=DateInput())
    end_on = forms.DateField(label=gettext_lazy("结束日期"), widget=DateInput())

    def __init__(self, *args, people: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people

    def clean(self):
        data = super().clean()
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("结束日期不能早于开始日期。"))
        return data


@login_required
@permission_required("frontdesk.view_performancecredit", raise_exception=True)
def performance(request: HttpRequest) -> HttpResponse:
    """One person's performance credits over a period, with the totals."""
    today = timezone.localdate()
    people = staff_with_performance_visible_to(request.user)
    form = PerformanceForm(request.GET if "person" in request.GET else None, people=people,
                           initial={"start_on": today.replace(day=1), "end_on": today})
    context = {"form": form, "active": "performance"}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        period = {"person": data["person"], "start_on": data["start_on"], "end_on": data["end_on"]}
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            person=data["person"], query=query.urlencode(),
            summary=performance_summary_for_person(request.user, **period),
            page=paginate(request, performance_credits_for_person(request.user, **period)))
    return render(request, "frontdesk/flow_performance.html", context)


# ---- rework ---------------------------------------------------------------------------------

class ReworkRequestForm(ServiceFormMixin, forms.Form):
    items = forms.CharField(label=gettext_lazy("返工内容"), max_length=200,
                            help_text=gettext_lazy("如：重拍外景一组、重修 5 张、相册重做"))
    reason = forms.CharField(label=gettext_lazy("返工原因"),
                             widget=forms.Textarea(attrs={"rows": 3}))

    def save(self, *, order: Order, by: User) -> Rework | None:
        return self.call(rework_request, order=order, by=by, **self.cleaned_data)


class ReworkDecideForm(ServiceFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("批准")),
                                          ("reject", gettext_lazy("不批准"))])
    note = forms.CharField(label=gettext_lazy("审批意见"), max_length=200, required=False)

    def save(self, *, rework: Rework, by: User) -> Rework | None:
        return self.call(rework_decide, rework=rework, by=by,
                         approve=self.cleaned_data["decision"] == "approve",
                         note=self.cleaned_data["note"])


@login_required
@permission_required(REWORK_STEPS["request"].permission, raise_exception=True)
def rework_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a rework of an order: what is redone and why; the store manager approves."""
    order = get_object_or_404(
        orders_visible_to(request.user).select_related("customer", "package"), pk=pk)
    form = REWORK_STEPS["request"].form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        rework = form.save(order=order, by=request.user)
        if rework is not None:
            messages.success(request, _("返工申请已提交，等待店长审批。"))
            return redirect("frontdesk:rework", pk=rework.pk)
    shoot_done = order.stages.filter(kind=StageKind.SHOOT, status=StageStatus.DONE).exists()
    return render(request, "frontdesk/flow_rework_form.html", {
        "order": order, "form": form, "shoot_done": shoot_done, "active": "reworks"})


@login_required
@permission_required("frontdesk.view_rework", raise_exception=True)
def reworks(request: HttpRequest) -> HttpResponse:
    """Rework records in the viewer's scope; those awaiting approval first."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "reworks")
    status, records = reworks_filtered(request.user, request.GET)
    page = paginate(request, records)
    return render(request, "frontdesk/flow_reworks.html", {
        "page": page, "status": status, "statuses": ReworkStatus.choices,
        "query": f"status={status}" if status else "", "active": "reworks"})


def _rework_of(request: HttpRequest, pk: int) -> Rework:
    return get_object_or_404(
        reworks_visible_to(request.user).select_related(
            "order__customer", "order__package", "order__store", "requested_by", "decided_by"),
        pk=pk)


def _render_rework(request: HttpRequest, rework: Rework, *, decide_form=None, done: str = "",
                   status: int = 200) -> HttpResponse:
    # The steps the step map offers this user now, and only those. htmx gets the record's part
    # of the page (the decision answered in place), anyone else the page.
    offered = {step.action: step
               for step in REWORK_STEPS.available(state=rework.status, user=request.user)}
    template = "frontdesk/flow_rework.html" + ("#rework" if request.htmx else "")
    return render(request, template, {
        "rework": rework, "active": "reworks", "done": done,
        "decide_form": (decide_form or offered["decide"].form_class()) if "decide" in offered
        else None,
        "may_done": "done" in offered,
    }, status=status)


@login_required
@permission_required("frontdesk.view_rework", raise_exception=True)
def rework(request: HttpRequest, pk: int) -> HttpResponse:
    """A rework record: reason, what is redone, the manager's decision, done."""
    return _render_rework(request, _rework_of(request, pk))


@login_required
@require_POST
def rework_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a rework: the store manager only (403 for everyone else)."""
    rework = _rework_of(request, pk)
    step = REWORK_STEPS["decide"]
    if not step.permits(request.user):
        raise PermissionDenied
    form = step.form_class(request.POST)
    valid = form.is_valid()
    decided = form.save(rework=rework, by=request.user) if valid else None
    if decided is None:  # the form again with why (htmx: 400 its own checks, 409 the service)
        return _render_rework(request, rework, decide_form=form,
                              status=(409 if valid else 400) if request.htmx else 200)
    done = _("已批准返工。") if decided.status == ReworkStatus.APPROVED else _("已不批准返工。")
    if request.htmx:  # the record as it now stands, in place
        return _render_rework(request, _rework_of(request, pk), done=done)
    messages.success(request, done)
    return redirect("frontdesk:rework", pk=rework.pk)


@login_required
@require_POST
@permission_required(REWORK_STEPS["done"].permission, raise_exception=True)
def rework_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    rework = _rework_of(request, pk)
    try:
        rework_done(rework=rework, by=request.user)
        messages.success(request, _("返工已完成。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("frontdesk:rework", pk=rework.pk)
