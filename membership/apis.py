"""API of membership: members with their ledger, redeeming and adjusting points, member cards
(issue, report lost, revoke) and segments with their customers.

Members start from members_visible_to(user), cards from cards_visible_to(user), segments from
the user's store scope, so out-of-scope ids answer 404. Each action takes its permission (403
otherwise) and its input serializer from the step map (membership.workflow) and calls its
service; studio.api.exception_handler turns their ValidationError into 400 and a card that has
already ended (TransitionNotAllowed) into 409.
"""

import django_filters as filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Customer
from customers.selectors import customers_search
from staff.filters import StoreFilter
from staff.scoping import of_my_stores, store_for
from studio.api import validated_body
from studio.api_views import (
    ObjectActionApi,
    ScopedDetailApi,
    ScopedListApi,
    ScopedListCreateApi,
    path_id,
)
from studio.audit import audit_record
from studio.filters import IdFilter
from studio.models import AuditAction

from .models import CardEvent, CardStatus, MemberAccount, MemberCard, PointsEntry, Segment
from .selectors import cards_visible_to, ledger_for_member, members_visible_to, segment_customers
from .serializers import (
    MemberCardDetailSerializer,
    MemberCardSerializer,
    MemberDetailSerializer,
    MemberSerializer,
    PointsEntrySerializer,
    PointsPostedSerializer,
    SegmentCustomerSerializer,
    SegmentInputSerializer,
    SegmentSerializer,
)
from .services import (
    member_card_issue,
    member_card_report_lost,
    member_card_revoke,
    points_adjust,
    points_redeem,
    segment_save,
)
from .workflow import MEMBER_STEPS

# --- Members ------------------------------------------------------------------------------------

class MemberFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", help_text="会员姓名包含 / 11 位手机号 / 手机尾号（≥4 位）")
    tier = IdFilter(field_name="tier_id", help_text="会员等级")
    card_status = filters.ChoiceFilter(choices=CardStatus.choices, field_name="card_status",
                                       help_text="当前会员卡（最新的一张）的状态")
    card_number = filters.CharFilter(field_name="cards__number",
                                     help_text="卡号（任一张，包括已挂失的旧卡）")
    store = StoreFilter(field_name="store_id")  # a GM's; others see one store

    class Meta:
        model = MemberAccount
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return customers_search(queryset, value, prefix="customer__")


def _members(user) -> QuerySet[MemberAccount]:
    """Members with everything the list reads, the current card as two subqueries: one query
    for the page whatever its size."""
    latest = MemberCard.objects.filter(account=OuterRef("pk")).order_by("-issued_at", "-pk")
    return (members_visible_to(user)
            .select_related("customer__store", "customer__assigned_to", "tier")
            .annotate(card_number=Subquery(latest.values("number")[:1]),
                      card_status=Subquery(latest.values("status")[:1]))
            .order_by("-created_at", "-pk"))


class MemberListApi(ScopedListApi):
    required_perm = "membership.view_memberaccount"
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    selector = _members
    summary = "会员列表：按姓名/手机号、等级、卡状态、卡号查询"


def _members_with_cards(user) -> QuerySet[MemberAccount]:
    cards = (MemberCard.objects.select_related("store", "issued_by")
             .prefetch_related(Prefetch("events", queryset=CardEvent.objects
                                        .select_related("by").order_by("at", "pk")))
             .order_by("-issued_at", "-pk"))
    return _members(user).prefetch_related(Prefetch("cards", queryset=cards))


class MemberDetailApi(ScopedDetailApi):
    required_perm = "membership.view_memberaccount"
    serializer_class = MemberDetailSerializer
    selector = _members_with_cards
    summary = "会员档案：等级、积分余额、累计消费、会员卡及其记录"

    def get_object(self) -> MemberAccount:
        account = super().get_object()
        # Opening a member's file is opening the customer's (DESIGN principle 8).
        audit_record(request=self.request, action=AuditAction.VIEW_CUSTOMER, obj=account.customer,
                     detail={"member": account.pk})
        return account


@extend_schema(parameters=[path_id("member_id")], summary="积分流水（新的在前）")
class MemberLedgerApi(generics.ListAPIView):
    required_perm = "membership.view_pointsentry"
    serializer_class = PointsEntrySerializer
    queryset = PointsEntry.objects.none()  # for the schema only: the real one needs the member
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[PointsEntry]:
        member = get_object_or_404(members_visible_to(self.request.user), pk=self.kwargs["member_id"])
        return ledger_for_member(member)


class _PointsApi(ObjectActionApi):
    visible_to = members_visible_to
    lookup_url_kwarg = "member_id"
    output_serializer = PointsPostedSerializer
    created = True

    def output(self, entry: PointsEntry) -> dict:
        # The service moved the balance with an UPDATE: read the account again to show it.
        return {"entry": entry, "member": _members(self.request.user).get(pk=entry.account_id)}


class MemberRedeemApi(_PointsApi):
    step = MEMBER_STEPS["redeem"]
    parameters = [OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                   description="同一键重复提交只兑换一次，答复第一次的流水（201）")]
    summary = "积分兑换（礼品、升级、折扣）：不超过余额，须写兑换内容"

    def act(self, request: Request, account: MemberAccount, data: dict) -> PointsEntry:
        key = request.headers.get("Idempotency-Key", "").strip()[:60]  # kept apart per user
        return points_redeem(account=account, by=request.user, points=data["points"],
                             note=data["note"],
                             request_key=f"api:{request.user.pk}:{key}" if key else None)


class MemberAdjustApi(_PointsApi):
    step = MEMBER_STEPS["adjust"]
    summary = "调整积分（主管）：须写原因，不能扣成负数"

    def act(self, request: Request, account: MemberAccount, data: dict) -> PointsEntry:
        return points_adjust(account=account, by=request.user, points=data["points"],
                             reason=data["reason"])


# --- Member cards -------------------------------------------------------------------------------

class MemberCardFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", help_text="持卡人姓名包含 / 11 位手机号 / 手机尾号（≥4 位）")
    number = filters.CharFilter(field_name="number", help_text="卡号")
    status = filters.ChoiceFilter(choices=CardStatus.choices)
    store = StoreFilter(field_name="store_id")  # a GM's; others see one store

    class Meta:
        model = MemberCard
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return customers_search(queryset, value, prefix="account__customer__")


def _cards(user) -> QuerySet[MemberCard]:
    return (cards_visible_to(user).select_related("account__customer", "store", "issued_by")
            .order_by("-issued_at", "-pk"))


def _cards_with_history(user) -> QuerySet[MemberCard]:
    """Cards as the detail shows them. A card made by an action (issued to a customer the user
    sees, or replacing one of theirs) is in the same store and account: the user sees it."""
    return _cards(user).prefetch_related(
        Prefetch("events", queryset=CardEvent.objects.select_related("by")))


class MemberCardListApi(ScopedListCreateApi):
    read_perm = "membership.view_membercard"
    serializer_class = MemberCardSerializer
    filterset_class = MemberCardFilter
    selector = _cards
    summary = "会员卡列表：按持卡人、卡号、状态查询"
    step = MEMBER_STEPS["issue"]
    output_serializer = MemberCardDetailSerializer
    reread = _cards_with_history
    create_summary = "发放会员卡：客户成为会员（首张卡为最低等级）"

    def create(self, request: Request, data: dict) -> MemberCard:
        return member_card_issue(customer=data["customer"], number=data["number"],
                                 expires_on=data.get("expires_on"), by=request.user)


class MemberCardDetailApi(ScopedDetailApi):
    required_perm = "membership.view_membercard"
    serializer_class = MemberCardDetailSerializer
    selector = _cards_with_history
    summary = "一张会员卡及其记录"


class _CardActionApi(ObjectActionApi):
    visible_to = cards_visible_to
    lookup_url_kwarg = "card_id"
    output_serializer = MemberCardDetailSerializer
    reread = _cards_with_history


class MemberCardReportLostApi(_CardActionApi):
    step = MEMBER_STEPS["lost"]
    created = True
    summary = "挂失补办：原卡停用，新卡号沿用原账户的积分与等级（返回新卡）"

    def act(self, request: Request, card: MemberCard, data: dict) -> MemberCard:
        try:
            return member_card_report_lost(card=card, by=request.user,
                                           new_number=data["new_number"], reason=data["reason"])
        except ValidationError as error:
            # The service names the new card's number `number`; here it is `new_number`.
            if hasattr(error, "error_dict") and "number" in error.error_dict:
                error.error_dict["new_number"] = error.error_dict.pop("number")
            raise


class MemberCardRevokeApi(_CardActionApi):
    step = MEMBER_STEPS["revoke"]
    summary = "收回会员卡：须写原因；积分留在账户上"

    def act(self, request: Request, card: MemberCard, data: dict) -> MemberCard:
        return member_card_revoke(card=card, by=request.user, reason=data["reason"])


# --- Segments -----------------------------------------------------------------------------------

class SegmentFilter(filters.FilterSet):
    store = StoreFilter(field_name="store_id")  # a GM's; others see one store

    class Meta:
        model = Segment
        fields: list[str] = []


# By store only: a specialist sees none (as callback campaigns).
_segments = of_my_stores(Segment.objects.select_related("store", "created_by")
                         .order_by("store_id", "name"))


@extend_schema_view(post=extend_schema(
    request=SegmentInputSerializer, responses={201: SegmentSerializer, 200: SegmentSerializer},
    summary="保存客户分组（按条件分类老客户）：新名称创建（201），同名更新（200）"))
class SegmentListApi(ScopedListCreateApi):
    read_perm = "membership.view_segment"
    write_perm = "membership.add_segment"
    serializer_class = SegmentSerializer
    filterset_class = SegmentFilter
    selector = _segments
    summary = "客户分组（按门店）"

    def post(self, request: Request) -> Response:
        data = validated_body(SegmentInputSerializer, request)
        store = store_for(request.user, data.get("store"), writing=True)
        exists = Segment.objects.filter(store=store, name=data["name"]).exists()
        if exists and not request.user.has_perm("membership.change_segment"):
            raise PermissionDenied(_("您没有修改客户分组的权限。"))
        segment = segment_save(store=store, name=data["name"],
                               conditions=data.get("conditions", {}), by=request.user)
        return self.answer(segment, status.HTTP_200_OK if exists else status.HTTP_201_CREATED)


@extend_schema(parameters=[path_id("segment_id")],
               summary="分组内的客户（按分组条件，当下计算；无完整手机号权限时手机号打码）")
class SegmentCustomerListApi(generics.ListAPIView):
    required_perm = "membership.view_segment"
    serializer_class = SegmentCustomerSerializer
    queryset = Customer.objects.none()  # for the schema only: the real one needs the segment
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Customer]:
        segment = get_object_or_404(_segments(self.request.user), pk=self.kwargs["segment_id"])
        return (segment_customers(self.request.user, store_id=segment.store_id,
                                  conditions=segment.conditions, now=timezone.now())
                .select_related("assigned_to", "member_account__tier"))
