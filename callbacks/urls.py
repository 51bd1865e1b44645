from django.urls import path

from . import views

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
