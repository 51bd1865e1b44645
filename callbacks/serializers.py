"""API shapes of callback tasks, call records, scripts and campaigns; request bodies of the actions.

Output serializers only read; every write goes through callbacks.services, which decides.
"""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.serializers import MobileField
from staff.models import Store
from studio.serializers import OutputSerializer, name_of

from .forms import SCRIPT_FIELDS
from .models import (
    CallbackCampaign,
    CallbackPurpose,
    CallbackRecord,
    CallbackScript,
    CallbackStatus,
    CallbackTask,
    Channel,
    Satisfaction,
)

# Campaigns call customers for an occasion; post-service and complaint callbacks have their own
# triggers (as on the campaign page's form).
CAMPAIGN_PURPOSES = [p for p in CallbackPurpose.values
                     if p not in (CallbackPurpose.POST_SERVICE, CallbackPurpose.COMPLAINT)]




# Orders and stages have a `status` too: without a name of its own the schema's enum for a task's
# status would collide with theirs (ENUM_NAME_OVERRIDES would do the same from settings).
@extend_schema_field(serializers.ChoiceField(choices=CallbackStatus.choices),
                     component_name="CallbackStatusEnum")
class CallbackStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=CallbackStatus.choices, read_only=True, **kwargs)


# --- Output -------------------------------------------------------------------------------------

class CallbackRecordSerializer(OutputSerializer):
    """One call (《回访记录表》)."""

    by_name = name_of("by")
    script_version = serializers.IntegerField(source="script.version", read_only=True,
                                              allow_null=True)
    # Blank when the call did not reach the customer (a read-only model field drops allow_blank).
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True,
                                           read_only=True, label=_("满意度"))

    class Meta:
        model = CallbackRecord
        fields = ["id", "task", "called_at", "by", "by_name", "channel", "reached", "satisfaction",
                  "score", "comments", "suggestions", "next_appointment_at", "wants_complaint",
                  "script", "script_version"]


class CallbackTaskStateSerializer(OutputSerializer):
    """Where a task stands after a call: its status and (new) due time."""

    status = CallbackStatusField()

    class Meta:
        model = CallbackTask
        fields = ["id", "status", "due_at", "booked_at", "retry_at", "attempts", "completed_at"]


class CallbackRecordCreatedSerializer(serializers.Serializer):
    record = CallbackRecordSerializer(read_only=True)
    task = CallbackTaskStateSerializer(read_only=True)


class CallbackTaskSerializer(OutputSerializer):
    """A row of the callback list: whom to call, why, by when, and who calls."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_mobile = MobileField(source="customer.mobile")
    store_name = serializers.CharField(source="store.name", read_only=True)
    service = serializers.CharField(source="service_label", read_only=True)
    order = serializers.IntegerField(source="stage.order_id", read_only=True, allow_null=True)
    package = serializers.CharField(source="stage.order.package.name", read_only=True,
                                    allow_null=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True, allow_null=True)
    assigned_to_name = name_of("assigned_to")
    status = CallbackStatusField()

    class Meta:
        model = CallbackTask
        fields = ["id", "customer", "customer_name", "customer_mobile", "store", "store_name",
                  "purpose", "service", "stage", "order", "package", "campaign", "campaign_name",
                  "assigned_to", "assigned_to_name", "status", "triggered_at", "due_at",
                  "booked_at", "retry_at", "attempts", "completed_at", "escalated_at"]


class CallbackTaskDetailSerializer(CallbackTaskSerializer):
    records = CallbackRecordSerializer(many=True, read_only=True)


class CallbackScriptSerializer(OutputSerializer):
    created_by_name = name_of("created_by")

    class Meta:
        model = CallbackScript
        fields = ["id", "purpose", "version", *SCRIPT_FIELDS, "created_by", "created_by_name",
                  "created_at"]


class CallbackCampaignSerializer(OutputSerializer):
    store_name = serializers.CharField(source="store.name", read_only=True)
    created_by_name = name_of("created_by")

    class Meta:
        model = CallbackCampaign
        fields = ["id", "name", "purpose", "store", "store_name", "conditions", "tasks_created",
                  "created_by", "created_by_name", "created_at"]


# --- Input: shapes only; the services check the rules -----------------------------------------

class CallbackRecordInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    reached = serializers.BooleanField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True,
                                           default="")
    score = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    comments = serializers.CharField(allow_blank=True, default="")
    suggestions = serializers.CharField(allow_blank=True, default="")
    next_appointment_at = serializers.DateTimeField(required=False, allow_null=True)


class CallbackScriptInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=CallbackPurpose.choices)
    opening = serializers.CharField(allow_blank=True)
    question = serializers.CharField(allow_blank=True)
    satisfied_followup = serializers.CharField(allow_blank=True)
    unsatisfied_followup = serializers.CharField(allow_blank=True)
    satisfied_closing = serializers.CharField(allow_blank=True)
    unsatisfied_closing = serializers.CharField(allow_blank=True)


class CampaignConditionsSerializer(serializers.Serializer):
    """Which customers of the store (old-customer classification, as the campaign page)."""

    vip_only = serializers.BooleanField(default=False)
    min_spend = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                         required=False, allow_null=True)
    idle_days = serializers.IntegerField(min_value=1, max_value=3650, required=False,
                                         allow_null=True)
    wedding_month = serializers.IntegerField(min_value=1, max_value=12, required=False,
                                             allow_null=True)
    birthday_month = serializers.IntegerField(min_value=1, max_value=12, required=False,
                                              allow_null=True)

    def to_internal_value(self, data) -> dict:
        """Only the conditions set, stored as JSON (an amount as a string), as the page does."""
        values = super().to_internal_value(data)
        return {k: (str(v) if k == "min_spend" else v) for k, v in values.items()
                if v not in (None, False, "")}


class CallbackCampaignInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    # The full enum (one PurposeEnum in the schema); the occasions are checked below.
    purpose = serializers.ChoiceField(choices=CallbackPurpose.choices)
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="总经理必填；其他角色只能为本门店创建（可省略）")
    conditions = CampaignConditionsSerializer(required=False)

    def validate_purpose(self, value: str) -> str:
        if value not in CAMPAIGN_PURPOSES:
            raise serializers.ValidationError(_("请选择活动回访的用途。"))
        return value
