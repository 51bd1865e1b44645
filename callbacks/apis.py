"""API of callbacks: the task list and a task with its calls, recording a call, scripts and
campaigns.

Every queryset starts from callbacks_visible_to(user) (campaigns from the user's store scope),
so out-of-scope ids answer 404. Recording a call takes its permission and input from the step map
(callbacks.workflow). The actions call callbacks.services; studio.api.exception_handler turns
their ValidationError into 400 and their DomainError into 409.
"""
import django_filters as filters
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from staff.filters import StoreFilter
from staff.models import Store
from staff.scoping import of_my_stores, store_for
from studio.api_views import ObjectActionApi, ScopedDetailApi, ScopedListCreateApi
from studio.filters import IdFilter
from studio.periods import MAX_REPORT_DAYS, PeriodForm

from .models import CallbackCampaign, CallbackPurpose, CallbackRecord, CallbackScript, CallbackTask
from .selectors import (
    LIST_VIEWS,
    callbacks_list_for_task_list,
    callbacks_visible_to,
    campaign_candidates,
)
from .serializers import (
    CallbackCampaignInputSerializer,
    CallbackCampaignSerializer,
    CallbackRecordCreatedSerializer,
    CallbackScriptInputSerializer,
    CallbackScriptSerializer,
    CallbackTaskDetailSerializer,
    CallbackTaskSerializer,
)
from .services import callback_record, campaign_create, script_latest, script_save
from .summary import callback_summary_for
from .workflow import CALLBACK_STEPS

# --- Callback tasks -----------------------------------------------------------------------------

class CallbackFilter(filters.FilterSet):
    purpose = filters.ChoiceFilter(choices=CallbackPurpose.choices)
    assigned_to = IdFilter(field_name="assigned_to_id")
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store

    class Meta:
        model = CallbackTask
        fields: list[str] = []


class CallbackListParamsSerializer(serializers.Serializer):
    view = serializers.ChoiceField(choices=LIST_VIEWS, default="today")


@extend_schema(parameters=[
    OpenApiParameter("view", enum=LIST_VIEWS, default="today",
                     description="列表：今日到期 / 逾期 / 未完成 / 未分配 / 已完成 / 全部"
                                 "（默认今日，与页面相同）"),
])
class CallbackListApi(generics.ListAPIView):
    """The callback list (今日回访), with the page's tabs as `view`."""

    required_perm = "callbacks.view_callbacktask"
    serializer_class = CallbackTaskSerializer
    filterset_class = CallbackFilter

    def get_queryset(self) -> QuerySet[CallbackTask]:
        params = CallbackListParamsSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        # The selector joins customer, stage, order, package, assignee, campaign and store.
        return callbacks_list_for_task_list(self.request.user, view=params.validated_data["view"],
                                            now=timezone.now())


def _tasks_with_calls(user) -> QuerySet[CallbackTask]:
    return (callbacks_visible_to(user)
            .select_related("customer", "stage__order__package", "assigned_to", "campaign", "store")
            .prefetch_related(Prefetch("records", queryset=CallbackRecord.objects
                                       .select_related("by", "script"))))


class CallbackDetailApi(ScopedDetailApi):
    """One callback task with its calls, newest first."""

    required_perm = "callbacks.view_callbacktask"
    serializer_class = CallbackTaskDetailSerializer
    selector = _tasks_with_calls


class CallbackRecordCreateApi(ObjectActionApi):
    visible_to = callbacks_visible_to
    lookup_url_kwarg = "task_id"
    step = CALLBACK_STEPS["record"]
    output_serializer = CallbackRecordCreatedSerializer
    created = True
    summary = "登记一次回访"

    def act(self, request: Request, task: CallbackTask, data: dict) -> dict:
        record = callback_record(task=task, by=request.user, script=script_latest(task.purpose),
                                 **data)
        # record.task is the row the service locked and moved on: its new status and due time.
        return {"record": record, "task": record.task}


# --- Scripts ------------------------------------------------------------------------------------

class ScriptFilter(filters.FilterSet):
    purpose = filters.ChoiceFilter(choices=CallbackPurpose.choices,
                                   help_text="给出用途时列出它的所有版本（新版在前）")

    class Meta:
        model = CallbackScript
        fields: list[str] = []


def _scripts(user) -> QuerySet[CallbackScript]:
    # Every version; scripts belong to no store: whoever may read them reads them all.
    return CallbackScript.objects.select_related("created_by").order_by("purpose", "-version")


class CallbackScriptListApi(ScopedListCreateApi):
    read_perm = "callbacks.view_callbackscript"
    write_perm = "callbacks.add_callbackscript"
    serializer_class = CallbackScriptSerializer
    filterset_class = ScriptFilter
    selector = _scripts
    summary = "回访话术：每种用途的最新版；带 purpose 时列出该用途的所有版本"
    input_serializer = CallbackScriptInputSerializer
    create_summary = "保存回访话术（新增一个版本）"

    def get_queryset(self) -> QuerySet[CallbackScript]:
        scripts = super().get_queryset()
        if self.request.query_params.get("purpose"):
            return scripts  # every version of that purpose (ScriptFilter narrows it)
        newest = (CallbackScript.objects.filter(purpose=OuterRef("purpose"))
                  .order_by("-version").values("version")[:1])
        return scripts.filter(version=Subquery(newest))

    def create(self, request: Request, data: dict) -> CallbackScript:
        return script_save(by=request.user, **data)


# --- Campaigns ----------------------------------------------------------------------------------

class CampaignFilter(filters.FilterSet):
    purpose = filters.ChoiceFilter(choices=CallbackPurpose.choices)
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store

    class Meta:
        model = CallbackCampaign
        fields: list[str] = []


class CallbackCampaignListApi(ScopedListCreateApi):
    read_perm = "callbacks.view_callbackcampaign"
    write_perm = "callbacks.add_callbackcampaign"
    serializer_class = CallbackCampaignSerializer
    filterset_class = CampaignFilter
    # By store only: a specialist sees none (and lacks the permission anyway).
    selector = of_my_stores(CallbackCampaign.objects.select_related("store", "created_by")
                            .order_by("-created_at", "-pk"))
    summary = "回访活动（按门店）"
    input_serializer = CallbackCampaignInputSerializer
    create_summary = "创建回访活动：按条件选客户，生成回访任务并分给客服"

    def create(self, request: Request, data: dict) -> CallbackCampaign:
        store = store_for(request.user, data.get("store"), writing=True)
        conditions = data.get("conditions", {})
        candidates = campaign_candidates(request.user, store_id=store.pk, conditions=conditions,
                                         now=timezone.now())
        return campaign_create(name=data["name"], purpose=data["purpose"], store=store,
                               customers=candidates, by=request.user, conditions=conditions)


# --- The summary report (《回访总结报告》) ----------------------------------------------------------

class SummaryParamsSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="默认本月 1 日")
    end = serializers.DateField(required=False, help_text="默认今天")
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.all(), required=False,
        help_text="总经理可选（不填为全部门店）；其他角色只能是本门店（可省略）")


class SatisfactionRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    answers = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    average = serializers.IntegerField()
    dissatisfied = serializers.IntegerField()
    satisfied_rate = serializers.FloatField(allow_null=True, help_text="满意率（%）")
    avg_score = serializers.FloatField(allow_null=True, help_text="平均评分（1-5）")


class SummaryTaskFiguresSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="期间触发的回访任务")
    cancelled = serializers.IntegerField()
    due = serializers.IntegerField(help_text="应回访（触发 - 取消）")
    completed = serializers.IntegerField()
    on_time = serializers.IntegerField(help_text="期限内完成")
    overdue = serializers.IntegerField()
    unreachable = serializers.IntegerField()
    open = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)


class MissedServiceSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    name = serializers.CharField()
    service = serializers.CharField()
    completed_on = serializers.DateField()


class MemberCoverageSerializer(serializers.Serializer):
    services = serializers.IntegerField(help_text="VIP 会员在期间接受的服务")
    services_covered = serializers.IntegerField(help_text="其中有回访的")
    members = serializers.IntegerField()
    members_covered = serializers.IntegerField()
    members_missed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="会员回访覆盖率（%）")
    missing = MissedServiceSerializer(many=True, help_text="没有回访的服务（最多列出若干条）")


class SuggestionSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer = serializers.CharField()
    called_on = serializers.DateField()
    specialist = serializers.CharField()
    service = serializers.CharField()
    text = serializers.CharField()


class TrendDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    answers = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    satisfied_rate = serializers.FloatField(allow_null=True)


class CallbackSummarySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    store = serializers.IntegerField(allow_null=True)
    tasks = SummaryTaskFiguresSerializer()
    satisfaction = SatisfactionRowSerializer()
    satisfaction_note = serializers.CharField(help_text="满意率的口径")
    by_stage = SatisfactionRowSerializer(many=True)
    by_specialist = SatisfactionRowSerializer(many=True)
    by_package = SatisfactionRowSerializer(many=True)
    coverage = MemberCoverageSerializer()
    suggestions = SuggestionSerializer(many=True)
    suggestions_total = serializers.IntegerField()
    trend = TrendDaySerializer(many=True)


@extend_schema(parameters=[SummaryParamsSerializer], responses=CallbackSummarySerializer,
               summary="《回访总结报告》：回访完成与及时率、满意度（按服务、客服、套系、每日）、"
                       "VIP 会员回访覆盖与遗漏、客户建议")
class CallbackSummaryApi(APIView):
    """The same report as /callbacks/summary/, for the same period, store and scope."""

    required_perm = "callbacks.view_callback_summary"

    def get(self, request: Request) -> Response:
        params = SummaryParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start, end = PeriodForm(request.query_params, max_days=MAX_REPORT_DAYS).period_or_raise()
        store = store_for(request.user, params.validated_data.get("store"), writing=False)
        data = callback_summary_for(request.user, store=store, start=start, end=end,
                                    now=timezone.now())
        data["store"] = store.pk if store else None
        return Response(CallbackSummarySerializer(data).data)
