from django.urls import include, path

app_name = "frontdesk"

urlpatterns = [
    path("", include("orders.frontdesk.schedule_urls")),
    path("", include("orders.frontdesk.flow_urls")),
    path("", include("orders.frontdesk.production_urls")),
]
