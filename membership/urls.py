from django.urls import path

app_name = "membership"

urlpatterns: list = []  # the member pages are added here
