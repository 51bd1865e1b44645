"""API of the customer lifecycle workspace: customers, orders, stage lists and their actions.

Every queryset starts from a `*_visible_to(user)` selector, so out-of-scope ids answer 404.
The actions take their permission and input serializer from the step map (orders.workflow)
and call orders.services, which check the role again; studio.api.exception_handler turns their
PermissionDenied into 403, ValidationError into 400 and DomainError into 409.
"""
from django.db.models import Prefetch, QuerySet
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request

from studio.api_views import ObjectActionApi, ScopedDetailApi, ScopedListApi

from .filters import OrderFilter, StageFilter
from .models import Order, OrderStage, Payment, StageKind
from .selectors import orders_visible_to, stage_rows_with_people, stages_list_for_stage_list
from .serializers import (
    OrderSerializer,
    PaymentSerializer,
    StageListItemSerializer,
    StageSerializer,
)
from .services import payment_record, stage_complete, stage_schedule
from .workflow import ORDER_PAYMENT, STAGE_STEPS

# --- Orders -------------------------------------------------------------------------------------

def _orders(user) -> QuerySet[Order]:
    """Orders with everything the serializer reads: four queries whatever the page size."""
    return (orders_visible_to(user)
            .select_related("customer", "package")
            .prefetch_related(
                Prefetch("stages", queryset=OrderStage.objects.select_related("assigned_to")
                         .order_by("sequence")),
                Prefetch("payments", queryset=Payment.objects.select_related("received_by")))
            .order_by("-created_at", "-pk"))


class OrderListApi(ScopedListApi):
    required_perm = "orders.view_order"
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    selector = _orders


class OrderDetailApi(ScopedDetailApi):
    required_perm = "orders.view_order"
    serializer_class = OrderSerializer
    selector = _orders


# --- Stage lists --------------------------------------------------------------------------------

class StageListParamsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StageKind.choices)


@extend_schema(parameters=[
    OpenApiParameter("kind", enum=StageKind.values, required=True,
                     description="服务阶段；可用的筛选项随阶段而定（见 orders.filters.STAGE_FILTERS）"),
    *(OpenApiParameter(name, str) for name in StageFilter.base_filters),
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
