"""API routes of customers (mounted under /api/)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("customers/", apis.CustomerListApi.as_view(), name="customer-list"),
    path("customers/<int:pk>/", apis.CustomerDetailApi.as_view(), name="customer-detail"),
]
