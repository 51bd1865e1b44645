from django.urls import path

from . import views

app_name = "membership"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("issue/", views.issue, name="issue"),
    path("segments/", views.segments, name="segments"),
    path("cashbacks/", views.cashbacks, name="cashbacks"),
    path("statistics/", views.statistics, name="statistics"),
    path("cashbacks/<int:pk>/paid/", views.cashback_paid, name="cashback_paid"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/<str:name>/", views.member_action, name="action"),
]
