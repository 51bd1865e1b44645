"""API routes of the front desk (mounted under /api/)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("bookings/", apis.BookingListApi.as_view(), name="booking-list"),
    path("bookings/<int:pk>/", apis.BookingDetailApi.as_view(), name="booking-detail"),
    path("bookings/<int:booking_id>/move/", apis.BookingMoveApi.as_view(), name="booking-move"),
    path("bookings/<int:booking_id>/cancel/", apis.BookingCancelApi.as_view(),
         name="booking-cancel"),
    path("sms-messages/", apis.SmsMessageListApi.as_view(), name="sms-message-list"),
    path("flow-cards/", apis.FlowCardListApi.as_view(), name="flow-card-list"),
    path("reworks/", apis.ReworkListApi.as_view(), name="rework-list"),
    path("reworks/<int:rework_id>/decide/", apis.ReworkDecideApi.as_view(), name="rework-decide"),
    path("reworks/<int:rework_id>/done/", apis.ReworkDoneApi.as_view(), name="rework-done"),
    path("production-items/", apis.ProductionItemListApi.as_view(), name="production-item-list"),
    # One endpoint per step of a product.
    path("production-items/<int:item_id>/send/", apis.ProductionSendApi.as_view(),
         name="production-item-send"),
    path("production-items/<int:item_id>/arrive/", apis.ProductionArriveApi.as_view(),
         name="production-item-arrive"),
    path("production-items/<int:item_id>/qc/", apis.ProductionQcApi.as_view(),
         name="production-item-qc"),
    path("production-items/<int:item_id>/pickup/", apis.ProductionPickupApi.as_view(),
         name="production-item-pickup"),
    path("walkouts/", apis.WalkOutListApi.as_view(), name="walkout-list"),
    path("walkouts/<int:walkout_id>/convert/", apis.WalkOutConvertApi.as_view(),
         name="walkout-convert"),
    path("walkouts/<int:walkout_id>/give-up/", apis.WalkOutGiveUpApi.as_view(),
         name="walkout-give-up"),
]
