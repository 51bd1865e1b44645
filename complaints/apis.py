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
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from staff.models import Store
from staff.scoping import scope_for, store_for
from studio.api import validated_body
from studio.audit import audit_record
from studio.models import AuditAction
from studio.periods import PeriodForm
from studio.permissions import ReadOrWritePerm

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


def _detail(request: Request, complaint: Complaint, *, name: str = "", mobile: str = "") -> dict:
    """The complaint as the detail endpoint shows it (re-read with everything it joins)."""
    try:
        complaint = complaint_page(request.user, complaint.pk)
    except Complaint.DoesNotExist:
        # A specialist who registers a complainant by name and mobile: a new customer is nobody's
        # yet, a known mobile may be another specialist's customer, so the complaint is out of
        # their scope from now on. They get what they registered in their own words, not that
        # customer's file (its name and specialist would answer "whose number is this?").
        complaint.customer = Customer(store=complaint.store, name=name, mobile=mobile)
    return ComplaintDetailSerializer(complaint, context={"request": request}).data


@extend_schema_view(
    get=extend_schema(summary="投诉档案：按客户、类别、状态、责任部门、责任人、日期查询"),
    post=extend_schema(request=COMPLAINT_STEPS["register"].serializer_class,
                       responses={201: ComplaintDetailSerializer},
                       summary="登记投诉（《顾客投诉登记表》）：在您范围内的客户，或按姓名和手机号"),
)
class ComplaintListApi(ReadOrWritePerm, generics.ListAPIView):
    read_perm = "complaints.view_complaint"
    write_perm = COMPLAINT_STEPS["register"].permission
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter

    def get_queryset(self) -> QuerySet[Complaint]:
        # The selector joins customer, store, department, responsible staff and registrar.
        return complaints_list_for_archive(self.request.user)

    def post(self, request: Request) -> Response:
        data = validated_body(COMPLAINT_STEPS["register"].serializer_class, request)
        customer = data.get("customer")
        store = _register_store(request.user, customer=customer, requested=data.get("store"))
        complaint = complaint_register(
            store=store, by=request.user, customer=customer, name=data["name"],
            mobile=data["mobile"], order=data.get("order"), channel=data["channel"],
            category=data["category"], severity=data["severity"], content=data["content"])
        return Response(_detail(request, complaint, name=data["name"], mobile=data["mobile"]),
                        status=status.HTTP_201_CREATED)


class ComplaintDetailApi(generics.RetrieveAPIView):
    """One complaint with its history, solutions and penalties."""

    required_perm = "complaints.view_complaint"
    serializer_class = ComplaintDetailSerializer

    def get_queryset(self) -> QuerySet[Complaint]:
        return complaints_visible_to(self.request.user)  # for the schema; get_object reads

    def get_object(self) -> Complaint:
        try:
            complaint = complaint_page(self.request.user, self.kwargs["pk"])
        except Complaint.DoesNotExist:
            raise Http404 from None
        audit_record(request=self.request, action=AuditAction.VIEW_CUSTOMER,
                     obj=complaint.customer, detail={"complaint": complaint.reference})
        return complaint


# --- The steps ----------------------------------------------------------------------------------

COMPLAINT_IN_PATH = OpenApiParameter("complaint_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _visible_complaint(request: Request, complaint_id: int) -> Complaint:
    return get_object_or_404(complaints_visible_to(request.user), pk=complaint_id)




class ComplaintJudgeApi(APIView):
    step = COMPLAINT_STEPS["judge"]
    required_perm = step.permission

    @extend_schema(parameters=[COMPLAINT_IN_PATH], request=step.serializer_class,
                   responses=ComplaintDetailSerializer,
                   summary="判定：成立（交责任部门，约定调查完成时间）或不成立（解释后结案）")
    def post(self, request: Request, complaint_id: int) -> Response:
        complaint = _visible_complaint(request, complaint_id)
        data = validated_body(self.step.serializer_class, request)
        complaint = complaint_judge(
            complaint=complaint, by=request.user, valid=data["valid"], reason=data["reason"],
            explanation=data["explanation"], customer_understood=data["customer_understood"],
            department=data.get("department"), promised_at=data.get("promised_at"))
        return Response(_detail(request, complaint))


class ComplaintInvestigateApi(APIView):
    step = COMPLAINT_STEPS["investigate"]
    required_perm = step.permission

    @extend_schema(parameters=[COMPLAINT_IN_PATH], request=step.serializer_class,
                   responses=ComplaintDetailSerializer, summary="调查：投诉原因与责任人")
    def post(self, request: Request, complaint_id: int) -> Response:
        complaint = _visible_complaint(request, complaint_id)
        data = validated_body(self.step.serializer_class, request)
        complaint = complaint_investigate(
            complaint=complaint, by=request.user, cause=data["cause"],
            responsible_staff=data.get("responsible_staff"), handled_by=data.get("handled_by"))
        return Response(_detail(request, complaint))


class ComplaintSolutionCreateApi(APIView):
    step = COMPLAINT_STEPS["propose"]
    required_perm = step.permission

    @extend_schema(parameters=[COMPLAINT_IN_PATH], request=step.serializer_class,
                   responses={201: ComplaintSolutionCreatedSerializer},
                   summary="提出一个处理方案（可提出多个，供主管选择）")
    def post(self, request: Request, complaint_id: int) -> Response:
        complaint = _visible_complaint(request, complaint_id)
        data = validated_body(self.step.serializer_class, request)
        solution = complaint_propose(complaint=complaint, by=request.user, kind=data["kind"],
                                     description=data["description"], cost=data["cost"])
        return Response(ComplaintSolutionCreatedSerializer(
            {"solution": solution, "complaint": complaint_page(request.user, complaint.pk)},
            context={"request": request}).data, status=status.HTTP_201_CREATED)


class ComplaintApproveApi(APIView):
    step = COMPLAINT_STEPS["approve"]
    required_perm = step.permission  # the supervisor only (L64)

    @extend_schema(parameters=[COMPLAINT_IN_PATH], request=step.serializer_class,
                   responses=ComplaintDetailSerializer, summary="主管审批：选择最佳方案并填写意见")
    def post(self, request: Request, complaint_id: int) -> Response:
        complaint = _visible_complaint(request, complaint_id)
        data = validated_body(self.step.serializer_class, request)
        complaint = complaint_approve(complaint=complaint, by=request.user,
                                      solution=data["solution"], comment=data["comment"])
        return Response(_detail(request, complaint))


class ComplaintImplementApi(APIView):
    step = COMPLAINT_STEPS["implement"]
    required_perm = step.permission

    @extend_schema(parameters=[COMPLAINT_IN_PATH], request=step.serializer_class,
                   responses=ComplaintDetailSerializer,
                   summary="实施并结案：处罚、客户接受并签字、反馈；自动生成处理后回访")
    def post(self, request: Request, complaint_id: int) -> Response:
        complaint = _visible_complaint(request, complaint_id)
        data = validated_body(self.step.serializer_class, request)
        complaint = complaint_implement(
            complaint=complaint, by=request.user, accepted=data["accepted"],
            signature_data_url=data["signature"], feedback=data["feedback"],
            penalties=data["penalties"], notified_at=data.get("notified_at"))
        return Response(_detail(request, complaint))


class ComplaintRefuseApi(APIView):
    step = COMPLAINT_STEPS["refuse"]
    required_perm = step.permission

    @extend_schema(parameters=[COMPLAINT_IN_PATH], request=step.serializer_class,
                   responses=ComplaintDetailSerializer,
                   summary="客户不接受已批准方案：记录意见，退回主管另批方案")
    def post(self, request: Request, complaint_id: int) -> Response:
        complaint = _visible_complaint(request, complaint_id)
        data = validated_body(self.step.serializer_class, request)
        complaint = complaint_refuse(complaint=complaint, by=request.user, feedback=data["feedback"])
        return Response(_detail(request, complaint))


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
