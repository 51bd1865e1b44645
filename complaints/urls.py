from django.urls import path

from . import apis, views

app_name = "complaints"

urlpatterns = [
    path("", views.archive, name="archive"),
    path("new/", views.register, name="new"),
    path("from-callbacks/", views.calls_to_register, name="from_callbacks"),
    path("statistics/", views.statistics, name="statistics"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/signature.png", views.signature, name="signature"),
    path("<int:pk>/<str:name>/", views.step, name="step"),
]

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns = [
    path("complaints/", apis.ComplaintListApi.as_view(), name="complaint-list"),
    path("complaints/statistics/", apis.ComplaintStatisticsApi.as_view(),
         name="complaint-statistics"),
    path("complaints/<int:pk>/", apis.ComplaintDetailApi.as_view(), name="complaint-detail"),
    path("complaints/<int:complaint_id>/judge/", apis.ComplaintJudgeApi.as_view(),
         name="complaint-judge"),
    path("complaints/<int:complaint_id>/investigate/", apis.ComplaintInvestigateApi.as_view(),
         name="complaint-investigate"),
    path("complaints/<int:complaint_id>/solutions/", apis.ComplaintSolutionCreateApi.as_view(),
         name="complaint-solution-create"),
    path("complaints/<int:complaint_id>/approve/", apis.ComplaintApproveApi.as_view(),
         name="complaint-approve"),
    path("complaints/<int:complaint_id>/refuse/", apis.ComplaintRefuseApi.as_view(),
         name="complaint-refuse"),
    path("complaints/<int:complaint_id>/implement/", apis.ComplaintImplementApi.as_view(),
         name="complaint-implement"),
]
