from django.urls import path

from . import apis, views

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

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns = [
    path("members/", apis.MemberListApi.as_view(), name="member-list"),
    path("members/<int:pk>/", apis.MemberDetailApi.as_view(), name="member-detail"),
    path("members/<int:member_id>/ledger/", apis.MemberLedgerApi.as_view(), name="member-ledger"),
    path("members/<int:member_id>/redeem/", apis.MemberRedeemApi.as_view(), name="member-redeem"),
    path("members/<int:member_id>/adjust/", apis.MemberAdjustApi.as_view(), name="member-adjust"),
    path("member-cards/", apis.MemberCardListApi.as_view(), name="member-card-list"),
    path("member-cards/<int:pk>/", apis.MemberCardDetailApi.as_view(), name="member-card-detail"),
    path("member-cards/<int:card_id>/report-lost/", apis.MemberCardReportLostApi.as_view(),
         name="member-card-report-lost"),
    path("member-cards/<int:card_id>/revoke/", apis.MemberCardRevokeApi.as_view(),
         name="member-card-revoke"),
    path("segments/", apis.SegmentListApi.as_view(), name="segment-list"),
    path("segments/<int:segment_id>/customers/", apis.SegmentCustomerListApi.as_view(),
         name="segment-customers"),
]
