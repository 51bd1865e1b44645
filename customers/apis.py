"""API of customers: the list (search, assignment) and one customer's file.

Every queryset starts from `customers_visible_to(user)`, so out-of-scope ids answer 404.
"""
from django.db.models import QuerySet

from studio.api_views import ScopedDetailApi, ScopedListApi
from studio.audit import audit_record
from studio.models import AuditAction

from .filters import CustomerFilter
from .models import Customer
from .selectors import customers_visible_to
from .serializers import CustomerSerializer


def _customers(user) -> QuerySet[Customer]:
    return (customers_visible_to(user).select_related("assigned_to", "store")
            .order_by("-created_at", "-pk"))


class CustomerListApi(ScopedListApi):
    required_perm = "customers.view_customer"
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    selector = _customers


class CustomerDetailApi(ScopedDetailApi):
    required_perm = "customers.view_customer"
    serializer_class = CustomerSerializer
    selector = _customers

    def get_object(self) -> Customer:
        customer = super().get_object()
        # Opening one customer's file is audited, as on the customer page (DESIGN principle 8).
        audit_record(request=self.request, action=AuditAction.VIEW_CUSTOMER, obj=customer)
        return customer
