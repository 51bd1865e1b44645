"""API of customers: the list (search, assignment) and registering one, one customer's file and
changing it, and merging two records of one person.

Every queryset starts from `customers_visible_to(user)`, so out-of-scope ids answer 404.
"""
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from staff.scoping import store_for
from studio.api import validated_body
from studio.api_views import ObjectActionApi, ScopedDetailApi, ScopedListCreateApi
from studio.audit import audit_record, client_ip
from studio.models import AuditAction
from studio.permissions import ReadOrWritePerm

from .filters import CustomerFilter
from .models import Customer
from .selectors import customer_as_shown, customers_visible_to
from .serializers import (
    CustomerMergeInputSerializer,
    CustomerRegisteredSerializer,
    CustomerRegisterInputSerializer,
    CustomerSerializer,
    CustomerUpdateInputSerializer,
)
from .services import CustomerMobileTaken, customer_register, customer_update, customers_merge

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="同一键重复提交只登记一位客户")


def _customers(user) -> QuerySet[Customer]:
    return (customers_visible_to(user).select_related("assigned_to", "store")
            .order_by("-created_at", "-pk"))


def _customers_with_merged(user) -> QuerySet[Customer]:
    """The list's customers and the records merged away (their file answers with merged_into)."""
    return (customers_visible_to(user, include_merged=True).select_related("assigned_to", "store")
            .order_by("-created_at", "-pk"))


class CustomerListApi(ScopedListCreateApi):
    read_perm = "customers.view_customer"
    write_perm = "customers.add_customer"
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    selector = _customers
    input_serializer = CustomerRegisterInputSerializer
    output_serializer = CustomerRegisteredSerializer
    create_summary = ("登记客户：同一门店的手机号已登记时 409（customer 为已登记客户的 ID）；"
                      "连锁其他门店有同一手机号时照常登记，same_mobile_elsewhere 提醒")

    @extend_schema(parameters=[IDEMPOTENCY_KEY], responses={
        status.HTTP_201_CREATED: CustomerRegisteredSerializer,
        status.HTTP_409_CONFLICT: OpenApiResponse(description="该手机号已登记为本门店的客户")})
    def post(self, request: Request) -> Response:
        try:
            return super().post(request)
        except CustomerMobileTaken as exc:  # whose it is, as far as the user's scope allows
            shown = customer_as_shown(request.user, exc.customer)
            return Response({"detail": exc.message, "code": exc.code, "customer": exc.customer.pk,
                             "name": shown.name}, status=status.HTTP_409_CONFLICT)

    def create(self, request: Request, data: dict) -> Customer:
        key = request.headers.get("Idempotency-Key", "").strip()[:60]
        store = store_for(request.user, data.pop("store", None), writing=True)
        return customer_register(store=store, by=request.user, ip_address=client_ip(request),
                                 request_key=f"api:{request.user.pk}:{key}" if key else None,
                                 **data)

    def output(self, made: Customer) -> Customer:
        # Through the scope with merged records: the same key sent again after a merge still
        # answers with the customer it registered.
        return _customers_with_merged(self.request.user).get(pk=made.pk)


class CustomerDetailApi(ReadOrWritePerm, ScopedDetailApi):
    read_perm = "customers.view_customer"
    write_perm = "customers.change_customer"
    serializer_class = CustomerSerializer
    selector = _customers_with_merged

    def get_object(self) -> Customer:
        customer = super().get_object()
        # Opening one customer's file is audited, as on the customer page (DESIGN principle 8).
        audit_record(request=self.request, action=AuditAction.VIEW_CUSTOMER, obj=customer)
        return customer

    @extend_schema(request=CustomerUpdateInputSerializer, responses={200: CustomerSerializer},
                   summary="修改客户资料（只改提交的字段；每次修改记入资料修改记录）")
    def patch(self, request: Request, pk: int) -> Response:
        customer = get_object_or_404(_customers_with_merged(request.user), pk=pk)
        data = validated_body(CustomerUpdateInputSerializer, request)
        customer_update(customer=customer, by=request.user, ip_address=client_ip(request), **data)
        customer = _customers_with_merged(request.user).get(pk=pk)
        return Response(CustomerSerializer(customer, context={"request": request}).data)


class CustomerMergeApi(ObjectActionApi):
    """The customer in the path is kept; `merged` (same store) is merged into it."""

    required_perm = "customers.merge_customer"
    visible_to = _customers_with_merged
    lookup_url_kwarg = "pk"
    input_serializer = CustomerMergeInputSerializer
    output_serializer = CustomerSerializer
    reread = _customers
    summary = "合并重复客户：另一条记录的订单、回访、投诉、会员等都转到路径中的客户"

    def act(self, request: Request, kept: Customer, data: dict) -> Customer:
        return customers_merge(kept=kept, merged=data["merged"], by=request.user,
                               ip_address=client_ip(request))
