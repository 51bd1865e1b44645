"""Import customers from Excel (included at /customers/import/): the upload, then its job."""
from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_upload, name="upload"),
    path("<int:pk>/", import_views.import_job, name="job"),
    path("<int:pk>/status", import_views.import_job_status, name="status"),
    path("<int:pk>/confirm/", import_views.import_confirm, name="confirm"),
    path("<int:pk>/rejected.xlsx", import_views.import_rejected, name="rejected"),
]
