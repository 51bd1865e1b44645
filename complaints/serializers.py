"""API shapes of complaints, their history, solutions and penalties; request bodies of the steps.

Output serializers only read; every write goes through complaints.services, which decides
(state, permission, store of the people and departments named).
"""
from decimal import Decimal

from rest_framework import serializers

from callbacks.serializers import CallbackStatusField
from customers.models import Customer
from customers.selectors import customers_visible_to
from customers.serializers import MobileField
from orders.models import Order
from orders.selectors import orders_visible_to
from staff.models import Department, Store, User
from studio.serializers import OutputSerializer, VisiblePrimaryKeyField, choice_field, name_of

from .models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPenalty,
    ComplaintSolution,
    ComplaintStatus,
    Severity,
    SolutionKind,
)

ComplaintStatusField = choice_field(ComplaintStatus)
ComplaintChannelField = choice_field(ComplaintChannel)
ComplaintCategoryField = choice_field(ComplaintCategory)
SeverityField = choice_field(Severity)
SolutionKindField = choice_field(SolutionKind)


# --- Output -------------------------------------------------------------------------------------

class ComplaintEventSerializer(OutputSerializer):
    """One line of the complaint's history: who did which step, when, and what they wrote."""

    by_name = name_of("by")

    class Meta:
        model = ComplaintEvent
        fields = ["id", "action", "before", "after", "by", "by_name", "at", "note"]


class ComplaintSolutionSerializer(OutputSerializer):
    kind = SolutionKindField(read_only=True)
    proposed_by_name = name_of("proposed_by")

    class Meta:
        model = ComplaintSolution
        fields = ["id", "complaint", "kind", "description", "cost", "proposed_by",
                  "proposed_by_name", "proposed_at", "is_approved"]


class ComplaintPenaltySerializer(OutputSerializer):
    staff_name = name_of("staff")

    class Meta:
        model = ComplaintPenalty
        fields = ["id", "staff", "staff_name", "is_department_head", "amount", "description",
                  "recorded_by", "recorded_at"]


class ComplaintSerializer(OutputSerializer):
    """A row of the complaint archive (reads only what complaints_list_for_archive joins)."""

    store_name = serializers.CharField(source="store.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_mobile = MobileField(source="customer.mobile")
    channel = ComplaintChannelField(read_only=True)
    category = ComplaintCategoryField(read_only=True)
    severity = SeverityField(read_only=True)
    status = ComplaintStatusField(read_only=True)
    responsible_department_name = serializers.CharField(source="responsible_department.name",
                                                        read_only=True, allow_null=True)
    responsible_staff_name = name_of("responsible_staff")
    registered_by_name = name_of("registered_by")

    class Meta:
        model = Complaint
        fields = ["id", "reference", "store", "store_name", "customer", "customer_name",
                  "customer_mobile", "order", "received_at", "channel", "category", "severity",
                  "content", "status", "is_valid", "responsible_department",
                  "responsible_department_name", "responsible_staff", "responsible_staff_name",
                  "handled_by", "registered_by", "registered_by_name", "step_due_at",
                  "escalation_level", "closed_at"]


class ComplaintDetailSerializer(ComplaintSerializer):
    """One complaint with every step's record, its history, solutions and penalties
    (reads only what complaints.selectors.complaint_page loads)."""

    customer_specialist_name = name_of("customer.assigned_to")
    order_package = serializers.CharField(source="order.package.name", read_only=True,
                                          allow_null=True)
    handled_by_name = name_of("handled_by")
    approved_by_name = name_of("approved_by")
    has_signature = serializers.SerializerMethodField()
    followup_status = CallbackStatusField(source="followup_task.status", allow_null=True)
    followup_due_at = serializers.DateTimeField(source="followup_task.due_at", read_only=True,
                                                allow_null=True)
    events = ComplaintEventSerializer(many=True, read_only=True)
    solutions = ComplaintSolutionSerializer(many=True, read_only=True)
    penalties = ComplaintPenaltySerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "customer_specialist_name", "order_package",
                  "source_ip", "judgement_reason", "explanation", "customer_understood",
                  "investigation_promised_at", "judged_at", "cause", "handled_by_name",
                  "investigated_at", "proposed_at", "approved_by", "approved_by_name",
                  "approval_comment", "approved_at", "customer_notified_at", "customer_accepted",
                  "has_signature", "signed_at", "customer_feedback", "followup_task",
                  "followup_status", "followup_due_at", "escalated_at", "created_at",
                  "events", "solutions", "penalties"]

    def get_has_signature(self, complaint: Complaint) -> bool:
        # The image itself is personal data, served by the signature page within scope.
        return bool(complaint.signature)


class ComplaintSolutionCreatedSerializer(serializers.Serializer):
    """The solution just proposed, and the complaint it now stands in."""

    solution = ComplaintSolutionSerializer(read_only=True)
    complaint = ComplaintDetailSerializer(read_only=True)


class ComplaintStatisticsSerializer(serializers.Serializer):
    """《顾客投诉分类统计表》: complaints.statistics.complaint_statistics, JSON-friendly (dates
    YYYY-MM-DD, times ISO 8601 in local time, amounts as strings of yuan)."""

    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    store = serializers.IntegerField(read_only=True, allow_null=True,
                                     help_text="统计的门店；null 为全部门店（总经理）")
    overall = serializers.DictField(read_only=True, help_text="总数、成立/不成立/未判定、处理中/"
                                    "已结案、超时与上报、成立率与结案率（%）")
    by_category = serializers.JSONField(read_only=True, help_text="类别×月份：months、rows、total")
    by_department = serializers.JSONField(read_only=True,
                                          help_text="成立的投诉，类别×责任部门：departments、rows、total")
    by_channel = serializers.ListField(child=serializers.DictField(), read_only=True)
    by_severity = serializers.ListField(child=serializers.DictField(), read_only=True)
    steps = serializers.ListField(child=serializers.DictField(), read_only=True,
                                  help_text="各步骤用时（小时）：count、avg_hours、max_hours")
    repeat_customers = serializers.ListField(child=serializers.DictField(), read_only=True)
    compensation = serializers.JSONField(read_only=True, help_text="已批准方案的成本，按方案类型")
    penalties = serializers.JSONField(read_only=True, help_text="处罚记录，按受罚人")
    measures = serializers.ListField(child=serializers.DictField(), read_only=True,
                                     help_text="期间内各月的改进对策")
    chart = serializers.JSONField(read_only=True, help_text="ECharts 用的序列")


# --- Input: shapes only; the services check the rules -----------------------------------------



class ComplaintRegisterInputSerializer(serializers.Serializer):
    customer = VisiblePrimaryKeyField(
        queryset=Customer.objects.all(), visible_to=customers_visible_to, required=False,
        allow_null=True, help_text="投诉人（在您的范围内的客户）；不填时按姓名和手机号登记新投诉人")
    name = serializers.CharField(max_length=64, allow_blank=True, default="")
    mobile = serializers.CharField(max_length=11, allow_blank=True, default="")
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="不填时为投诉人所在门店或您的门店；总经理登记新投诉人时必填")
    order = VisiblePrimaryKeyField(queryset=Order.objects.all(), visible_to=orders_visible_to,
                                   required=False, allow_null=True, help_text="相关订单（投诉人的）")
    channel = ComplaintChannelField()
    category = ComplaintCategoryField()
    severity = SeverityField(default=Severity.LOW)
    content = serializers.CharField(max_length=2000)


class ComplaintJudgeInputSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text="投诉是否成立")
    reason = serializers.CharField(allow_blank=True, help_text="判定理由")
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True,
        help_text="责任部门（成立时必填，本门店的）")
    promised_at = serializers.DateTimeField(required=False, allow_null=True,
                                            help_text="告诉客户的调查完成时间（成立时必填，晚于现在）")
    explanation = serializers.CharField(allow_blank=True, default="",
                                        help_text="对客户的解释（不成立时必填）")
    customer_understood = serializers.BooleanField(required=False, allow_null=True, default=None,
                                                   help_text="客户已谅解（不成立时）")


class ComplaintInvestigateInputSerializer(serializers.Serializer):
    cause = serializers.CharField(allow_blank=True, help_text="投诉原因")
    responsible_staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text="责任人（本门店员工）")
    handled_by = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True,
        help_text="处理人（本门店员工）；不填时为您本人")


class ComplaintProposeInputSerializer(serializers.Serializer):
    kind = SolutionKindField()
    description = serializers.CharField(allow_blank=True, help_text="方案内容")
    cost = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"),
                                    default=Decimal("0.00"), help_text="成本（元）")


class ComplaintApproveInputSerializer(serializers.Serializer):
    solution = serializers.PrimaryKeyRelatedField(queryset=ComplaintSolution.objects.all(),
                                                  help_text="选中的最佳方案（这条投诉的）")
    comment = serializers.CharField(allow_blank=True, help_text="审批意见")


class ComplaintPenaltyInputSerializer(serializers.Serializer):
    staff = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(),
                                               help_text="受罚人（本门店员工）")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"),
                                      default=Decimal("0.00"), help_text="罚款（元）")
    description = serializers.CharField(max_length=200, help_text="处罚说明")
    is_department_head = serializers.BooleanField(default=False, help_text="部门主管连带责任")


class ComplaintRefuseInputSerializer(serializers.Serializer):
    feedback = serializers.CharField(help_text="客户不接受已批准方案时的意见（必填）")


class ComplaintImplementInputSerializer(serializers.Serializer):
    accepted = serializers.BooleanField(help_text="客户已接受处理方案（否则不能结案）")
    signature = serializers.CharField(allow_blank=True,
                                      help_text="客户签字：PNG 的 data URL（data:image/png;base64,…）")
    feedback = serializers.CharField(allow_blank=True, default="", help_text="客户反馈")
    penalties = ComplaintPenaltyInputSerializer(many=True, required=False, default=list)
    notified_at = serializers.DateTimeField(required=False, allow_null=True,
                                            help_text="通知客户的时间；不填时为现在")
