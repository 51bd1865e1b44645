"""API of the customer lifecycle workspace: customers, orders, stage lists and their actions.

Every queryset starts from a `*_visible_to(user)` selector, so out-of-scope ids answer 404.
The actions take their permission and input serializer from the step map (orders.workflow)
and call orders.services, which check the role again; studio.api.exception_handler turns their
PermissionDenied into 403, ValidationError into 400 and DomainError into 409.
"""
import django_filters
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from staff.scoping import scope_for, store_for
from studio.api_views import ObjectActionApi, ScopedDetailApi, ScopedListCreateApi
from studio.permissions import ReadOrWritePerm

from .filters import OrderFilter, PackageFilter, StageFilter
from .models import Order, OrderAddOn, OrderEvent, OrderStage, Package, Payment, StageKind
from .packages import package_save
from .selectors import (
    orders_visible_to,
    packages_visible_to,
    stage_rows_with_people,
    stages_list_for_stage_list,
)
from .serializers import (
    OrderApproveInputSerializer,
    OrderCancelInputSerializer,
    OrderChangeInputSerializer,
    OrderCreateInputSerializer,
    OrderSerializer,
    PackageChangeInputSerializer,
    PackageInputSerializer,
    PackageSerializer,
    PaymentSerializer,
    SaleOrderSerializer,
    StageListItemSerializer,
    StageSerializer,
)
from .services import (
    order_approve,
    order_cancel,
    order_change,
    order_create,
    payment_record,
    stage_complete,
    stage_schedule,
)
from .workflow import (
    ORDER_APPROVE,
    ORDER_CANCEL,
    ORDER_CHANGE,
    ORDER_CREATE,
    ORDER_PAYMENT,
    STAGE_STEPS,
)

# --- Orders -------------------------------------------------------------------------------------

def _orders(user) -> QuerySet[Order]:
    """Orders with everything the serializer reads: four queries whatever the page size."""
    return (orders_visible_to(user)
            .select_related("customer", "package")
            .prefetch_related(
                _stages(),
                Prefetch("payments", queryset=Payment.objects.select_related("received_by")))
            .order_by("-created_at", "-pk"))


def _stages() -> Prefetch:
    return Prefetch("stages", queryset=OrderStage.objects.select_related("assigned_to")
                    .order_by("sequence"))


def _sale_orders(user) -> QuerySet[Order]:
    """An order as the sale's endpoints answer it: the list's joins, and its consultant,
    add-ons, history and the payments' receipts."""
    return (orders_visible_to(user)
            .select_related("customer", "package", "consultant")
            .prefetch_related(
                _stages(),
                Prefetch("payments", queryset=Payment.objects.select_related("received_by",
                                                                             "receipt")),
                Prefetch("addons", queryset=OrderAddOn.objects.select_related("by")),
                Prefetch("events", queryset=OrderEvent.objects.select_related("by"))))


def _request_key(request: Request) -> str | None:
    """The Idempotency-Key header as the services' request_key, kept apart per user."""
    key = request.headers.get("Idempotency-Key", "").strip()[:60]
    return f"api:{request.user.pk}:{key}" if key else None


# The key is the caller's; a request sent again with it answers as the first did.
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="同一键重复提交只办理一次：开单再次提交答复同一订单（201），不重复收定金")


# The POST (开单) answers 201 with the order, also when it is the same Idempotency-Key sent
# again: the order the first request made, with its one deposit (as a payment sent again).
@extend_schema_view(post=extend_schema(parameters=[IDEMPOTENCY_KEY]))
class OrderListApi(ScopedListCreateApi):
    read_perm = "orders.view_order"
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    selector = _orders
    step = ORDER_CREATE
    input_serializer = OrderCreateInputSerializer
    output_serializer = SaleOrderSerializer
    reread = _sale_orders
    create_summary = ("开单：客户、套系（客户所在门店销售的）、金额与优惠、加购、定金（开收据）；"
                      "优惠超过门店限额且无审批权限时订单待店长审批")

    def create(self, request: Request, data: dict) -> Order:
        key = _request_key(request)
        try:
            return order_create(
                customer=data["customer"], package=data["package"], by=request.user,
                amount=data.get("amount"), discount=data["discount"], scene=data["scene"],
                consultant=data.get("consultant"),
                addons=[(a["name"], a["amount"]) for a in data.get("addons", [])],
                planned_on=data.get("planned_on"), notes=data["notes"],
                deposit=data.get("deposit"), deposit_method=data["deposit_method"],
                request_key=key)
        except IntegrityError:
            # The same key sent twice at once: the other request made the order.
            earlier = Order.objects.filter(request_key=key).first() if key else None
            if earlier is None or earlier.customer_id != data["customer"].pk:
                raise
            return earlier


class OrderDetailApi(ScopedDetailApi):
    """One order as the sale's endpoints answer it (its consultant, add-ons, receipts and
    history): what a GET reads is what the POST that made it answered."""

    required_perm = "orders.view_order"
    serializer_class = SaleOrderSerializer
    selector = _sale_orders


# --- Stage lists --------------------------------------------------------------------------------

class StageListParamsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StageKind.choices)


def _filter_parameter(name: str, filter_) -> OpenApiParameter:
    """A stage-list filter as the schema names it: its type, and its values where they are fixed
    (state, owing, payment…); the people filters take a staff user's id."""
    label = str(filter_.label or name)
    if isinstance(filter_, django_filters.DateFilter):
        return OpenApiParameter(name, OpenApiTypes.DATE, description=label)
    if isinstance(filter_, django_filters.NumberFilter | django_filters.ModelChoiceFilter):
        return OpenApiParameter(name, OpenApiTypes.NUMBER if isinstance(
            filter_, django_filters.NumberFilter) else OpenApiTypes.INT, description=label)
    choices = filter_.extra.get("choices")
    if isinstance(filter_, django_filters.ChoiceFilter) and isinstance(choices, list | tuple):
        return OpenApiParameter(name, OpenApiTypes.STR, enum=[str(v) for v, _l in choices],
                                description=label)
    if isinstance(filter_, django_filters.MultipleChoiceFilter | django_filters.ChoiceFilter):
        return OpenApiParameter(name, OpenApiTypes.INT, description=f"{label}（员工 id）")
    return OpenApiParameter(name, OpenApiTypes.STR, description=label)


@extend_schema(parameters=[
    OpenApiParameter("kind", enum=StageKind.values, required=True,
                     description="服务阶段；可用的筛选项随阶段而定（见 orders.filters.STAGE_FILTERS）"),
    *(_filter_parameter(name, f) for name, f in StageFilter.base_filters.items()),
])
class StageListApi(generics.ListAPIView):
    """One stage's list of the workspace, with that stage's filters (same as the page)."""

    required_perm = "customers.view_customer"  # as the stage list page: rows are customers
    serializer_class = StageListItemSerializer
    queryset = OrderStage.objects.none()  # for the schema only: the real one needs the kind
    filter_backends: list = []  # StageFilter needs the kind: applied in get_queryset

    def get_queryset(self) -> QuerySet[OrderStage]:
        params = StageListParamsSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        kind = params.validated_data["kind"]
        stage_filter = StageFilter(self.request.query_params, kind=kind, request=self.request,
                                   queryset=stages_list_for_stage_list(self.request.user, kind))
        if not stage_filter.is_valid():
            raise translate_validation(stage_filter.errors)
        return stage_filter.qs

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return stage_rows_with_people(page) if page is not None else None


# --- Actions on one order -----------------------------------------------------------------------

KIND_IN_PATH = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=StageKind.values)


class _OrderActionApi(ObjectActionApi):
    visible_to = orders_visible_to
    lookup_url_kwarg = "order_id"


class _StageActionApi(_OrderActionApi):
    parameters = [KIND_IN_PATH]  # the order's stage of that kind
    output_serializer = StageSerializer


class StageCompleteApi(_StageActionApi):
    step = STAGE_STEPS["complete"]
    summary = "登记服务阶段完成"

    def act(self, request: Request, order: Order, data: dict) -> OrderStage:
        return stage_complete(order=order, kind=self.kwargs["kind"], by=request.user, **data)


class StageScheduleApi(_StageActionApi):
    step = STAGE_STEPS["schedule"]
    summary = "预约/改期服务阶段"

    def act(self, request: Request, order: Order, data: dict) -> OrderStage:
        return stage_schedule(order=order, kind=self.kwargs["kind"], at=data["scheduled_at"],
                              by=request.user, note=data["note"])


class PaymentCreateApi(_OrderActionApi):
    step = ORDER_PAYMENT
    parameters = [OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                   description="同一键重复提交只记一次收款")]
    output_serializer = PaymentSerializer
    created = True
    summary = "收款/退款"

    def act(self, request: Request, order: Order, data: dict) -> Payment:
        key = request.headers.get("Idempotency-Key", "").strip()[:60]
        return payment_record(order=order, received_by=request.user, **data,
                              request_key=f"api:{request.user.pk}:{key}" if key else None)


class _SaleActionApi(_OrderActionApi):
    output_serializer = SaleOrderSerializer
    reread = _sale_orders


class OrderChangeApi(_SaleActionApi):
    step = ORDER_CHANGE
    input_serializer = OrderChangeInputSerializer
    summary = ("修改订单：换套系（金额与服务阶段随之）、金额、优惠、门市顾问、景点、预计到店、备注、"
               "加购；只改所给的字段，每项修改记入订单记录；取件后或已取消时 409")

    def act(self, request: Request, order: Order, data: dict) -> Order:
        addons = [(a["name"], a["amount"]) for a in data.pop("addons", [])]
        return order_change(order=order, by=request.user, addons=addons, **data)


class OrderCancelApi(_SaleActionApi):
    step = ORDER_CANCEL
    input_serializer = OrderCancelInputSerializer
    parameters = [OpenApiParameter(
        "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
        description="退款只记一次；已取消的订单再次取消答复 409")]
    summary = "取消订单：写明原因，可退款（不超过已收款，开收据）；已取消、已完成时 409"

    def act(self, request: Request, order: Order, data: dict) -> Order:
        return order_cancel(order=order, by=request.user, reason=data["reason"],
                            refund=data.get("refund"), refund_method=data["refund_method"],
                            request_key=_request_key(request))


class OrderApproveApi(_SaleActionApi):
    step = ORDER_APPROVE
    input_serializer = OrderApproveInputSerializer
    summary = "审批优惠：待审批的订单生效（定单阶段完成）；不在待审批时 409"

    def act(self, request: Request, order: Order, data: dict) -> Order:
        return order_approve(order=order, by=request.user, note=data["note"])


# --- Packages (套系) ------------------------------------------------------------------------------

def _packages(user) -> QuerySet[Package]:
    return (packages_visible_to(user).select_related("store")
            .order_by("-is_active", "store_id", "kind", "price", "pk"))


def _package_store(user, requested):
    """The store of a new package: a general manager's as named, none for the chain's; anyone
    else's their own store (naming another is a 400 on `store`)."""
    if requested is None and scope_for(user).all_stores:
        return None
    return store_for(user, requested, writing=True)


class PackageListApi(ScopedListCreateApi):
    read_perm = "orders.view_package"
    write_perm = "orders.add_package"
    serializer_class = PackageSerializer
    filterset_class = PackageFilter
    selector = _packages
    summary = "套系：您的门店销售的（本店自有与全店通用）；总经理为全部"
    input_serializer = PackageInputSerializer
    create_summary = "新增套系：店长为本店，总经理为任一门店或全店通用（不填门店）"

    def create(self, request: Request, data: dict) -> Package:
        store = _package_store(request.user, data.pop("store", None))
        return package_save(package=None, by=request.user, store=store, **data)


class PackageDetailApi(ReadOrWritePerm, ScopedDetailApi):
    read_perm = "orders.view_package"
    write_perm = "orders.change_package"
    serializer_class = PackageSerializer
    selector = _packages
    summary = "一个套系"
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(request=PackageChangeInputSerializer, responses={200: PackageSerializer},
                   summary="修改套系（只改所给的字段；is_active=false 停售）：店长改本店的，"
                           "总经理改任一门店及全店通用的；修改记入审计日志")
    def patch(self, request: Request, pk: int) -> Response:
        package = self.get_object()  # 404 out of scope
        data = PackageChangeInputSerializer(data=request.data, partial=True,
                                            context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            package = package_save(package=package, by=request.user, **data.validated_data)
        except PermissionDenied:
            raise PermissionDenied(_("全店通用套系由总经理修改；店长只能修改本店的套系。")) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=package.pk)).data)
