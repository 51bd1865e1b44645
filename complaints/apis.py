"""API of complaints: the archive and one complaint with its history, registration, one endpoint
per step of the workflow, and the classification statistics.

Every queryset starts from complaints_visible_to(user), so out-of-scope ids answer 404. Each
step takes its permission and its input serializer from the step map (complaints.workflow): 403
without the permission (the service would say so too), then it calls its service;
studio.api.exception_handler turns their ValidationError into 400 and a step the complaint's
state does not allow (TransitionNotAllowed) into 409.
"""
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from staff.models import Store
from staff.scoping import scope_for, store_for
from studio.api_views import ObjectActionApi, ScopedDetailApi, ScopedListCreateApi
from studio.audit import audit_record
from studio.models import AuditAction
from studio.periods import PeriodForm

from .filters import ComplaintFilter
from .models import Complaint, ImprovementMeasure
from .selectors import complaint_page, complaints_list_for_archive, complaints_visible_to
from .serializers import (
    ComplaintDetailSerializer,
    ComplaintSerializer,
    ComplaintSolutionCreatedSerializer,
    ComplaintStatisticsSerializer,
)
from .services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_refuse,
    complaint_register,
)
from .statistics import complaint_statistics
from .workflow import COMPLAINT_STEPS

# --- The archive --------------------------------------------------------------------------------

# One FilterSet for the page, the export and this list: complaints.filters.ComplaintFilter.


def _register_store(user, *, customer: Customer | None, requested: Store | None) -> Store:
    """Where a complaint is registered: the customer's store, else the user's own; a general
    manager registering a new complainant names the store."""
    if customer is not None:
        if requested is not None and requested.pk != customer.store_id:
            raise ValidationError({"store": _("投诉人不是该门店的客户。")})
        return customer.store
    return store_for(user, requested, writing=True)


def _as_shown(user, complaint: Complaint, *, name: str = "", mobile: str = "") -> Complaint:
    """The complaint as the detail endpoint shows it (re-read with everything it joins)."""
    try:
        return complaint_page(user, complaint.pk)
    except Complaint.DoesNotExist:
        # A specialist who registers a complainant by name and mobile: a new customer is nobody's
        # yet, a known mobile may be another specialist's customer, so the complaint is out of
        # their scope from now on. They get what they registered in their own words, not that
        # customer's file (its name and specialist would answer "whose number is this?").
        complaint.customer = Customer(store=complaint.store, name=name, mobile=mobile)
        return complaint


class ComplaintListApi(ScopedListCreateApi):
    read_perm = "complaints.view_complaint"
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    # The selector joins customer, store, department, responsible staff and registrar.
    selector = complaints_list_for_archive
    summary = "投诉档案：按客户、类别、状态、责任部门、责任人、日期查询"
    step = COMPLAINT_STEPS["register"]
    output_serializer = ComplaintDetailSerializer
    create_summary = "登记投诉（《顾客投诉登记表》）：在您范围内的客户，或按姓名和手机号"

    def create(self, request: Request, data: dict) -> Complaint:
        customer = data.get("customer")
        store = _register_store(request.user, customer=customer, requested=data.get("store"))
        complaint = complaint_register(
            store=store, by=request.user, customer=customer, name=data["name"],
            mobile=data["mobile"], order=data.get("order"), channel=data["channel"],
            category=data["category"], severity=data["severity"], content=data["content"])
        return _as_shown(request.user, complaint, name=data["name"], mobile=data["mobile"])

    def output(self, complaint: Complaint) -> Complaint:
        return complaint  # create() re-read it: in the registrant's words if out of their scope


class ComplaintDetailApi(ScopedDetailApi):
    """One complaint with its history, solutions and penalties."""

    required_perm = "complaints.view_complaint"
    serializer_class = ComplaintDetailSerializer
    selector = complaints_visible_to  # for the schema; get_object reads

    def get_object(self) -> Complaint:
        try:
            complaint = complaint_page(self.request.user, self.kwargs["pk"])
        except Complaint.DoesNotExist:
            raise Http404 from None
        audit_record(request=self.request, action=AuditAction.VIEW_CUSTOMER,
                     obj=complaint.customer, detail={"complaint": complaint.reference})
        return complaint


# --- The steps ----------------------------------------------------------------------------------

class _ComplaintStepApi(ObjectActionApi):
    visible_to = complaints_visible_to
    lookup_url_kwarg = "complaint_id"
    output_serializer = ComplaintDetailSerializer

    def output(self, complaint: Complaint) -> Complaint:
        return _as_shown(self.request.user, complaint)


class ComplaintJudgeApi(_ComplaintStepApi):
    step = COMPLAINT_STEPS["judge"]
    summary = "判定：成立（交责任部门，约定调查完成时间）或不成立（解释后结案）"

    def act(self, request: Request, complaint: Complaint, data: dict) -> Complaint:
        return complaint_judge(
            complaint=complaint, by=request.user, valid=data["valid"], reason=data["reason"],
            explanation=data["explanation"], customer_understood=data["customer_understood"],
            department=data.get("department"), promised_at=data.get("promised_at"))


class ComplaintInvestigateApi(_ComplaintStepApi):
    step = COMPLAINT_STEPS["investigate"]
    summary = "调查：投诉原因与责任人"

    def act(self, request: Request, complaint: Complaint, data: dict) -> Complaint:
        return complaint_investigate(
            complaint=complaint, by=request.user, cause=data["cause"],
            responsible_staff=data.get("responsible_staff"), handled_by=data.get("handled_by"))


class ComplaintSolutionCreateApi(ObjectActionApi):
    visible_to = complaints_visible_to
    lookup_url_kwarg = "complaint_id"
    step = COMPLAINT_STEPS["propose"]
    output_serializer = ComplaintSolutionCreatedSerializer
    created = True
    summary = "提出一个处理方案（可提出多个，供主管选择）"

    def act(self, request: Request, complaint: Complaint, data: dict) -> dict:
        solution = complaint_propose(complaint=complaint, by=request.user, kind=data["kind"],
                                     description=data["description"], cost=data["cost"])
        return {"solution": solution, "complaint": complaint_page(request.user, complaint.pk)}


class ComplaintApproveApi(_ComplaintStepApi):
    step = COMPLAINT_STEPS["approve"]  # the supervisor only (L64)
    summary = "主管审批：选择最佳方案并填写意见"

    def act(self, request: Request, complaint: Complaint, data: dict) -> Complaint:
        return complaint_approve(complaint=complaint, by=request.user, solution=data["solution"],
                                 comment=data["comment"])


class ComplaintImplementApi(_ComplaintStepApi):
    step = COMPLAINT_STEPS["implement"]
    summary = "实施并结案：处罚、客户接受并签字、反馈；自动生成处理后回访"

    def act(self, request: Request, complaint: Complaint, data: dict) -> Complaint:
        return complaint_implement(
            complaint=complaint, by=request.user, accepted=data["accepted"],
            signature_data_url=data["signature"], feedback=data["feedback"],
            penalties=data["penalties"], notified_at=data.get("notified_at"))


class ComplaintRefuseApi(_ComplaintStepApi):
    step = COMPLAINT_STEPS["refuse"]
    summary = "客户不接受已批准方案：记录意见，退回主管另批方案"

    def act(self, request: Request, complaint: Complaint, data: dict) -> Complaint:
        return complaint_refuse(complaint=complaint, by=request.user, feedback=data["feedback"])


# --- Statistics ---------------------------------------------------------------------------------

class ComplaintStatisticsParamsSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="默认本月 1 日")
    end = serializers.DateField(required=False, help_text="默认今天")
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.all(), required=False,
        help_text="总经理可选（不填为全部门店）；其他角色只能是本门店（可省略）")


def _jsonable(value: Any) -> Any:
    """The statistics dict in JSON's terms: local ISO times, dates, amounts as exact strings."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # every Decimal there is yuan; a sum may come back as 300
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, Promise):
        return str(value)
    return value


@extend_schema(parameters=[ComplaintStatisticsParamsSerializer],
               responses=ComplaintStatisticsSerializer,
               summary="《顾客投诉分类统计表》：按类别、月份、责任部门、渠道、严重程度，各步骤用时，"
                       "重复投诉、补偿成本、处罚与改进对策")
class ComplaintStatisticsApi(APIView):
    required_perm = "complaints.view_complaint_statistics"

    def get(self, request: Request) -> Response:
        params = ComplaintStatisticsParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        # The period as the statistics page reads it (this month so far; reversed: swapped).
        start, end = PeriodForm(request.query_params).period_or_raise()
        # The same scope as the statistics page: a GM all stores or one; others their own.
        scope = scope_for(request.user)
        store = store_for(request.user, params.validated_data.get("store"), writing=False)
        complaints = complaints_visible_to(request.user)
        measures = scope.apply(ImprovementMeasure.objects.all(), store_field="store_id",
                               owner_field=None)
        if store is not None:
            complaints, measures = complaints.filter(store=store), measures.filter(store=store)
        stats = complaint_statistics(complaints=complaints, start=start, end=end,
                                     now=timezone.now(), measures=measures)
        stats["store"] = store.pk if store else None
        return Response(ComplaintStatisticsSerializer(_jsonable(stats)).data)
