from django.urls import path

from . import receipts, views

app_name = "messaging"

urlpatterns = [
    path("templates/", views.templates, name="templates"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("templates/<str:purpose>/<str:channel>/", views.template_edit, name="template_edit"),
    path("opt-outs/", views.opt_outs, name="opt_outs"),
    path("opt-outs/<int:pk>/delete/", views.opt_out_delete, name="opt_out_delete"),
    # The gateways' pushes: delivery reports and replies, behind SMS_RECEIPT_TOKEN.
    path("receipts/<str:gateway>/<str:kind>/<str:token>/", receipts.gateway_push,
         name="gateway_push"),
    path("wechat/events/", receipts.wechat_events, name="wechat_events"),
]

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns: list = []
