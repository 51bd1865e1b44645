from django.urls import path  # noqa: F401

app_name = "messaging"

urlpatterns: list = []

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns: list = []
