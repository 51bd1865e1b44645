"""Import customers from Excel (included at /customers/import/): the upload, then its job."""
from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_upload, name="upload"),
    path("<int:pk>/", views.import_job, name="job"),
    path("<int:pk>/status", views.import_job_status, name="status"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/rejected.xlsx", views.import_rejected, name="rejected"),
]
