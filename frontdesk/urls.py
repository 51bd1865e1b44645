from django.urls import include, path

app_name = "frontdesk"

urlpatterns = [
    path("", include("frontdesk.schedule_urls")),
    path("", include("frontdesk.flow_urls")),
    path("", include("frontdesk.production_urls")),
]
