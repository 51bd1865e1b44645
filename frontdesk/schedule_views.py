"""Pages of the schedule (档期): the week and day calendar, booking and moving a slot, the day
sheet, each person's bookings, and the gown and outdoor location catalogues.

Every page starts from a scoped selector: what is out of the viewer's scope answers 404, what
their role may not do 403; a refused booking comes back as form errors, never a 500.
"""
from datetime import date, timedelta
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders.models import Package, StageKind
from orders.selectors import stages_visible_to
from staff.models import Role, Store, User
from staff.scoping import scope_for, store_asked, store_for, stores_to_pick
from staff.selectors import staff_users_in_scope
from studio.exports import XlsxColumn, xlsx_response
from studio.forms import CheckInput, LocalDateTimeInput, ServiceFormMixin
from studio.pagination import paginate

from .models import Booking, BookingStatus, Gown, GownCondition, OutdoorLocation
from .schedule import (
    BOOKABLE_KINDS,
    _calendar_bookings,
    booking_cancel,
    booking_create,
    booking_for_page,
    booking_move,
    calendar_day_by_person,
    calendar_week,
    day_bounds,
    day_sheet,
    gown_lines,
    gown_save,
    gown_selection_record,
    gowns_bookable,
    gowns_for_catalogue,
    location_save,
    person_bookings,
    stages_waiting_for_booking,
)

SHOOT_ONLY = ("photographer", "makeup_artist", "requested_by_customer", "location", "gowns")
PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024


# --- forms ----------------------------------------------------------------------------------

class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class GownChoiceField(forms.ModelMultipleChoiceField):
    """Gowns labelled with what the customer pays for them in this order's package."""

    package_id: int | None = None

    def label_from_instance(self, obj: Gown) -> str:
        details = " · ".join(x for x in (obj.style, obj.size, obj.colour) if x)
        included = any(p.pk == self.package_id for p in obj.packages.all())
        price = _("含于套系") if included else _("加选 ¥%(price)s") % {"price": f"{obj.addon_price:,.2f}"}
        return f"{obj.code} {details}（{price}）"


class _SlotForm(ServiceFormMixin, forms.Form):
    starts_at = forms.DateTimeField(label=gettext_lazy("开始时间"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(
        label=gettext_lazy("结束时间"), required=False, widget=LocalDateTimeInput(),
        help_text=gettext_lazy("不填则按默认时长：拍摄 4 小时，礼服挑选和选片 2 小时；改期时保持原时长"))
    photographer = PersonChoiceField(label=gettext_lazy("摄影师"), queryset=User.objects.none(),
                                     required=False)
    makeup_artist = PersonChoiceField(label=gettext_lazy("化妆师"), queryset=User.objects.none(),
                                      required=False, empty_label=gettext_lazy("不安排"))
    location = forms.ModelChoiceField(label=gettext_lazy("外景点"),
                                      queryset=OutdoorLocation.objects.none(), required=False,
                                      empty_label=gettext_lazy("无（棚内拍摄）"))
    gowns = GownChoiceField(label=gettext_lazy("礼服"), queryset=Gown.objects.none(),
                            required=False, widget=forms.CheckboxSelectMultiple(
                                attrs={"class": "form-check-input"}))
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args, stage, user, **kwargs):
        super().__init__(*args, **kwargs)
        order = stage.order
        if stage.kind != StageKind.SHOOT:
            for name in SHOOT_ONLY:
                self.fields.pop(name, None)
            return
        self.fields["photographer"].queryset = staff_users_in_scope(
            user, Role.PHOTOGRAPHER).filter(staff_profile__store_id=order.store_id)
        self.fields["makeup_artist"].queryset = staff_users_in_scope(
            user, Role.MAKEUP_ARTIST).filter(staff_profile__store_id=order.store_id)
        self.fields["location"].queryset = OutdoorLocation.objects.filter(
            store_id=order.store_id, is_active=True)
        self.fields["gowns"].queryset = gowns_bookable(store=order.store)
        self.fields["gowns"].package_id = order.package_id


class BookingForm(_SlotForm):
    requested_by_customer = forms.BooleanField(
        label=gettext_lazy("客户指定人员"), required=False, widget=CheckInput,
        help_text=gettext_lazy("客户指定了摄影师或化妆师：只约指定的人，不自动安排"))
    notify = forms.BooleanField(
        label=gettext_lazy("发送预约确认短信"), required=False, initial=True, widget=CheckInput,
        help_text=gettext_lazy("按本店“预约确认”模板发给客户（已关联微信的发微信）"))
    field_order = ["starts_at", "ends_at", "photographer", "makeup_artist",
                   "requested_by_customer", "location", "gowns", "note", "notify"]

    def __init__(self, *args, stage, user, **kwargs):
        super().__init__(*args, stage=stage, user=user, **kwargs)
        if "photographer" in self.fields:
            self.fields["photographer"].empty_label = _("自动安排空闲的摄影师")

    def save(self, *, stage, by) -> Booking | None:
        data = self.cleaned_data
        return self.call(
            booking_create, stage=stage, by=by, starts_at=data["starts_at"],
            ends_at=data.get("ends_at"), photographer=data.get("photographer"),
            makeup_artist=data.get("makeup_artist"),
            requested_by_customer=bool(data.get("requested_by_customer")),
            location=data.get("location"), gowns=list(data.get("gowns") or []),
            note=data.get("note", ""), now=timezone.now(), notify=bool(data.get("notify")))


class MoveForm(_SlotForm):
    def __init__(self, *args, booking: Booking, user, **kwargs):
        super().__init__(*args, stage=booking.stage, user=user, **kwargs)
        if "photographer" in self.fields:
            self.fields["photographer"].empty_label = _("不安排")

    def save(self, *, booking: Booking, by) -> Booking | None:
        data = self.cleaned_data
        extra = {}
        if "photographer" in self.fields:
            extra = {"photographer": data.get("photographer"),
                     "makeup_artist": data.get("makeup_artist"),
                     "location": data.get("location"), "gowns": list(data.get("gowns") or [])}
        return self.call(booking_move, booking=booking, by=by, starts_at=data["starts_at"],
                         ends_at=data.get("ends_at"), note=data.get("note", ""),
                         now=timezone.now(), **extra)


class CancelForm(ServiceFormMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("取消原因"), max_length=200)


class GownPickForm(ServiceFormMixin, forms.Form):
    gowns = GownChoiceField(label=gettext_lazy("客户选定的礼服"), queryset=Gown.objects.none(),
                            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    note = forms.CharField(label=gettext_lazy("备注"), max_length=100, required=False)

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gowns"].queryset = gowns_bookable(store=booking.store)
        self.fields["gowns"].package_id = booking.stage.order.package_id


def _image_signature(upload) -> str | None:
    head = upload.read(12)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


class GownForm(ServiceFormMixin, forms.ModelForm):
    photo = forms.FileField(
        label=gettext_lazy("照片"), required=False,
        validators=[FileExtensionValidator(allowed_extensions=list(PHOTO_TYPES))],
        help_text=gettext_lazy("JPG、PNG 或 WebP，不超过 5 MB"))

    class Meta:
        model = Gown
        fields = ["code", "style", "size", "colour", "photo", "packages", "addon_price",
                  "condition"]
        widgets = {"packages": forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["packages"].queryset = Package.objects.filter(is_active=True)
        self.fields["packages"].help_text = _("含于这些套系的礼服不另收费；其他套系按加选价格收费")

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):  # a new upload, not the stored file
            if photo.size > PHOTO_MAX_BYTES:
                raise forms.ValidationError(_("照片不能超过 5 MB。"))
            if _image_signature(photo) is None:
                raise forms.ValidationError(_("请上传 JPG、PNG 或 WebP 格式的照片。"))
        return photo

    def save_gown(self) -> Gown | None:
        gown = self.save(commit=False)
        return self.call(gown_save, gown=gown, packages=self.cleaned_data["packages"])


class LocationForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = OutdoorLocation
        fields = ["name", "address", "daily_capacity", "is_active"]
        widgets = {"is_active": CheckInput}

    def save_location(self) -> OutdoorLocation | None:
        return self.call(location_save, location=self.save(commit=False))


# --- helpers --------------------------------------------------------------------------------

def _store_for(request: HttpRequest) -> Store:
    """The page's store (staff.scoping.store_for): one's own; a general manager's pick
    (?store=, or the posted form's), their own store by default."""
    return store_for(request.user, store_asked(request), writing=request.method == "POST",
                     one_store=True)


def _stores_to_pick(request: HttpRequest):
    return stores_to_pick(request.user)


def _date_param(request: HttpRequest, name: str = "date") -> date:
    """?date=YYYY-MM-DD, or today; a malformed date says so and shows today."""
    raw = request.GET.get(name, "").strip()
    if raw:
        try:
            value = date.fromisoformat(raw)
            if 2000 <= value.year <= 2100:
                return value
        except ValueError:
            pass
        messages.warning(request, _("日期格式有误（应为 YYYY-MM-DD），已显示今天。"))
    return timezone.localdate()


def _calendar_url(store: Store, on: date, view: str = "week") -> str:
    query = {"date": on.isoformat(), "store": store.pk}
    if view != "week":
        query["view"] = view
    return f"{reverse('frontdesk:calendar')}?{urlencode(query)}"


def _scoped_booking(request: HttpRequest, pk: int) -> Booking:
    try:
        return booking_for_page(request.user, pk)
    except Booking.DoesNotExist:
        raise Http404 from None


def _posted(request: HttpRequest) -> tuple:
    """(data, files) of a POST, even an empty one (an empty POST is still a submission)."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def _closed(request: HttpRequest, booking: Booking) -> HttpResponse | None:
    """A booking no longer open is not changed: say so on its page."""
    if booking.status == BookingStatus.BOOKED:
        return None
    messages.error(request, _("该档期已是「%(status)s」，不能再更改。") % {
        "status": booking.get_status_display()})
    return redirect("frontdesk:booking", pk=booking.pk)


def _form_status(*forms_) -> int:
    return 400 if any(f is not None and f.errors for f in forms_) else 200


def _bookings_xlsx(request: HttpRequest, *, store: Store, first: date, last: date,
                   filename: str, title: str, kind: str) -> HttpResponse:
    """The bookings of the store from `first` to `last` (the days the page shows, with the
    page's selector: cancelled ones left out, a photographer's own only), as an .xlsx."""
    start, _end = day_bounds(first)
    _start, end = day_bounds(last)
    bookings = _calendar_bookings(request.user, store=store, start=start, end=end)
    reveal = request.user.has_perm("customers.view_full_mobile")
    columns = [XlsxColumn(h, w) for h, w in [
        (_("开始时间"), 17), (_("结束时间"), 17), (_("服务"), 10), (_("状态"), 8), (_("客户"), 12),
        (_("手机号"), 14), (_("订单号"), 9), (_("套系"), 16), (_("摄影师"), 10),
        (_("客户指定人员"), 12), (_("化妆师"), 10), (_("外景点"), 14), (_("礼服"), 16),
        (_("欠款"), 12), (_("备注"), 24)]]

    def rows():
        for b in bookings.iterator(chunk_size=2000):
            order = b.stage.order
            customer = order.customer
            yield [b.starts_at, b.ends_at, b.stage.get_kind_display(), b.get_status_display(),
                   str(customer), customer.mobile if reveal else customer.masked_mobile,
                   order.pk, order.package.name,
                   b.photographer.display_name if b.photographer else "",
                   b.requested_by_customer, b.makeup_artist.display_name if b.makeup_artist else "",
                   b.location.name if b.location else "",
                   "、".join(g.code for g in b.gowns.all()),
                   order.balance_owed if order.balance_owed > 0 else None, b.note]

    return xlsx_response(
        request=request, filename=filename, title=title, columns=columns, rows=rows(),
        store=store.name, lines=[_("日期：%(on)s") % {"on": first.isoformat()} if first == last
                                 else _("期间：%(start)s 至 %(end)s") % {
                                     "start": first.isoformat(), "end": last.isoformat()}],
        audit_detail={"list": kind, "store": store.pk, "start": first.isoformat(),
                      "end": last.isoformat(), "filters": request.GET.dict()})


# --- calendar -------------------------------------------------------------------------------

@login_required
@permission_required("frontdesk.view_booking", raise_exception=True)
def calendar(request: HttpRequest) -> HttpResponse:
    """The week (one column a day) or the day (one column a photographer or makeup artist)."""
    store = _store_for(request)
    on = _date_param(request)
    view = "day" if request.GET.get("view") == "day" else "week"
    if request.GET.get("export") == "xlsx":  # the bookings shown: the week's or the day's
        first = on - timedelta(days=on.weekday()) if view == "week" else on
        last = first + timedelta(days=6) if view == "week" else on
        return _bookings_xlsx(
            request, store=store, first=first, last=last, kind=f"calendar:{view}",
            filename=f"档期-{store.code}-{first:%Y%m%d}"
                     + (f"-{last:%Y%m%d}" if last != first else "") + ".xlsx",
            title=(_("档期 %(start)s ~ %(end)s") % {"start": first.isoformat(),
                                                    "end": last.isoformat()})
            if last != first else _("档期 %(on)s") % {"on": first.isoformat()})
    context = {"store": store, "on": on, "view": view, "stores": _stores_to_pick(request),
               "today": timezone.localdate()}
    if view == "week":
        start = on - timedelta(days=on.weekday())
        context.update(days=calendar_week(request.user, store=store, start=start),
                       previous=start - timedelta(days=7), following=start + timedelta(days=7))
    else:
        context.update(columns=calendar_day_by_person(request.user, store=store, on=on),
                       previous=on - timedelta(days=1), following=on + timedelta(days=1))
    if request.user.has_perm("frontdesk.add_booking"):
        context["waiting"] = stages_waiting_for_booking(request.user, store=store)
    return render(request, "frontdesk/schedule_calendar.html", context)


@login_required
@permission_required("frontdesk.view_booking", raise_exception=True)
def day_sheet_page(request: HttpRequest) -> HttpResponse:
    """The duty front desk's sheet for a day: every booking, who to call, who owes money."""
    store = _store_for(request)
    on = _date_param(request)
    if request.GET.get("export") == "xlsx":
        return _bookings_xlsx(request, store=store, first=on, last=on, kind="day_sheet",
                              filename=f"当日档期表-{store.code}-{on:%Y%m%d}.xlsx",
                              title=_("当日档期表 %(on)s") % {"on": on.isoformat()})
    rows = day_sheet(request.user, store=store, on=on)
    return render(request, "frontdesk/schedule_day_sheet.html", {
        "store": store, "on": on, "rows": rows, "stores": _stores_to_pick(request),
        "owing": sum(1 for r in rows if r.owes),
        "previous": on - timedelta(days=1), "following": on + timedelta(days=1),
        "reveal": request.user.has_perm("customers.view_full_mobile")})


@login_required
@permission_required("frontdesk.view_booking", raise_exception=True)
def person(request: HttpRequest, user_pk: int) -> HttpResponse:
    """A photographer's or makeup artist's bookings for a week (their own, for themselves)."""
    people = staff_users_in_scope(request.user, Role.PHOTOGRAPHER, Role.MAKEUP_ARTIST)
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.role in (Role.PHOTOGRAPHER, Role.MAKEUP_ARTIST):
        people = people.filter(pk=request.user.pk)
    someone = get_object_or_404(people, pk=user_pk)
    on = _date_param(request)
    start = on - timedelta(days=on.weekday())
    bookings = list(person_bookings(request.user, person=someone, start=start))
    days = [(start + timedelta(days=i), []) for i in range(7)]
    by_day = dict(days)
    for booking in bookings:
        by_day[timezone.localtime(booking.starts_at).date()].append(booking)
    return render(request, "frontdesk/schedule_person.html", {
        "someone": someone, "days": days, "count": len(bookings), "on": on,
        "previous": start - timedelta(days=7), "following": start + timedelta(days=7)})


# --- booking --------------------------------------------------------------------------------

@login_required
@permission_required("frontdesk.add_booking", raise_exception=True)
def book(request: HttpRequest, stage_pk: int) -> HttpResponse:
    """Book a slot for one stage of an order (from the customer page or the calendar)."""
    stage = get_object_or_404(
        stages_visible_to(request.user).select_related("order__customer", "order__package",
                                                       "order__store"), pk=stage_pk)
    if stage.kind not in BOOKABLE_KINDS:
        raise Http404
    current = Booking.objects.filter(stage=stage).exclude(status=BookingStatus.CANCELLED).first()
    if current is not None:
        messages.info(request, _("「%(stage)s」已有档期，可在此改期或取消。") % {
            "stage": stage.get_kind_display()})
        return redirect("frontdesk:booking", pk=current.pk)
    initial = {}
    if stage.kind == StageKind.SHOOT:  # the gowns chosen at the fitting go to the shoot day
        fitting = Booking.objects.filter(stage__order=stage.order_id,
                                         stage__kind=StageKind.GOWN).first()
        if fitting is not None:
            initial["gowns"] = list(fitting.gowns.values_list("pk", flat=True))
    form = BookingForm(_posted(request)[0], stage=stage, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        booking = form.save(stage=stage, by=request.user)
        if booking is not None:
            local = timezone.localtime(booking.starts_at)
            messages.success(request, _("已为 %(customer)s 预约%(stage)s：%(when)s。") % {
                "customer": stage.order.customer, "stage": stage.get_kind_display(),
                "when": local.strftime("%Y-%m-%d %H:%M")})
            return redirect(_calendar_url(stage.order.store, local.date()))
    return render(request, "frontdesk/schedule_book.html", {
        "stage": stage, "order": stage.order, "form": form}, status=_form_status(form))


def _booking_page(request: HttpRequest, booking: Booking, *, move_form=None, cancel_form=None,
                  gown_form=None) -> HttpResponse:
    user = request.user
    is_open = booking.status == BookingStatus.BOOKED
    may_change = is_open and user.has_perm("frontdesk.change_booking")
    if may_change:
        local = timezone.localtime
        move_form = move_form or MoveForm(booking=booking, user=user, initial={
            "starts_at": local(booking.starts_at), "ends_at": local(booking.ends_at),
            "photographer": booking.photographer_id, "makeup_artist": booking.makeup_artist_id,
            "location": booking.location_id, "gowns": [g.pk for g in booking.gowns.all()]})
        cancel_form = cancel_form or CancelForm()
        if booking.stage.kind == StageKind.GOWN:
            gown_form = gown_form or GownPickForm(booking=booking)
    gowns = list(booking.gowns.all())
    return render(request, "frontdesk/schedule_booking.html", {
        "booking": booking, "stage": booking.stage, "order": booking.stage.order,
        "changes": booking.changes.select_related("by"),
        "lines": gown_lines(gowns=gowns, package_id=booking.stage.order.package_id),
        "move_form": move_form if may_change else None,
        "cancel_form": cancel_form if may_change else None,
        "gown_form": gown_form if may_change else None,
        "reveal": user.has_perm("customers.view_full_mobile"),
    }, status=_form_status(move_form, cancel_form, gown_form))


@login_required
@permission_required("frontdesk.view_booking", raise_exception=True)
def booking_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One booking: its slot, people, gowns (with add-ons), history; move, cancel, gowns."""
    return _booking_page(request, _scoped_booking(request, pk))


@login_required
@require_POST
@permission_required("frontdesk.change_booking", raise_exception=True)
def move(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _scoped_booking(request, pk)
    if (closed := _closed(request, booking)) is not None:
        return closed
    form = MoveForm(request.POST, booking=booking, user=request.user)
    if form.is_valid() and (moved := form.save(booking=booking, by=request.user)) is not None:
        local = timezone.localtime(moved.starts_at)
        messages.success(request, _("已改期到 %(when)s。") % {"when": local.strftime("%Y-%m-%d %H:%M")})
        return redirect("frontdesk:booking", pk=booking.pk)
    return _booking_page(request, booking, move_form=form)


@login_required
@require_POST
@permission_required("frontdesk.change_booking", raise_exception=True)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _scoped_booking(request, pk)
    if (closed := _closed(request, booking)) is not None:
        return closed
    form = CancelForm(request.POST)
    if form.is_valid() and form.call(booking_cancel, booking=booking, by=request.user,
                                     reason=form.cleaned_data["reason"]) is not None:
        messages.success(request, _("档期已取消。"))
        return redirect(_calendar_url(booking.store, timezone.localtime(booking.starts_at).date()))
    return _booking_page(request, booking, cancel_form=form)


@login_required
@require_POST
@permission_required("frontdesk.change_booking", raise_exception=True)
def gown_pick(request: HttpRequest, pk: int) -> HttpResponse:
    """礼服挑选: record the chosen gowns and their add-ons; the gown selection is done."""
    booking = _scoped_booking(request, pk)
    if (closed := _closed(request, booking)) is not None:
        return closed
    form = GownPickForm(request.POST, booking=booking)
    if form.is_valid() and form.call(
            gown_selection_record, booking=booking, gowns=list(form.cleaned_data["gowns"]),
            by=request.user, note=form.cleaned_data["note"]) is not None:
        messages.success(request, _("已登记选定的礼服，礼服挑选已完成。"))
        return redirect("frontdesk:booking", pk=booking.pk)
    return _booking_page(request, booking, gown_form=form)


# --- gowns and outdoor locations --------------------------------------------------------------

def _gowns_in_scope(request: HttpRequest):
    return scope_for(request.user).apply(Gown.objects.all(), store_field="store_id",
                                         owner_field=None)


@login_required
@permission_required("frontdesk.view_gown", raise_exception=True)
def gowns(request: HttpRequest) -> HttpResponse:
    """The store's gown catalogue; the store manager adds gowns here."""
    store = _store_for(request)
    may_add = request.user.has_perm("frontdesk.add_gown")
    form = GownForm(*_posted(request), instance=Gown(store=store))
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid() and (gown := form.save_gown()) is not None:
            messages.success(request, _("已添加礼服 %(code)s。") % {"code": gown.code})
            return redirect(f"{reverse('frontdesk:gowns')}?store={store.pk}")
    q = request.GET.get("q", "").strip()
    condition = request.GET.get("condition", "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "frontdesk/schedule_gowns.html", {
        "store": store, "stores": _stores_to_pick(request), "q": q, "condition": condition,
        "conditions": GownCondition.choices, "query": query.urlencode(),
        "page": paginate(request, gowns_for_catalogue(store=store, q=q, condition=condition)),
        "form": form if may_add else None}, status=_form_status(form))


@login_required
@permission_required("frontdesk.change_gown", raise_exception=True)
def gown_edit(request: HttpRequest, pk: int) -> HttpResponse:
    gown = get_object_or_404(_gowns_in_scope(request).select_related("store"), pk=pk)
    form = GownForm(*_posted(request), instance=gown)
    if request.method == "POST" and form.is_valid() and form.save_gown() is not None:
        messages.success(request, _("礼服 %(code)s 已保存。") % {"code": gown.code})
        return redirect(f"{reverse('frontdesk:gowns')}?store={gown.store_id}")
    return render(request, "frontdesk/schedule_gown_edit.html", {
        "form": form, "gown": gown}, status=_form_status(form))


@login_required
@permission_required("frontdesk.view_gown", raise_exception=True)
def gown_photo(request: HttpRequest, pk: int) -> FileResponse:
    gown = get_object_or_404(_gowns_in_scope(request).exclude(photo=""), pk=pk)
    extension = PurePath(gown.photo.name).suffix.lower().lstrip(".")
    if extension not in PHOTO_TYPES:
        raise Http404
    try:
        handle = gown.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type=PHOTO_TYPES[extension])


@login_required
@permission_required("frontdesk.view_outdoorlocation", raise_exception=True)
def locations(request: HttpRequest) -> HttpResponse:
    """The store's outdoor locations and how many shoots each takes a day."""
    store = _store_for(request)
    may_add = request.user.has_perm("frontdesk.add_outdoorlocation")
    form = LocationForm(_posted(request)[0], instance=OutdoorLocation(store=store))
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid() and (location := form.save_location()) is not None:
            messages.success(request, _("已添加外景点 %(name)s。") % {"name": location.name})
            return redirect(f"{reverse('frontdesk:locations')}?store={store.pk}")
    return render(request, "frontdesk/schedule_locations.html", {
        "store": store, "stores": _stores_to_pick(request),
        "locations": OutdoorLocation.objects.filter(store=store).order_by("-is_active", "name"),
        "form": form if may_add else None}, status=_form_status(form))


@login_required
@permission_required("frontdesk.change_outdoorlocation", raise_exception=True)
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_object_or_404(scope_for(request.user).apply(
        OutdoorLocation.objects.all(), store_field="store_id", owner_field=None), pk=pk)
    form = LocationForm(_posted(request)[0], instance=location)
    if request.method == "POST" and form.is_valid() and form.save_location() is not None:
        messages.success(request, _("外景点 %(name)s 已保存。") % {"name": location.name})
        return redirect(f"{reverse('frontdesk:locations')}?store={location.store_id}")
    return render(request, "frontdesk/schedule_location_edit.html", {
        "form": form, "location": location}, status=_form_status(form))
