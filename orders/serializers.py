"""API shapes of customers, orders, their stages and payments; request bodies of the actions.

Output serializers only read; every write goes through orders.services, which decides.
"""
from decimal import Decimal

from rest_framework import serializers

from customers.serializers import CustomerRefSerializer, MobileField
from studio.serializers import OutputSerializer, name_of

from .models import Order, OrderStage, Payment, PaymentKind, PaymentMethod, StageKind

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


# --- Input: shapes only; the services check the rules -----------------------------------------

class StageCompleteInputSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    extra_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                            required=False, allow_null=True)
    extra_note = serializers.CharField(max_length=200, allow_blank=True, default="")
    picked_up_by = serializers.CharField(max_length=64, allow_blank=True, default="")
    notes = serializers.CharField(allow_blank=True, default="")


class StageScheduleInputSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class PaymentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.WECHAT)
    note = serializers.CharField(max_length=200, allow_blank=True, default="")
