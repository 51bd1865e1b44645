"""API shapes of customers, orders, their stages and payments; request bodies of the actions.

Output serializers only read; every write goes through orders.services, which decides.
"""
from decimal import Decimal

from rest_framework import serializers

from customers.models import Customer
from customers.selectors import customers_visible_to
from customers.serializers import CustomerRefSerializer, MobileField
from staff.models import Role, User
from staff.selectors import staff_users_in_scope
from studio.serializers import OutputSerializer, VisiblePrimaryKeyField, choice_field, name_of

from .models import (
    ZERO,
    Order,
    OrderAddOn,
    OrderEvent,
    OrderEventAction,
    OrderStage,
    Package,
    PackageKind,
    Payment,
    PaymentKind,
    PaymentMethod,
    StageKind,
)
from .selectors import packages_visible_to

PackageKindField = choice_field(PackageKind)
PaymentMethodField = choice_field(PaymentMethod)
OrderEventActionField = choice_field(OrderEventAction)

# --- Output -------------------------------------------------------------------------------------

class StageSerializer(OutputSerializer):
    assigned_to_name = name_of("assigned_to")
    is_late = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = OrderStage
        fields = ["id", "order", "kind", "status", "scheduled_at", "completed_at", "assigned_to",
                  "assigned_to_name", "location", "extra_amount", "extra_note", "picked_up_by",
                  "is_late"]


class StageListItemSerializer(StageSerializer):
    """A row of a stage list: the stage, whose it is and what the order still owes."""

    customer_id = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    customer_mobile = MobileField(source="order.customer.mobile")
    specialist_name = name_of("order.customer.assigned_to")
    package = serializers.CharField(source="order.package.name", read_only=True)
    balance_owed = serializers.DecimalField(source="order.balance_owed", max_digits=12,
                                            decimal_places=2, read_only=True)
    payment_status = serializers.CharField(source="order.payment_status", read_only=True)


class PaymentSerializer(OutputSerializer):
    received_by_name = name_of("received_by")

    class Meta:
        model = Payment
        fields = ["id", "order", "kind", "amount", "method", "paid_at", "received_by",
                  "received_by_name", "note"]


class OrderSerializer(OutputSerializer):
    customer = CustomerRefSerializer(read_only=True)
    package = serializers.CharField(source="package.name", read_only=True)
    balance_owed = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    payment_status = serializers.CharField(read_only=True)
    stages = StageSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    # Blank once every stage is done: say so (a read-only model field would drop allow_blank).
    current_stage = serializers.ChoiceField(choices=StageKind.choices, allow_blank=True,
                                            read_only=True,
                                            help_text=Order._meta.get_field("current_stage").help_text)

    class Meta:
        model = Order
        fields = ["id", "customer", "store", "package", "status", "current_stage", "amount",
                  "discount", "extras_total", "paid_total", "balance_owed", "payment_status",
                  "created_at", "stages", "payments"]


class OrderAddOnSerializer(OutputSerializer):
    by_name = name_of("by")

    class Meta:
        model = OrderAddOn
        fields = ["id", "name", "amount", "by", "by_name", "at"]


class OrderEventSerializer(OutputSerializer):
    action = OrderEventActionField(read_only=True)
    by_name = name_of("by")

    class Meta:
        model = OrderEvent
        fields = ["id", "action", "before", "after", "by", "by_name", "at", "note"]


class ReceiptedPaymentSerializer(PaymentSerializer):
    """A payment with its receipt's number (收据编号; null for a payment older than receipts)."""

    receipt_number = serializers.CharField(source="receipt.number", read_only=True, allow_null=True)


class SaleOrderSerializer(OrderSerializer):
    """The order as the sale's endpoints answer (开单, change, cancel, approve): the order
    list's row, plus what the sale decides and its own history."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    consultant_name = name_of("consultant")
    payments = ReceiptedPaymentSerializer(many=True, read_only=True)
    deposit_receipt_number = serializers.SerializerMethodField(
        help_text="定金的收据编号（开单时收的定金；没有则为 null）")
    addons = OrderAddOnSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "status_label", "scene", "consultant",
                  "consultant_name", "planned_on", "notes", "cancelled_reason", "approved_by",
                  "approved_at", "deposit_receipt_number", "addons", "events"]

    def get_deposit_receipt_number(self, order: Order) -> str | None:
        deposit = next((p for p in order.payments.all() if p.kind == PaymentKind.DEPOSIT), None)
        receipt = getattr(deposit, "receipt", None) if deposit is not None else None
        return receipt.number if receipt is not None else None


class PackageSerializer(OutputSerializer):
    kind = PackageKindField(read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True, allow_null=True,
                                       help_text="null：全店通用套系")
    stage_kinds = serializers.ListField(child=serializers.ChoiceField(choices=StageKind.choices),
                                        read_only=True, help_text="该套系订单经过的服务阶段，按顺序")

    class Meta:
        model = Package
        fields = ["id", "store", "store_name", "name", "kind", "price", "photos_count",
                  "album_photos", "extra_photo_price", "album", "outfits", "scenes",
                  "includes_gown_selection", "stage_kinds", "description", "is_active",
                  "created_at", "updated_at"]


# --- Input: shapes only; the services check the rules -----------------------------------------

class StageCompleteInputSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    extra_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                            required=False, allow_null=True)
    extra_note = serializers.CharField(max_length=200, allow_blank=True, default="")
    picked_up_by = serializers.CharField(max_length=64, allow_blank=True, default="")
    notes = serializers.CharField(allow_blank=True, default="")
    confirm = serializers.BooleanField(
        default=False, help_text="确认按实际更新档期：已预约的阶段提前完成或由他人完成时，"
                                 "未确认答复 409 booking_differs")


class StageScheduleInputSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class PaymentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.WECHAT)
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


# --- Input: the sale (orders.services order_create, order_change, order_cancel, order_approve) ---

def _consultants(user):
    return staff_users_in_scope(user, *Role.values)


def _consultant_field(**kwargs) -> VisiblePrimaryKeyField:
    return VisiblePrimaryKeyField(queryset=User.objects.all(), visible_to=_consultants,
                                  help_text="门市顾问：订单所在门店的在职员工", **kwargs)


class AddOnInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="加购项目，如 加册、相框")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))


class OrderCreateInputSerializer(serializers.Serializer):
    customer = VisiblePrimaryKeyField(queryset=Customer.objects.all(),
                                      visible_to=customers_visible_to,
                                      help_text="客户（在您的范围内）")
    package = VisiblePrimaryKeyField(queryset=Package.objects.all(),
                                     visible_to=packages_visible_to,
                                     help_text="在售的套系：客户所在门店自有的，或全店通用的")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO,
                                      required=False, allow_null=True,
                                      help_text="订单金额；不填为套系价格")
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO,
                                        default=ZERO,
                                        help_text="优惠；超过门店限额且您无审批权限时订单待店长审批")
    scene = serializers.CharField(max_length=100, allow_blank=True, default="")
    consultant = _consultant_field(required=False, allow_null=True)
    addons = AddOnInputSerializer(many=True, required=False, max_length=50)
    planned_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="预计首次到店（礼服挑选或拍摄）")
    notes = serializers.CharField(max_length=2000, allow_blank=True, default="")
    deposit = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO,
                                       required=False, allow_null=True,
                                       help_text="开单时收的定金（记入收款流水并开收据）")
    deposit_method = PaymentMethodField(default=PaymentMethod.WECHAT)


class OrderChangeInputSerializer(serializers.Serializer):
    """Only what is sent changes; each change is one OrderEvent."""

    package = VisiblePrimaryKeyField(queryset=Package.objects.all(),
                                     visible_to=packages_visible_to, required=False,
                                     help_text="换套系：金额随新套系价格（除非同时给出 amount），"
                                               "服务阶段随之调整")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO,
                                      required=False)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO,
                                        required=False)
    consultant = _consultant_field(required=False)
    scene = serializers.CharField(max_length=100, allow_blank=True, required=False)
    planned_on = serializers.DateField(required=False)
    notes = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    addons = AddOnInputSerializer(many=True, required=False, max_length=50,
                                  help_text="开单后加购的项目（追加，不替换已有的）")
    note = serializers.CharField(max_length=200, allow_blank=True, default="",
                                 help_text="修改说明，记入订单记录")


class OrderCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="取消原因")
    refund = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO,
                                      required=False, allow_null=True,
                                      help_text="退款金额：不超过已收款；记入收款流水并开收据")
    refund_method = PaymentMethodField(default=PaymentMethod.WECHAT)


class OrderApproveInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


# --- Input: packages ---------------------------------------------------------------------------

class PackageInputSerializer(serializers.ModelSerializer):
    """A new package. `store`: a store manager's is always their own store (naming another is a
    400); a general manager names the store, or none for a chain package (全店通用)."""

    store = serializers.IntegerField(required=False, allow_null=True,
                                     help_text="门店 ID；总经理不填为全店通用套系")
    kind = PackageKindField(default=PackageKind.WEDDING)

    class Meta:
        model = Package
        fields = ["store", "name", "kind", "price", "photos_count", "album_photos",
                  "extra_photo_price", "album", "outfits", "scenes", "includes_gown_selection",
                  "description", "is_active"]
        validators: list = []  # the name's uniqueness per store: Package.full_clean, by store


class PackageChangeInputSerializer(PackageInputSerializer):
    """What a PATCH may change (is_active=false: no longer sold); a package keeps its store."""

    kind = PackageKindField(required=False)

    class Meta(PackageInputSerializer.Meta):
        fields = [f for f in PackageInputSerializer.Meta.fields if f != "store"]
