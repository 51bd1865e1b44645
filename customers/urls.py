"""Routes of customers. Their pages are in the `orders` namespace (orders/urls.py, names kept
from before the rebuild); the API's routes are mounted under /api/ (studio/urls.py)."""
from django.urls import path

from . import apis

api_urlpatterns = [
    path("customers/", apis.CustomerListApi.as_view(), name="customer-list"),
    path("customers/<int:pk>/", apis.CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<int:pk>/merge/", apis.CustomerMergeApi.as_view(), name="customer-merge"),
]
