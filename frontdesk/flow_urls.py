"""URLs of flow cards, the cashier's hand-over, performance and rework (under /desk/)."""
from django.urls import path

from . import flow_views

urlpatterns = [
    path("orders/<int:pk>/flowcard/", flow_views.flowcard_new, name="flowcard_new"),
    path("handover/", flow_views.handover, name="handover"),
    path("performance/", flow_views.performance, name="performance"),
    path("orders/<int:pk>/rework/", flow_views.rework_new, name="rework_new"),
    path("reworks/", flow_views.reworks, name="reworks"),
    path("reworks/<int:pk>/", flow_views.rework, name="rework"),
    path("reworks/<int:pk>/decide/", flow_views.rework_decide_view, name="rework_decide"),
    path("reworks/<int:pk>/done/", flow_views.rework_done_view, name="rework_done"),
]
