from django.urls import path

from . import apis, views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:pk>/", views.endpoint, name="endpoint"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("<int:pk>/secret/", views.endpoint_secret, name="endpoint_secret"),
    path("<int:pk>/ping/", views.endpoint_ping, name="endpoint_ping"),
    path("deliveries/<int:pk>/", views.delivery, name="delivery"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
]

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns = [
    path("webhook-endpoints/", apis.WebhookEndpointListApi.as_view(),
         name="webhook-endpoint-list"),
    path("webhook-endpoints/<int:pk>/", apis.WebhookEndpointDetailApi.as_view(),
         name="webhook-endpoint-detail"),
    path("webhook-endpoints/<int:endpoint_id>/deliveries/",
         apis.WebhookDeliveryListApi.as_view(), name="webhook-endpoint-deliveries"),
]
