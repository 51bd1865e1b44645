"""API of the front desk: the schedule's bookings (book, move, cancel, with their history), the
SMS outbox, flow cards with their performance credits, rework, production items (one endpoint
per step) and walk-outs. The pages export these lists to .xlsx; the API gives the data.

Every queryset starts from the front desk's scoped selectors (`bookings_visible_to`,
`flow_cards_visible_to`, `reworks_visible_to`, `production_visible_to`, `walkouts_visible_to`;
the outbox from the user's store scope), so out-of-scope ids answer 404 and a photographer sees
only their own bookings. Each action needs its permission (403 otherwise) and calls its
service; studio.api.exception_handler turns their ValidationError into 400 (a booking conflict
names every clash by field) and a refusal of the current state (DomainError,
TransitionNotAllowed) into 409.
"""

import django_filters as filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request

from orders.models import StageKind
from staff.filters import StoreFilter
from staff.scoping import of_my_stores, store_for
from studio.api_views import ObjectActionApi, ScopedDetailApi, ScopedListApi, ScopedListCreateApi
from studio.filters import IdFilter
from studio.models import SmsMessage, SmsStatus

from .flowcards import (
    flow_card_create,
    flow_cards_visible_to,
    rework_decide,
    rework_done,
    rework_request,
    reworks_list_for_desk,
    reworks_visible_to,
)
from .models import (
    Booking,
    BookingChange,
    BookingStatus,
    FlowCard,
    PerformanceCredit,
    ProductionItem,
    ProductionStatus,
    ProductKind,
    Rework,
    ReworkStatus,
    WalkOut,
    WalkOutReason,
    WalkOutStatus,
)
from .production import (
    production_arrive,
    production_item_add,
    production_late,
    production_list_for_production,
    production_pickup,
    production_qc,
    production_send,
    production_visible_to,
    walkout_convert,
    walkout_give_up,
    walkout_record,
    walkouts_list_for_walkouts,
    walkouts_visible_to,
)
from .schedule import (
    BOOKABLE_KINDS,
    KEEP,
    booking_cancel,
    booking_create,
    booking_for_page,
    booking_move,
    bookings_visible_to,
    day_bounds,
    gown_lines,
)
from .serializers import (
    BookingCancelInputSerializer,
    BookingCreateInputSerializer,
    BookingDetailSerializer,
    BookingMoveInputSerializer,
    BookingSerializer,
    FlowCardCreateInputSerializer,
    FlowCardSerializer,
    ProductionItemSerializer,
    ReworkSerializer,
    SmsMessageSerializer,
    WalkOutConvertInputSerializer,
    WalkOutGiveUpInputSerializer,
    WalkOutRecordInputSerializer,
    WalkOutSerializer,
)
from .workflow import PRODUCTION_STEPS, REWORK_STEPS

# --- Bookings (档期) --------------------------------------------------------------------------------

class BookingFilter(filters.FilterSet):
    start = filters.DateFilter(method="filter_start", help_text="开始日期 ≥（YYYY-MM-DD，当地时间）")
    end = filters.DateFilter(method="filter_end", help_text="开始日期 ≤（YYYY-MM-DD，当地时间）")
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store
    person = IdFilter(method="filter_person", help_text="摄影师或化妆师（用户 id）")
    kind = filters.ChoiceFilter(field_name="stage__kind",
                                choices=[(k, StageKind(k).label) for k in BOOKABLE_KINDS])
    status = filters.ChoiceFilter(choices=BookingStatus.choices)

    class Meta:
        model = Booking
        fields: list[str] = []

    # Days are local days (DESIGN principle 5): the schedule's own bounds.
    def filter_start(self, queryset, name, value):
        return queryset.filter(starts_at__gte=day_bounds(value)[0])

    def filter_end(self, queryset, name, value):
        return queryset.filter(starts_at__lt=day_bounds(value)[1])

    def filter_person(self, queryset, name, value):
        return queryset.filter(Q(photographer_id=value) | Q(makeup_artist_id=value))


def _bookings(user) -> QuerySet[Booking]:
    """Bookings with everything the list reads: three queries whatever the page size."""
    return (bookings_visible_to(user)
            .select_related("stage__order__customer", "stage__order__package", "store",
                            "photographer", "makeup_artist", "location", "created_by")
            .prefetch_related("gowns")
            .order_by("starts_at", "pk"))


def _booking_detail(user, pk: int) -> Booking:
    """One booking as its page reads it (booking_for_page), with its history and gown lines."""
    try:
        booking = booking_for_page(user, pk)
    except Booking.DoesNotExist:
        raise Http404 from None
    prefetch_related_objects([booking], Prefetch(
        "changes", queryset=BookingChange.objects.select_related("by").order_by("at", "pk")))
    booking.gown_lines = gown_lines(gowns=booking.gowns.all(),
                                    package_id=booking.stage.order.package_id)
    return booking


class BookingListApi(ScopedListCreateApi):
    read_perm = "frontdesk.view_booking"
    write_perm = "frontdesk.add_booking"
    serializer_class = BookingSerializer
    filterset_class = BookingFilter
    selector = _bookings
    summary = "档期：按日期、门店、摄影师/化妆师、服务阶段查询（摄影师、化妆师只看自己的）"
    input_serializer = BookingCreateInputSerializer
    output_serializer = BookingDetailSerializer
    create_summary = "预约档期：人员、门店容量、礼服、外景点冲突时拒绝（400，写明冲突）"

    def create(self, request: Request, data: dict) -> Booking:
        return booking_create(
            stage=data["stage"], by=request.user, starts_at=data["starts_at"],
            ends_at=data.get("ends_at"), photographer=data.get("photographer"),
            makeup_artist=data.get("makeup_artist"),
            requested_by_customer=data["requested_by_customer"], location=data.get("location"),
            gowns=data.get("gowns", []), note=data["note"])

    def output(self, booking: Booking) -> Booking:
        return _booking_detail(self.request.user, booking.pk)


class BookingDetailApi(ScopedDetailApi):
    required_perm = "frontdesk.view_booking"
    serializer_class = BookingDetailSerializer
    selector = bookings_visible_to  # for the schema; get_object reads
    summary = "一个档期：人员、礼服（含于套系/加选）、变更记录"

    def get_object(self) -> Booking:
        return _booking_detail(self.request.user, self.kwargs["pk"])


def _bookings_with_stage(user) -> QuerySet[Booking]:
    return bookings_visible_to(user).select_related("stage")


class _BookingActionApi(ObjectActionApi):
    visible_to = _bookings_with_stage
    lookup_url_kwarg = "booking_id"
    required_perm = "frontdesk.change_booking"
    output_serializer = BookingDetailSerializer

    def output(self, booking: Booking) -> Booking:
        return _booking_detail(self.request.user, booking.pk)


class BookingMoveApi(_BookingActionApi):
    input_serializer = BookingMoveInputSerializer
    summary = "改期（或更换人员、外景点、礼服）：保留原时间的记录；客户指定的人员不能更换"

    def act(self, request: Request, booking: Booking, data: dict) -> Booking:
        # booking_create refuses people on a fitting or a selection and the page's move form
        # has no such fields, but booking_move would take them: refuse them here, in the words
        # of booking_create (the rule belongs in booking_move).
        if booking.stage.kind != StageKind.SHOOT and (data.get("photographer")
                                                     or data.get("makeup_artist")):
            raise ValidationError({"photographer": _("只有拍摄需要安排摄影师和化妆师。")})
        # What the body leaves out stays as booked (KEEP); a null clears it.
        kept = {name: data.get(name, KEEP)
                for name in ("photographer", "makeup_artist", "location", "gowns")}
        return booking_move(booking=booking, by=request.user, starts_at=data["starts_at"],
                            ends_at=data.get("ends_at"), note=data["note"], **kept)


class BookingCancelApi(_BookingActionApi):
    input_serializer = BookingCancelInputSerializer
    summary = "取消档期：须写原因；人员、礼服、外景点随之释放"

    def act(self, request: Request, booking: Booking, data: dict) -> Booking:
        return booking_cancel(booking=booking, by=request.user, reason=data["reason"])


# --- The SMS outbox -----------------------------------------------------------------------------

class SmsMessageFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=SmsStatus.choices)
    purpose = filters.CharFilter(field_name="purpose", help_text="用途，如 production:pickup")
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store

    class Meta:
        model = SmsMessage
        fields: list[str] = []


class SmsMessageListApi(ScopedListApi):
    required_perm = "studio.view_smsmessage"
    serializer_class = SmsMessageSerializer
    filterset_class = SmsMessageFilter
    # By store only, as the outbox page: messages carry a store, not an assignee.
    selector = of_my_stores(SmsMessage.objects.select_related("created_by")
                            .order_by("-created_at", "-pk"))
    summary = "短信发件箱：每条短信及其发送状态（手机号打码）"


# --- Flow cards (流程卡) -----------------------------------------------------------------------------

class FlowCardFilter(filters.FilterSet):
    on = filters.DateFilter(field_name="on", help_text="拍摄日期（交班：当天的流程卡）")
    start = filters.DateFilter(field_name="on", lookup_expr="gte", help_text="拍摄日期 ≥")
    end = filters.DateFilter(field_name="on", lookup_expr="lte", help_text="拍摄日期 ≤")
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store
    order = IdFilter(field_name="order_id")
    person = IdFilter(method="filter_person", help_text="摄影师或化妆师（用户 id）")

    class Meta:
        model = FlowCard
        fields: list[str] = []

    def filter_person(self, queryset, name, value):
        return queryset.filter(Q(photographer_id=value) | Q(makeup_artist_id=value))


def _flow_cards(user) -> QuerySet[FlowCard]:
    """Cards with their people and credits: three queries whatever the page size."""
    credits = PerformanceCredit.objects.select_related("user").order_by("pk")
    return (flow_cards_visible_to(user)
            .select_related("order__customer", "order__package", "store", "photographer",
                            "makeup_artist", "created_by")
            .prefetch_related(Prefetch("credits", queryset=credits))
            .order_by("-on", "-pk"))


class FlowCardListApi(ScopedListCreateApi):
    read_perm = "frontdesk.view_flowcard"
    write_perm = "frontdesk.add_flowcard"
    serializer_class = FlowCardSerializer
    filterset_class = FlowCardFilter
    selector = _flow_cards
    summary = "流程卡及业绩：按日期、门店、订单、员工查询"
    input_serializer = FlowCardCreateInputSerializer
    create_summary = "登记流程卡：按门店比例计摄影师、化妆师业绩；每次拍摄一张"

    def create(self, request: Request, data: dict) -> FlowCard:
        # Completing the shoot is recording a stage: as on the page, it needs that permission.
        if data["complete_shoot"] and not request.user.has_perm("orders.record_stage"):
            raise PermissionDenied(_("您没有登记拍摄完成的权限。"))
        return flow_card_create(order=data["order"], by=request.user,
                                photographer=data["photographer"],
                                makeup_artist=data.get("makeup_artist"),
                                complete_shoot=data["complete_shoot"],
                                confirm=data["confirm"])


# --- Rework (返工) -----------------------------------------------------------------------------------

class ReworkFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ReworkStatus.choices)
    order = IdFilter(field_name="order_id")
    store = StoreFilter(field_name="order__store_id")  # a GM's; others see one store

    class Meta:
        model = Rework
        fields: list[str] = []


class ReworkListApi(ScopedListCreateApi):
    read_perm = "frontdesk.view_rework"
    serializer_class = ReworkSerializer
    filterset_class = ReworkFilter
    selector = reworks_list_for_desk  # joins order, customer, package, store and both people
    summary = "返工记录：待店长审批的在前"
    step = REWORK_STEPS["request"]
    create_summary = "申请返工（拍摄完成后）：写明原因和返工内容，等待店长审批"

    def create(self, request: Request, data: dict) -> Rework:
        return rework_request(order=data["order"], by=request.user, reason=data["reason"],
                              items=data["items"])


class _ReworkApi(ObjectActionApi):
    visible_to = reworks_visible_to
    lookup_url_kwarg = "rework_id"
    output_serializer = ReworkSerializer
    reread = reworks_list_for_desk


class ReworkDecideApi(_ReworkApi):
    step = REWORK_STEPS["decide"]  # the store manager (and the GM) only: 403 otherwise
    summary = "店长审批返工：批准或不批准（须写原因）"

    def act(self, request: Request, rework: Rework, data: dict) -> Rework:
        return rework_decide(rework=rework, by=request.user, approve=data["approve"],
                             note=data["note"])


class ReworkDoneApi(_ReworkApi):
    step = REWORK_STEPS["done"]
    summary = "返工完成（已批准的）"

    def act(self, request: Request, rework: Rework, data: dict) -> Rework:
        return rework_done(rework=rework, by=request.user)


# --- Production items (催件) -------------------------------------------------------------------------

class ProductionItemFilter(filters.FilterSet):
    order = IdFilter(field_name="order_id")
    status = filters.ChoiceFilter(choices=ProductionStatus.choices)
    kind = filters.ChoiceFilter(choices=ProductKind.choices)
    late = filters.BooleanFilter(field_name="is_late", help_text="在厂制作且已过预计到店日期（要催的）")
    store = StoreFilter(field_name="order__store_id")  # a GM's; others see one store

    class Meta:
        model = ProductionItem
        fields: list[str] = []


def _production_items(user) -> QuerySet[ProductionItem]:
    """The 催件 list, each product flagged late by the late list's own rule: one query a page."""
    late = production_late(user, today=timezone.localdate())
    return (production_list_for_production(user)
            .annotate(is_late=Exists(late.filter(pk=OuterRef("pk")))))


class ProductionItemListApi(ScopedListCreateApi):
    read_perm = "frontdesk.view_productionitem"
    serializer_class = ProductionItemSerializer
    filterset_class = ProductionItemFilter
    selector = _production_items
    summary = "制作产品（催件）：按订单、状态、产品、是否逾期查询"
    step = PRODUCTION_STEPS["add"]
    create_summary = "添加要催的产品（相册、相框、电子档…）"

    def create(self, request: Request, data: dict) -> ProductionItem:
        return production_item_add(order=data["order"], by=request.user, kind=data["kind"],
                                   quantity=data["quantity"], description=data["description"])


class _ProductionStepApi(ObjectActionApi):
    """One step of a product (`step`, from the step map: its permission and its input); a step
    its status does not allow answers 409."""

    visible_to = production_visible_to
    lookup_url_kwarg = "item_id"
    output_serializer = ProductionItemSerializer
    reread = _production_items


class ProductionSendApi(_ProductionStepApi):
    step = PRODUCTION_STEPS["send"]
    summary = "送厂（质检不合格后再次送厂）：选片完成后，写预计到店日期"

    def act(self, request: Request, item: ProductionItem, data: dict) -> ProductionItem:
        return production_send(item=item, by=request.user, due_on=data["due_on"])


class ProductionArriveApi(_ProductionStepApi):
    step = PRODUCTION_STEPS["arrive"]
    summary = "产品到店，等待质检"

    def act(self, request: Request, item: ProductionItem, data: dict) -> ProductionItem:
        return production_arrive(item=item, by=request.user)


class ProductionQcApi(_ProductionStepApi):
    step = PRODUCTION_STEPS["qc"]
    summary = "质检：清点数量与质量；订单的产品全部合格时自动发取件短信（每单一次）"

    def act(self, request: Request, item: ProductionItem, data: dict) -> ProductionItem:
        return production_qc(item=item, by=request.user, count=data["count"],
                             passed=data["passed"], note=data["note"])


class ProductionPickupApi(_ProductionStepApi):
    step = PRODUCTION_STEPS["pickup"]
    summary = "取件（质检合格的产品）：写取件人"

    def act(self, request: Request, item: ProductionItem, data: dict) -> ProductionItem:
        return production_pickup(item=item, by=request.user, picked_up_by=data["picked_up_by"])


# --- Walk-outs (走单) --------------------------------------------------------------------------------

class WalkOutListParamsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WalkOutStatus.choices, required=False)
    reason = serializers.ChoiceField(choices=WalkOutReason.choices, required=False)
    q = serializers.CharField(max_length=50, required=False, help_text="客户姓名或手机号包含")
    store = serializers.IntegerField(required=False, help_text="门店（总经理可选；其他角色只有本门店）")


@extend_schema_view(get=extend_schema(parameters=[WalkOutListParamsSerializer]))
class WalkOutListApi(ScopedListCreateApi):
    read_perm = "frontdesk.view_walkout"
    write_perm = "frontdesk.add_walkout"
    serializer_class = WalkOutSerializer
    queryset = WalkOut.objects.none()  # for the schema only: the selector takes the filters
    filter_backends: list = []
    selector = walkouts_list_for_walkouts
    summary = "走单：谁来过没下单、原因、是否已挽回"
    input_serializer = WalkOutRecordInputSerializer
    create_summary = "登记走单：同门店同手机号沿用客户档案；自动安排一周内的跟进电话"

    def get_queryset(self) -> QuerySet[WalkOut]:
        params = WalkOutListParamsSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        walkouts = self.selector(self.request.user, status=data.get("status", ""),
                                 reason=data.get("reason", ""), q=data.get("q", "").strip())
        store = store_for(self.request.user, data.get("store"), writing=False)
        if store is not None:
            walkouts = walkouts.filter(store=store)
        return walkouts

    def create(self, request: Request, data: dict) -> WalkOut:
        store = store_for(request.user, data.pop("store", None), writing=True)
        return walkout_record(store=store, by=request.user, **data)


class _WalkOutApi(ObjectActionApi):
    visible_to = walkouts_visible_to
    lookup_url_kwarg = "walkout_id"
    required_perm = "frontdesk.change_walkout"
    output_serializer = WalkOutSerializer
    reread = walkouts_list_for_walkouts


class WalkOutConvertApi(_WalkOutApi):
    input_serializer = WalkOutConvertInputSerializer
    summary = "已成交：选该客户到店之后下的订单；未完成的跟进电话随之取消"

    def act(self, request: Request, walkout: WalkOut, data: dict) -> WalkOut:
        return walkout_convert(walkout=walkout, by=request.user, order=data["order"])


class WalkOutGiveUpApi(_WalkOutApi):
    input_serializer = WalkOutGiveUpInputSerializer
    summary = "已流失：放弃跟进，须写原因；未完成的跟进电话随之取消"

    def act(self, request: Request, walkout: WalkOut, data: dict) -> WalkOut:
        return walkout_give_up(walkout=walkout, by=request.user, note=data["note"])
