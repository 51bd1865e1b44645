"""Import customers from Excel (included at /customers/import/)."""
from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_upload, name="upload"),
    path("<str:token>/confirm/", import_views.import_confirm, name="confirm"),
    path("<str:token>/rejected.xlsx", import_views.import_rejected, name="rejected"),
]
