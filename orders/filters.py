"""Filters of the stage lists (seed L16-L20), shared by the pages, the exports and the API."""
import django_filters as filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from customers.selectors import customers_search
from staff.filters import StoreFilter
from staff.models import Role, Store
from staff.scoping import scope_for, store_for
from staff.selectors import staff_users_in_scope
from studio.filters import IdFilter

from .models import Order, OrderStage, OrderStatus, Package, PackageKind, StageKind, StageStatus

STATE_CHOICES = [
    ("open", _("未完成")), ("pending", _("待安排")), ("scheduled", _("已预约")),
    ("late", _("已逾期")), ("done", _("已完成")), ("all", _("全部")),
    ("cancelled", _("已取消订单")),
]
YES_NO = [("yes", _("是")), ("no", _("否"))]
ANY = _("不限")
DATE = forms.DateInput(attrs={"type": "date"})
PAYMENT_CHOICES = [("unpaid", _("未付款")), ("partial", _("已付定金")), ("paid", _("已付清"))]

# Which filters each stage's list offers, after the seed's L18-L20 list for that stage.
COMMON_FILTERS = ["q", "state", "specialist", "owing", "store", "ordering",
                  # What the dashboards count (every figure links to its rows).
                  "waiting", "booked_from", "booked_to", "completed_from", "completed_to",
                  "consultant"]
STAGE_FILTERS: dict[str, list[str]] = {
    StageKind.ORDER: ["scene", "amount_min", "amount_max", "payment", "package", "first_order"],
    StageKind.GOWN: ["staff", "has_extras", "payment", "scheduled_from", "scheduled_to"],
    StageKind.SHOOT: ["staff", "makeup_artist", "location", "scheduled_from", "scheduled_to"],
    StageKind.SELECTION: ["staff", "has_extras", "scheduled_from", "scheduled_to"],
    StageKind.PICKUP: ["handed_over_by", "scheduled_from", "scheduled_to"],
}
DEFAULT_STATE = {StageKind.ORDER: "all"}


# The filters that pick a person, and whose people they offer. One query fetches everyone in
# the viewer's scope; each filter takes its roles from it (not a query per select box).
STAFF_FILTER_ROLES: dict[str, tuple[str, ...]] = {
    "specialist": (Role.SPECIALIST,),
    "consultant": tuple(Role.values),
    "staff": (Role.PHOTOGRAPHER, Role.MAKEUP_ARTIST, Role.SELECTION_CONSULTANT, Role.DESIGNER,
              Role.FRONT_DESK),
    "makeup_artist": (Role.MAKEUP_ARTIST,),
    "handed_over_by": tuple(Role.values),
}


class OrderingFilter(filters.OrderingFilter):
    """django-filter's, with the descending choices named in our catalogue: its own "%s
    (descending)" has no Simplified Chinese (only zh_CN) and was formatted once, at import."""

    def build_choices(self, fields, labels):
        choices = super().build_choices(fields, labels)
        ascending = dict(choices[0::2])
        return [(value, format_lazy(_("{}（倒序）"), ascending[value[1:]])
                 if value.startswith("-") else label) for value, label in choices]


class StageFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("姓名/手机号"), method="filter_q")
    state = filters.ChoiceFilter(label=_("状态"), choices=STATE_CHOICES, method="filter_state",
                                 empty_label=None)
    specialist = filters.ChoiceFilter(label=_("负责客服"), field_name="specialist")
    owing = filters.ChoiceFilter(label=_("有欠款"), choices=YES_NO, method="filter_owing",
                                 empty_label=ANY)
    store = filters.ModelChoiceFilter(label=_("门店"), field_name="store",
                                      queryset=Store.objects.filter(is_active=True))
    waiting = filters.ChoiceFilter(label=_("订单停在此阶段"), choices=YES_NO[:1],
                                   method="filter_waiting")
    booked_from = filters.DateFilter(label=_("下单日期从"), field_name="order__created_at",
                                     lookup_expr="date__gte", widget=DATE)
    booked_to = filters.DateFilter(label=_("下单日期至"), field_name="order__created_at",
                                   lookup_expr="date__lte", widget=DATE)
    completed_from = filters.DateFilter(label=_("完成日期从"), field_name="completed_at",
                                        lookup_expr="date__gte", widget=DATE)
    completed_to = filters.DateFilter(label=_("完成日期至"), field_name="completed_at",
                                      lookup_expr="date__lte", widget=DATE)
    consultant = filters.MultipleChoiceFilter(label=_("门市顾问"), field_name="order__consultant")
    scene = filters.CharFilter(label=_("拍摄景点"), field_name="order__scene",
                               lookup_expr="icontains")
    amount_min = filters.NumberFilter(label=_("订单金额 ≥"), field_name="order__amount",
                                      lookup_expr="gte")
    amount_max = filters.NumberFilter(label=_("订单金额 ≤"), field_name="order__amount",
                                      lookup_expr="lte")
    payment = filters.ChoiceFilter(label=_("付款情况"), choices=PAYMENT_CHOICES,
                                   method="filter_payment")
    package = filters.ModelChoiceFilter(label=_("套系"), field_name="order__package",
                                        queryset=Package.objects.order_by("kind", "price"))
    staff = filters.ChoiceFilter(label=_("服务人员"), field_name="assigned_to")
    makeup_artist = filters.ChoiceFilter(label=_("化妆师"), field_name="makeup_artist")
    location = filters.CharFilter(label=_("外景点"), field_name="location", lookup_expr="icontains")
    has_extras = filters.ChoiceFilter(label=_("有加选/消费"), choices=YES_NO,
                                      method="filter_has_extras", empty_label=ANY)
    # 客流统计's 成交: a new customer's first order (no earlier order of theirs, even cancelled).
    first_order = filters.ChoiceFilter(label=_("新客户首单"), choices=YES_NO,
                                       method="filter_first_order", empty_label=ANY)
    handed_over_by = filters.ChoiceFilter(label=_("交件人员"), field_name="completed_by")
    scheduled_from = filters.DateFilter(label=_("预约日期从"), field_name="scheduled_at",
                                        lookup_expr="date__gte", widget=DATE)
    scheduled_to = filters.DateFilter(label=_("预约日期至"), field_name="scheduled_at",
                                      lookup_expr="date__lte", widget=DATE)
    ordering = OrderingFilter(
        label=_("排序"),
        fields=[("scheduled_at", "scheduled_at"), ("completed_at", "completed_at"),
                ("order__customer__name", "name"), ("order__amount", "amount"),
                ("order__balance_owed", "balance"), ("order__created_at", "created")],
        field_labels={"scheduled_at": _("预约时间"), "completed_at": _("完成时间"),
                      "order__customer__name": _("客户姓名"), "order__amount": _("订单金额"),
                      "order__balance_owed": _("欠款"), "order__created_at": _("下单时间")},
    )

    class Meta:
        model = OrderStage
        fields: list[str] = []

    def __init__(self, data=None, *args, kind: str = StageKind.SHOOT, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and hasattr(data, "getlist") and not any(data.getlist("consultant")):
            data.pop("consultant", None)  # ?consultant= is no filter, as every other empty one
        if data is not None and not data.get("state"):
            data["state"] = DEFAULT_STATE.get(kind, "open")
        super().__init__(data, *args, **kwargs)
        keep = set(COMMON_FILTERS) | set(STAGE_FILTERS[kind])
        request = kwargs.get("request")
        scope = scope_for(request.user) if request is not None else None
        if scope is None or not scope.all_stores:
            keep.discard("store")
        if scope is not None and scope.owner_id is not None:
            keep.discard("specialist")  # a specialist's lists hold only their own customers
        for name, filter_ in list(self.filters.items()):
            if name not in keep:
                del self.filters[name]
            elif name != "state" and isinstance(filter_, filters.ChoiceFilter | filters.ModelChoiceFilter):
                filter_.extra["empty_label"] = ANY
        self._offer_staff(request.user if request is not None else None)

    def _offer_staff(self, user) -> None:
        """The person filters' choices: the viewer's colleagues in scope, one query for all."""
        wanted = [name for name in STAFF_FILTER_ROLES if name in self.filters]
        if not wanted:
            return
        people = list(staff_users_in_scope(user, *Role.values)) if user is not None else []
        for name in wanted:
            roles = STAFF_FILTER_ROLES[name]
            self.filters[name].extra["choices"] = [
                (str(person.pk), person.display_name) for person in people
                if person.staff_profile.role in roles]

    def filter_q(self, queryset, name, value):
        return customers_search(queryset, value, prefix="order__customer__")

    def filter_state(self, queryset, name, value):
        """Every state but "cancelled" lists the running orders' stages (the index's condition);
        "cancelled" the cancelled orders' (the manager dashboard's cancellations link here)."""
        now = timezone.now()
        if value == "cancelled":
            return queryset.filter(order_cancelled=True)
        queryset = queryset.filter(order_cancelled=False)
        return {
            # Named, not "not done": the index on (store, kind, status, …) reads just these.
            "open": lambda: queryset.filter(status__in=[StageStatus.PENDING, StageStatus.SCHEDULED]),
            "pending": lambda: queryset.filter(status=StageStatus.PENDING),
            "scheduled": lambda: queryset.filter(status=StageStatus.SCHEDULED),
            "late": lambda: queryset.filter(status=StageStatus.SCHEDULED, scheduled_at__lt=now),
            "done": lambda: queryset.filter(status=StageStatus.DONE),
            "all": lambda: queryset,
        }[value]()

    def filter_waiting(self, queryset, name, value):
        """The running orders waiting at this stage now (the order's current stage)."""
        return queryset.filter(order__status=OrderStatus.ACTIVE, order__current_stage=F("kind"))

    def filter_owing(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(order__balance_owed__gt=0)
        return queryset.filter(order__balance_owed__lte=0)

    def filter_payment(self, queryset, name, value):
        due = F("order__amount") - F("order__discount") + F("order__extras_total")
        return {
            "unpaid": lambda: queryset.filter(order__paid_total__lte=0),
            "partial": lambda: queryset.filter(order__paid_total__gt=0, order__paid_total__lt=due),
            "paid": lambda: queryset.filter(order__paid_total__gt=0, order__paid_total__gte=due),
        }[value]()

    def filter_has_extras(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(extra_amount__gt=0)
        return queryset.filter(extra_amount=0)

    def filter_first_order(self, queryset, name, value):
        earlier = Exists(Order.objects.filter(customer_id=OuterRef("order__customer_id"),
                                              created_at__lt=OuterRef("order__created_at")))
        return queryset.filter(~earlier) if value == "yes" else queryset.filter(earlier)


class OrderFilter(filters.FilterSet):
    """The API's order list: by stage, status, store, customer, balance."""

    current_stage = filters.ChoiceFilter(choices=StageKind.choices)
    status = filters.ChoiceFilter(choices=Order._meta.get_field("status").choices)
    store = StoreFilter(field_name="store_id")
    customer = IdFilter(field_name="customer_id")
    owing = filters.BooleanFilter(method="filter_owing")
    q = filters.CharFilter(method="filter_q")

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_owing(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(balance_owed__gt=0) if value else queryset.filter(balance_owed__lte=0)

    def filter_q(self, queryset, name, value):
        return customers_search(queryset, value, prefix="customer__")


class SoldInStoreFilter(StoreFilter):
    """?store=<id> on the package list: the packages sold in that store, its own and the
    chain's (those an order of the store's customer may take); the store checked by store_for."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in (None, ""):
            return qs
        user = getattr(self.parent, "user", None) or getattr(
            getattr(self.parent, "request", None), "user", None)
        if user is None:
            store_id = int(value) if str(value).isdigit() else None
        else:
            store_id = store_for(user, value, writing=False).pk
        if store_id is None:
            return qs.none()
        return qs.filter(Q(store_id=store_id) | Q(store__isnull=True))


class PackageFilter(filters.FilterSet):
    """The package list (API): by kind, on sale or not, sold in a store, the chain's own."""

    kind = filters.ChoiceFilter(choices=PackageKind.choices)
    active = filters.BooleanFilter(field_name="is_active", label=_("在售"))
    store = SoldInStoreFilter(label=_("门店（该店自有及全店通用的套系）"))
    chain = filters.BooleanFilter(field_name="store", lookup_expr="isnull",
                                  label=_("全店通用（true）或门店自有（false）"))

    class Meta:
        model = Package
        fields: list[str] = []
