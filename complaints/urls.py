from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.archive, name="archive"),
    path("new/", views.register, name="new"),
    path("statistics/", views.statistics, name="statistics"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/signature.png", views.signature, name="signature"),
    path("<int:pk>/<str:name>/", views.step, name="step"),
]
