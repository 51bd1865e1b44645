"""API shapes of the front desk: bookings with their history, the SMS outbox, flow cards with
their credits, rework, production items and walk-outs; request bodies of the actions.

Output serializers only read; every write goes through the front-desk services (schedule,
flowcards, production), which decide: the people, gowns and location belong to the store,
the slot is free, the step is allowed from the current state.
"""
from rest_framework import serializers

from customers.models import Title
from customers.serializers import MobileField
from customers.validators import mask_mobile
from orders.models import Order, OrderStage, StageKind
from orders.selectors import orders_visible_to, stages_visible_to
from staff.models import Store, User
from staff.scoping import of_my_stores
from studio.models import SmsMessage, SmsStatus
from studio.serializers import OutputSerializer, VisiblePrimaryKeyField, choice_field, name_of

from .models import (
    Booking,
    BookingChange,
    BookingStatus,
    FlowCard,
    Gown,
    OutdoorLocation,
    PerformanceCredit,
    ProductionItem,
    ProductionStatus,
    ProductKind,
    Rework,
    ReworkStatus,
    WalkOut,
    WalkOutReason,
    WalkOutStatus,
)

BookingStatusField = choice_field(BookingStatus)
SmsStatusField = choice_field(SmsStatus)
ReworkStatusField = choice_field(ReworkStatus)
ProductionStatusField = choice_field(ProductionStatus)
ProductKindField = choice_field(ProductKind)
WalkOutReasonField = choice_field(WalkOutReason)
WalkOutStatusField = choice_field(WalkOutStatus)

# Catalogue rows and people are chosen among those of the user's stores (of_my_stores); the
# services then check that they belong to the order's store.
_staff = User.objects.filter(staff_profile__isnull=False)


def _person(**kwargs) -> VisiblePrimaryKeyField:
    return VisiblePrimaryKeyField(queryset=_staff, visible_to=of_my_stores(
        _staff, store_field="staff_profile__store_id"), allow_null=True, **kwargs)


# --- Output: bookings -----------------------------------------------------------------------------

class GownRefSerializer(OutputSerializer):
    class Meta:
        model = Gown
        fields = ["id", "code", "style", "size", "colour"]


class GownLineSerializer(serializers.Serializer):
    """A gown of the booking and what the customer pays for it in the order's package."""

    id = serializers.IntegerField(source="gown.pk", read_only=True)
    code = serializers.CharField(source="gown.code", read_only=True)
    style = serializers.CharField(source="gown.style", read_only=True)
    is_addon = serializers.BooleanField(read_only=True, help_text="不含于套系，按加选价格收费")
    price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)


class BookingChangeSerializer(OutputSerializer):
    """One line of a booking's history: booked, moved (old and new time), cancelled."""

    by_name = name_of("by")

    class Meta:
        model = BookingChange
        fields = ["id", "before_starts_at", "after_starts_at", "note", "by", "by_name", "at"]


class BookingSerializer(OutputSerializer):
    """A slot of the schedule: which stage of whose order, when, who, where, which gowns."""

    kind = serializers.ChoiceField(source="stage.kind", choices=StageKind.choices, read_only=True)
    order = serializers.IntegerField(source="stage.order_id", read_only=True)
    customer = serializers.IntegerField(source="stage.order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="stage.order.customer.name", read_only=True)
    customer_mobile = MobileField(source="stage.order.customer.mobile")
    package = serializers.CharField(source="stage.order.package.name", read_only=True)
    balance_owed = serializers.DecimalField(
        source="stage.order.balance_owed", max_digits=12, decimal_places=2, read_only=True,
        help_text="欠款（值班表：核对有无欠款）")
    store_name = serializers.CharField(source="store.name", read_only=True)
    photographer_name = name_of("photographer")
    makeup_artist_name = name_of("makeup_artist")
    location_name = serializers.CharField(source="location.name", read_only=True, allow_null=True)
    gowns = GownRefSerializer(many=True, read_only=True)
    status = BookingStatusField(read_only=True)
    created_by_name = name_of("created_by")

    class Meta:
        model = Booking
        fields = ["id", "stage", "kind", "order", "customer", "customer_name", "customer_mobile",
                  "package", "balance_owed", "store", "store_name", "starts_at", "ends_at",
                  "photographer", "photographer_name", "makeup_artist", "makeup_artist_name",
                  "requested_by_customer", "location", "location_name", "gowns", "status",
                  "note", "created_by", "created_by_name", "created_at"]


class BookingDetailSerializer(BookingSerializer):
    gown_lines = GownLineSerializer(many=True, read_only=True,
                                    help_text="礼服：含于套系或加选（及价格）")
    changes = BookingChangeSerializer(many=True, read_only=True)


# --- Output: the SMS outbox -----------------------------------------------------------------------

class MaskedMobileField(serializers.CharField):
    """Always 138****1234, as on the outbox page, whoever asks."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: str) -> str:
        return mask_mobile(value)


class SmsMessageSerializer(OutputSerializer):
    mobile = MaskedMobileField()
    status = SmsStatusField(read_only=True)
    created_by_name = name_of("created_by")

    class Meta:
        model = SmsMessage
        fields = ["id", "mobile", "body", "purpose", "store_id", "customer_id", "channel",
                  "gateway", "template_code", "status", "attempts", "error", "created_by",
                  "created_by_name", "created_at", "send_after", "sent_at", "delivered_at"]


# --- Output: flow cards and rework ----------------------------------------------------------------

class PerformanceCreditSerializer(OutputSerializer):
    user_name = name_of("user")

    class Meta:
        model = PerformanceCredit
        fields = ["id", "user", "user_name", "role", "amount", "on"]


class FlowCardSerializer(OutputSerializer):
    """A shoot's flow card and the performance it credits (dated the day of the shoot)."""

    customer = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    package = serializers.CharField(source="order.package.name", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    photographer_name = name_of("photographer")
    makeup_artist_name = name_of("makeup_artist")
    created_by_name = name_of("created_by")
    credits = PerformanceCreditSerializer(many=True, read_only=True)

    class Meta:
        model = FlowCard
        fields = ["id", "order", "stage", "customer", "customer_name", "package", "store",
                  "store_name", "on", "photographer", "photographer_name", "makeup_artist",
                  "makeup_artist_name", "amount", "credits", "created_by", "created_by_name",
                  "created_at"]


class ReworkSerializer(OutputSerializer):
    customer = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    package = serializers.CharField(source="order.package.name", read_only=True)
    store = serializers.IntegerField(source="order.store_id", read_only=True)
    store_name = serializers.CharField(source="order.store.name", read_only=True)
    status = ReworkStatusField(read_only=True)
    requested_by_name = name_of("requested_by")
    decided_by_name = name_of("decided_by")

    class Meta:
        model = Rework
        fields = ["id", "order", "customer", "customer_name", "package", "store", "store_name",
                  "items", "reason", "status", "requested_by", "requested_by_name", "created_at",
                  "decided_by", "decided_by_name", "decided_at", "decision_note", "done_at"]


# --- Output: production and walk-outs -------------------------------------------------------------

class ProductionItemSerializer(OutputSerializer):
    customer = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    package = serializers.CharField(source="order.package.name", read_only=True)
    store = serializers.IntegerField(source="order.store_id", read_only=True)
    kind = ProductKindField(read_only=True)
    status = ProductionStatusField(read_only=True)
    is_late = serializers.BooleanField(read_only=True, help_text="在厂制作且已过预计到店日期（催件）")
    qc_by_name = name_of("qc_by")

    class Meta:
        model = ProductionItem
        fields = ["id", "order", "customer", "customer_name", "package", "store", "kind",
                  "description", "quantity", "status", "sent_at", "due_on", "is_late",
                  "arrived_at", "qc_count", "qc_note", "qc_by", "qc_by_name", "qc_at",
                  "picked_up_at", "picked_up_by", "created_at"]


class WalkOutSerializer(OutputSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_mobile = MobileField(source="customer.mobile")
    store_name = serializers.CharField(source="store.name", read_only=True)
    reason = WalkOutReasonField(read_only=True)
    status = WalkOutStatusField(read_only=True)
    consultant_name = name_of("consultant")

    class Meta:
        model = WalkOut
        fields = ["id", "store", "store_name", "customer", "customer_name", "customer_mobile",
                  "visited_at", "reason", "reason_note", "consultant", "consultant_name",
                  "status", "converted_order", "closed_at", "created_at"]


# --- Input: shapes only; the services check the rules -----------------------------------------

class BookingCreateInputSerializer(serializers.Serializer):
    stage = VisiblePrimaryKeyField(queryset=OrderStage.objects.all(), visible_to=stages_visible_to,
                                   help_text="要预约的服务阶段（礼服挑选、拍摄或选片）")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="不填则按默认时长：拍摄 4 小时，礼服挑选和选片 2 小时")
    photographer = _person(required=False, help_text="拍摄：不填则自动安排当天最空闲的摄影师")
    makeup_artist = _person(required=False)
    requested_by_customer = serializers.BooleanField(
        default=False, help_text="客户指定了摄影师或化妆师：只约指定的人，不自动安排")
    location = VisiblePrimaryKeyField(
        queryset=OutdoorLocation.objects.all(), allow_null=True, required=False,
        visible_to=of_my_stores(OutdoorLocation.objects.all()),
        help_text="外景点（仅拍摄）")
    gowns = VisiblePrimaryKeyField(
        queryset=Gown.objects.all(), many=True, required=False,
        visible_to=of_my_stores(Gown.objects.all()), help_text="礼服（仅拍摄）")
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class BookingMoveInputSerializer(serializers.Serializer):
    """Only what is given changes: an omitted person, location or gowns stays as booked; null
    (or an empty list) removes it."""

    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True,
                                        help_text="不填则保持原时长")
    photographer = _person(required=False)
    makeup_artist = _person(required=False)
    location = VisiblePrimaryKeyField(
        queryset=OutdoorLocation.objects.all(), allow_null=True, required=False,
        visible_to=of_my_stores(OutdoorLocation.objects.all()))
    gowns = VisiblePrimaryKeyField(
        queryset=Gown.objects.all(), many=True, required=False,
        visible_to=of_my_stores(Gown.objects.all()))
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class BookingCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="取消原因（必填）")


class FlowCardCreateInputSerializer(serializers.Serializer):
    order = VisiblePrimaryKeyField(queryset=Order.objects.all(),
                                   visible_to=orders_visible_to)
    photographer = _person(help_text="摄影师（本店在职员工）")
    makeup_artist = _person(required=False, help_text="化妆师（不填：化妆业绩不计给任何人）")
    complete_shoot = serializers.BooleanField(
        default=False, help_text="同时登记拍摄完成（需要登记服务阶段的权限）")
    confirm = serializers.BooleanField(
        default=False, help_text="确认按实际更新档期：拍摄提前完成或摄影师、化妆师与预约不同时，"
                                 "未确认答复 409 booking_differs")


class ReworkRequestInputSerializer(serializers.Serializer):
    order = VisiblePrimaryKeyField(queryset=Order.objects.all(),
                                   visible_to=orders_visible_to)
    items = serializers.CharField(allow_blank=True, help_text="返工内容，如：重拍外景一组、重修 5 张")
    reason = serializers.CharField(allow_blank=True, help_text="返工原因")


class ReworkDecideInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text="批准（true）或不批准（false）")
    note = serializers.CharField(allow_blank=True, default="", help_text="审批意见（不批准时必填）")


class ProductionItemAddInputSerializer(serializers.Serializer):
    order = VisiblePrimaryKeyField(queryset=Order.objects.all(),
                                   visible_to=orders_visible_to)
    kind = ProductKindField()
    quantity = serializers.IntegerField(min_value=1, max_value=999, default=1)
    description = serializers.CharField(max_length=200, allow_blank=True, default="")


class ProductionSendInputSerializer(serializers.Serializer):
    due_on = serializers.DateField(help_text="预计到店日期（不早于今天）")


class ProductionQcInputSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0, max_value=9999, help_text="清点数量")
    passed = serializers.BooleanField(help_text="质检合格（清点数量须与应交数量一致）")
    note = serializers.CharField(max_length=200, allow_blank=True, default="",
                                 help_text="质检说明（不合格时必填）")


class ProductionPickupInputSerializer(serializers.Serializer):
    picked_up_by = serializers.CharField(max_length=64, allow_blank=True, help_text="取件人")


class WalkOutRecordInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, allow_blank=True, help_text="客户姓名")
    # Plain: the schema's TitleEnum is the customer's title, the same choices.
    title = serializers.ChoiceField(choices=Title.choices, default=Title.MS)
    mobile = serializers.CharField(max_length=11, allow_blank=True, help_text="11 位手机号")
    reason = WalkOutReasonField()
    reason_note = serializers.CharField(max_length=200, allow_blank=True, default="",
                                        help_text="说明（原因为「其他」时必填）")
    visited_at = serializers.DateTimeField(help_text="到店时间")
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="总经理必填；其他角色为本门店（可省略）")


class WalkOutConvertInputSerializer(serializers.Serializer):
    order = VisiblePrimaryKeyField(queryset=Order.objects.all(),
                                   visible_to=orders_visible_to,
                                   help_text="该客户在到店之后下的订单")


class WalkOutGiveUpInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=100, allow_blank=True, help_text="放弃跟进的原因")
