"""API routes of callbacks: tasks and their calls, scripts, campaigns (mounted under /api/)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("callbacks/", apis.CallbackListApi.as_view(), name="callback-list"),
    path("callbacks/<int:pk>/", apis.CallbackDetailApi.as_view(), name="callback-detail"),
    path("callbacks/<int:task_id>/records/", apis.CallbackRecordCreateApi.as_view(),
         name="callback-record-create"),
    path("callback-scripts/", apis.CallbackScriptListApi.as_view(), name="callback-script-list"),
    path("callback-campaigns/", apis.CallbackCampaignListApi.as_view(),
         name="callback-campaign-list"),
]
