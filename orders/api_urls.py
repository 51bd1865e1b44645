"""API routes of orders, their stages and payments (mounted under /api/)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("orders/", apis.OrderListApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:order_id>/stages/<str:kind>/complete/", apis.StageCompleteApi.as_view(),
         name="stage-complete"),
    path("orders/<int:order_id>/stages/<str:kind>/schedule/", apis.StageScheduleApi.as_view(),
         name="stage-schedule"),
    path("orders/<int:order_id>/payments/", apis.PaymentCreateApi.as_view(), name="payment-create"),
    path("stages/", apis.StageListApi.as_view(), name="stage-list"),
]
