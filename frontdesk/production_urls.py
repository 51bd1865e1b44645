"""URLs of production chasing (催件) and walk-outs (走单), under /desk/ (app "frontdesk")."""
from django.urls import path

from . import production_views as views

urlpatterns: list = [
    path("production/", views.production, name="production"),
    path("production/late/", views.late_production, name="late_production"),
    path("production/orders/<int:pk>/", views.production_order, name="production_order"),
    path("production/items/<int:pk>/", views.production_item, name="production_item"),
    path("walkouts/", views.walkouts, name="walkouts"),
    path("walkouts/new/", views.walkout_new, name="walkout_new"),
    path("walkouts/visitors/", views.visitors, name="visitors"),
    path("walkouts/<int:pk>/", views.walkout, name="walkout"),
]
