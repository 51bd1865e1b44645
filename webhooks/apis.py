"""The API of the webhooks: a store's endpoints (list, create, read, change) and each one's
delivery log. For the store's manager and the general manager (staff.roles)."""
import django_filters as filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from staff.filters import StoreFilter
from staff.scoping import store_for
from studio.api import validated_body
from studio.api_views import ScopedDetailApi, ScopedListCreateApi, path_id
from studio.permissions import ReadOrWritePerm

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .selectors import deliveries_for_log, endpoints_visible_to
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from .services import webhook_endpoint_save


class WebhookEndpointFilter(filters.FilterSet):
    store = StoreFilter(field_name="store_id")  # a GM's; others see one store

    class Meta:
        model = WebhookEndpoint
        fields: list[str] = []


class WebhookEndpointListApi(ScopedListCreateApi):
    read_perm = "webhooks.view_webhookendpoint"
    write_perm = "webhooks.add_webhookendpoint"
    serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilter
    selector = endpoints_visible_to
    summary = "Webhook 接收地址（按门店）"
    input_serializer = WebhookEndpointInputSerializer
    output_serializer = WebhookEndpointCreatedSerializer
    create_summary = "添加 Webhook 接收地址：回答中的 secret（签名密钥）只返回这一次"

    def create(self, request: Request, data: dict) -> WebhookEndpoint:
        store = store_for(request.user, data.pop("store", None), writing=True)
        return webhook_endpoint_save(endpoint=WebhookEndpoint(store=store, **data),
                                     by=request.user)


class WebhookEndpointDetailApi(ReadOrWritePerm, ScopedDetailApi):
    read_perm = "webhooks.view_webhookendpoint"
    write_perm = "webhooks.change_webhookendpoint"
    serializer_class = WebhookEndpointSerializer
    selector = endpoints_visible_to
    summary = "一个 Webhook 接收地址"

    @extend_schema(request=WebhookEndpointUpdateSerializer,
                   responses={200: WebhookEndpointSerializer},
                   summary="修改 Webhook 接收地址（只改提交的字段）")
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = get_object_or_404(endpoints_visible_to(request.user), pk=pk)
        for name, value in validated_body(WebhookEndpointUpdateSerializer, request).items():
            setattr(endpoint, name, value)
        webhook_endpoint_save(endpoint=endpoint, by=request.user)
        endpoint = endpoints_visible_to(request.user).get(pk=pk)
        return Response(WebhookEndpointSerializer(endpoint, context={"request": request}).data)


class WebhookDeliveryFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


@extend_schema(parameters=[path_id("endpoint_id")],
               summary="一个接收地址的推送记录（最新在前）：状态、尝试次数、响应码、原因、内容")
class WebhookDeliveryListApi(generics.ListAPIView):
    required_perm = "webhooks.view_webhookdelivery"
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    queryset = WebhookDelivery.objects.none()  # for the schema only: the real one needs the endpoint

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        endpoint = get_object_or_404(endpoints_visible_to(self.request.user),
                                     pk=self.kwargs["endpoint_id"])
        return deliveries_for_log(endpoint)
