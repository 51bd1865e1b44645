from django.urls import path

from . import apis, views

app_name = "callbacks"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("<int:pk>/", views.call_page, name="call"),
    path("<int:pk>/reveal/", views.reveal_mobile, name="reveal"),
    path("<int:pk>/sms/", views.send_sms, name="sms"),
    path("distribute/", views.distribute, name="distribute"),
    path("scripts/", views.scripts, name="scripts"),
    path("scripts/<str:purpose>/", views.script_edit, name="script_edit"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("summary/", views.summary, name="summary"),
]

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns = [
    path("callbacks/", apis.CallbackListApi.as_view(), name="callback-list"),
    path("callbacks/<int:pk>/", apis.CallbackDetailApi.as_view(), name="callback-detail"),
    path("callbacks/<int:task_id>/records/", apis.CallbackRecordCreateApi.as_view(),
         name="callback-record-create"),
    path("callback-scripts/", apis.CallbackScriptListApi.as_view(), name="callback-script-list"),
    path("callback-campaigns/", apis.CallbackCampaignListApi.as_view(),
         name="callback-campaign-list"),
    path("callback-summary/", apis.CallbackSummaryApi.as_view(), name="callback-summary"),
]
