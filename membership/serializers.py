"""API shapes of members, their cards and points ledger, and segments; request bodies of the
actions.

Output serializers only read; every write goes through membership.services, which decides
(balance, card state, card numbers, a reason for every adjustment).
"""
from decimal import Decimal

from rest_framework import serializers

from customers.models import Customer
from customers.selectors import customers_visible_to
from customers.serializers import MobileField
from orders.models import StageKind
from staff.models import Store
from studio.serializers import OutputSerializer, VisiblePrimaryKeyField, choice_field, name_of

from .models import (
    CardEvent,
    CardStatus,
    MemberAccount,
    MemberCard,
    MemberTier,
    PointsEntry,
    PointsKind,
    Segment,
)

CardStatusField = choice_field(CardStatus)
PointsKindField = choice_field(PointsKind)


# --- Output -------------------------------------------------------------------------------------

class CardEventSerializer(OutputSerializer):
    """One line of a card's history: issue, upgrade, lost, reissue, revoke, expire."""

    by_name = name_of("by")

    class Meta:
        model = CardEvent
        fields = ["id", "action", "note", "by", "by_name", "at"]


class AccountCardSerializer(OutputSerializer):
    """A card as the member's file shows it: its state and its history."""

    status = CardStatusField(read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    issued_by_name = name_of("issued_by")
    events = CardEventSerializer(many=True, read_only=True)

    class Meta:
        model = MemberCard
        fields = ["id", "number", "status", "store", "store_name", "issued_by", "issued_by_name",
                  "issued_at", "expires_on", "replaces", "ended_at", "end_reason", "events"]


class MemberCardSerializer(OutputSerializer):
    """A row of the card list: the card and whose it is."""

    status = CardStatusField(read_only=True)
    customer = serializers.IntegerField(source="account.customer_id", read_only=True)
    customer_name = serializers.CharField(source="account.customer.name", read_only=True)
    customer_mobile = MobileField(source="account.customer.mobile")
    store_name = serializers.CharField(source="store.name", read_only=True)
    issued_by_name = name_of("issued_by")

    class Meta:
        model = MemberCard
        fields = ["id", "number", "account", "customer", "customer_name", "customer_mobile",
                  "status", "store", "store_name", "issued_by", "issued_by_name", "issued_at",
                  "expires_on", "replaces", "ended_at", "end_reason"]


class MemberCardDetailSerializer(MemberCardSerializer):
    events = CardEventSerializer(many=True, read_only=True)


class MemberSerializer(OutputSerializer):
    """A row of the member list: who, which tier, the balance, the spending and the current card
    (the newest one: a lost card is always replaced by a newer one)."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_mobile = MobileField(source="customer.mobile")
    store = serializers.IntegerField(source="customer.store_id", read_only=True)
    store_name = serializers.CharField(source="customer.store.name", read_only=True)
    specialist_name = name_of("customer.assigned_to")
    tier_name = serializers.CharField(source="tier.name", read_only=True)
    card_number = serializers.CharField(read_only=True, allow_null=True)
    card_status = CardStatusField(read_only=True, allow_null=True)

    class Meta:
        model = MemberAccount
        fields = ["id", "customer", "customer_name", "customer_mobile", "store", "store_name",
                  "specialist_name", "tier", "tier_name", "points_balance", "total_spent",
                  "card_number", "card_status", "created_at"]


class MemberDetailSerializer(MemberSerializer):
    """A member's file: the account, the tier's earning rate and every card with its history."""

    earn_rate = serializers.DecimalField(source="tier.earn_rate", max_digits=5, decimal_places=2,
                                         read_only=True)
    cards = AccountCardSerializer(many=True, read_only=True)


class PointsEntrySerializer(OutputSerializer):
    """One line of the points ledger (added, never edited)."""

    kind = PointsKindField(read_only=True)
    by_name = name_of("by")

    class Meta:
        model = PointsEntry
        fields = ["id", "account", "kind", "points", "balance_after", "note", "order", "payment",
                  "remaining", "expires_at", "by", "by_name", "at"]


class PointsPostedSerializer(serializers.Serializer):
    """The entry just written, and the member's account as it now stands."""

    entry = PointsEntrySerializer(read_only=True)
    member = MemberSerializer(read_only=True)


class SegmentSerializer(OutputSerializer):
    store_name = serializers.CharField(source="store.name", read_only=True)
    created_by_name = name_of("created_by")

    class Meta:
        model = Segment
        fields = ["id", "name", "store", "store_name", "conditions", "created_by",
                  "created_by_name", "created_at", "updated_at"]


class SegmentCustomerSerializer(OutputSerializer):
    """A customer of a segment, with their membership (null for a customer without one)."""

    mobile = MobileField()
    assigned_to_name = name_of("assigned_to")
    tier_name = serializers.CharField(source="member_account.tier.name", read_only=True,
                                      allow_null=True)
    points_balance = serializers.IntegerField(source="member_account.points_balance",
                                              read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "title", "mobile", "store", "assigned_to", "assigned_to_name",
                  "source", "is_vip", "wedding_on", "child_birthday_on", "tier_name",
                  "points_balance", "created_at"]


# --- Input: shapes only; the services check the rules -----------------------------------------

# Points are an `IntegerField` column: a bound keeps a typing slip from overflowing it.
MAX_POINTS = 10_000_000




class PointsRedeemInputSerializer(serializers.Serializer):
    points = serializers.IntegerField(max_value=MAX_POINTS, help_text="兑换的积分（正整数，不超过余额）")
    note = serializers.CharField(max_length=200, allow_blank=True, help_text="兑换内容（必填）")


class PointsAdjustInputSerializer(serializers.Serializer):
    points = serializers.IntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS,
                                      help_text="调整的积分：正数增加，负数扣减（不能为 0，不能扣成负数）")
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="调整原因（必填）")


class MemberCardIssueInputSerializer(serializers.Serializer):
    customer = VisiblePrimaryKeyField(queryset=Customer.objects.all(),
                                      visible_to=customers_visible_to,
                                      help_text="持卡客户（在您的范围内的客户）")
    number = serializers.CharField(max_length=20, help_text="卡号（字母或数字，最多 20 位，不能重复）")
    expires_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="有效期至（不填为长期有效）")


class MemberCardReportLostInputSerializer(serializers.Serializer):
    new_number = serializers.CharField(max_length=20, help_text="补办的新卡号（沿用原账户的积分与等级）")
    reason = serializers.CharField(max_length=200, allow_blank=True, default="",
                                   help_text="挂失说明（不填为“客户挂失”）")


class MemberCardRevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="收回原因（必填）")


class SegmentConditionsSerializer(serializers.Serializer):
    """Which customers of the store (membership.selectors.SEGMENT_CONDITIONS)."""

    vip_only = serializers.BooleanField(default=False, help_text="只选持有效会员卡的客户")
    tier = serializers.PrimaryKeyRelatedField(queryset=MemberTier.objects.all(), required=False,
                                              allow_null=True, help_text="会员等级")
    min_spend = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                         required=False, allow_null=True,
                                         help_text="累计消费不少于（元）")
    min_orders = serializers.IntegerField(min_value=1, max_value=1000, required=False,
                                          allow_null=True, help_text="订单数不少于")
    active_within_days = serializers.IntegerField(min_value=1, max_value=3650, required=False,
                                                  allow_null=True, help_text="最近 N 天内有订单")
    idle_days = serializers.IntegerField(min_value=1, max_value=3650, required=False,
                                         allow_null=True, help_text="N 天没有新订单")
    stage = serializers.ChoiceField(choices=StageKind.choices, required=False, allow_null=True,
                                    help_text="有订单正处于该服务阶段")
    wedding_month = serializers.IntegerField(min_value=1, max_value=12, required=False,
                                             allow_null=True, help_text="婚期月份")
    birthday_month = serializers.IntegerField(min_value=1, max_value=12, required=False,
                                              allow_null=True, help_text="宝宝生日月份")

    def to_internal_value(self, data) -> dict:
        """Only the conditions set, stored as JSON (an amount as a string, a tier as its id), as
        the campaign page stores them."""
        values = super().to_internal_value(data)
        stored = {}
        for key, value in values.items():
            if value in (None, False, ""):
                continue
            stored[key] = str(value) if key == "min_spend" else (
                value.pk if key == "tier" else value)
        return stored


class SegmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="分组名称（同一门店内同名即更新该分组）")
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="总经理必填；其他角色只能为本门店保存（可省略）")
    conditions = SegmentConditionsSerializer(required=False)
