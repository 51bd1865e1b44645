"""URLs of the front desk's pages, under /desk/ (app "frontdesk")."""
from django.urls import path

from . import apis, flow_views, production_views, sale_views, schedule_views

app_name = "frontdesk"

urlpatterns = [
    # 开单: the sale.
    path("sale/", sale_views.order_create, name="order_create"),
    # The schedule (档期): calendar, bookings, day sheet, gowns and outdoor locations.
    path("schedule/", schedule_views.calendar, name="calendar"),
    path("schedule/day-sheet/", schedule_views.day_sheet_page, name="day_sheet"),
    path("schedule/book/<int:stage_pk>/", schedule_views.book, name="book"),
    path("schedule/bookings/<int:pk>/", schedule_views.booking_page, name="booking"),
    path("schedule/bookings/<int:pk>/move/", schedule_views.move, name="move"),
    path("schedule/bookings/<int:pk>/cancel/", schedule_views.cancel, name="cancel"),
    path("schedule/bookings/<int:pk>/gowns/", schedule_views.gown_pick, name="gown_pick"),
    path("schedule/people/<int:user_pk>/", schedule_views.person, name="person"),
    path("gowns/", schedule_views.gowns, name="gowns"),
    path("gowns/<int:pk>/", schedule_views.gown_edit, name="gown_edit"),
    path("gowns/<int:pk>/photo/", schedule_views.gown_photo, name="gown_photo"),
    path("locations/", schedule_views.locations, name="locations"),
    path("locations/<int:pk>/", schedule_views.location_edit, name="location_edit"),
    # Flow cards, the cashier's hand-over, performance and rework.
    path("orders/<int:pk>/flowcard/", flow_views.flowcard_new, name="flowcard_new"),
    path("handover/", flow_views.handover, name="handover"),
    path("performance/", flow_views.performance, name="performance"),
    path("orders/<int:pk>/rework/", flow_views.rework_new, name="rework_new"),
    path("reworks/", flow_views.reworks, name="reworks"),
    path("reworks/<int:pk>/", flow_views.rework, name="rework"),
    path("reworks/<int:pk>/decide/", flow_views.rework_decide_view, name="rework_decide"),
    path("reworks/<int:pk>/done/", flow_views.rework_done_view, name="rework_done"),
    # Production chasing (催件) and walk-outs (走单).
    path("production/", production_views.production, name="production"),
    path("production/late/", production_views.late_production, name="late_production"),
    path("production/orders/<int:pk>/", production_views.production_order, name="production_order"),
    path("production/items/<int:pk>/", production_views.production_item, name="production_item"),
    path("walkouts/", production_views.walkouts, name="walkouts"),
    path("walkouts/new/", production_views.walkout_new, name="walkout_new"),
    path("walkouts/visitors/", production_views.visitors, name="visitors"),
    path("walkouts/<int:pk>/", production_views.walkout, name="walkout"),
]

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns = [
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
