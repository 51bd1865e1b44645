"""API of customers: the list (search, assignment) and one customer's file.

Every queryset starts from `customers_visible_to(user)`, so out-of-scope ids answer 404.
"""
from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.request import Request

from studio.audit import audit_record
from studio.models import AuditAction

from .filters import CustomerFilter
from .models import Customer
from .selectors import customers_visible_to
from .serializers import CustomerSerializer


def _customers(request: Request) -> QuerySet[Customer]:
    return (customers_visible_to(request.user).select_related("assigned_to", "store")
            .order_by("-created_at", "-pk"))


class CustomerListApi(generics.ListAPIView):
    required_perm = "customers.view_customer"
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def get_queryset(self) -> QuerySet[Customer]:
        return _customers(self.request)


class CustomerDetailApi(generics.RetrieveAPIView):
    required_perm = "customers.view_customer"
    serializer_class = CustomerSerializer

    def get_queryset(self) -> QuerySet[Customer]:
        return _customers(self.request)

    def get_object(self) -> Customer:
        customer = super().get_object()
        # Opening one customer's file is audited, as on the customer page (DESIGN principle 8).
        audit_record(request=self.request, action=AuditAction.VIEW_CUSTOMER, obj=customer)
        return customer
