"""API routes of membership: members and their points, member cards, segments (mounted under
/api/)."""
from django.urls import path

from . import apis

urlpatterns = [
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
