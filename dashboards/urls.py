"""The dashboards and the monthly targets (under /dashboards/)."""
from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("supervisor/", views.supervisor, name="supervisor"),
    path("manager/", views.manager, name="manager"),
    path("targets/", views.targets, name="targets"),
    path("targets/edit/", views.target_edit, name="target_edit"),
]
