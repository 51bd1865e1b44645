"""Complaint pages: the archive, registration, one page per complaint with the form of its
next step, the public complaint page, and the classification statistics."""
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callbacks.models import CallbackRecord
from callbacks.selectors import callbacks_visible_to
from customers.selectors import customers_visible_to
from orders.selectors import orders_visible_to
from staff.models import Department
from staff.scoping import scope_for, store_asked, store_for, stores_to_pick
from studio.audit import audit_record, client_ip
from studio.errors import TransitionNotAllowed
from studio.exports import export_list
from studio.models import AuditAction
from studio.pagination import paginate
from studio.periods import PeriodForm, month_parse

from .exports import complaint_archive_filtered
from .forms import PublicComplaintForm, RegisterForm
from .models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    ImprovementMeasure,
)
from .selectors import calls_to_complain, complaint_page, complaints_visible_to
from .services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_refuse,
    complaint_register,
    improvement_save,
    responsible_department_for,
)
from .statistics import complaint_statistics, statistics_xlsx
from .workflow import COMPLAINT_STEPS

# Handling guidance shown beside the forms (seed L70-L82).
GUIDANCE = [
    _("不争论，不恶言，不动怒；不轻易承诺，不失言；不推卸责任；不提高说话音调。"),
    _("杜绝跟顾客说“不行、不知道、不可以”;不怀疑顾客的诚实品格。"),
    _("尊重顾客的人格，专心对待顾客，用心倾听，从顾客角度出发分析顾客的实际问题。"),
    _("请顾客参与共同选择最佳解决途径，尽量用补偿性方法调节与顾客的关系。"),
    _("投诉解决策略：渠道短、代价平、速度快。"),
]
PUBLIC_LIMIT_PER_IP_PER_HOUR = 5
PUBLIC_LIMIT_PER_MOBILE_PER_DAY = 3


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def archive(request: HttpRequest) -> HttpResponse:
    """The complaint archive (L50 建立投诉归档资料): search by customer, category, department,
    staff, status and date."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "complaints")
    complaints = complaint_archive_filtered(request.user, request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    scope = scope_for(request.user)
    departments = Department.objects.select_related("store")
    if not scope.all_stores:
        departments = departments.filter(store_id=scope.store_id)
    return render(request, "complaints/archive.html", {
        "page": paginate(request, complaints), "query": query.urlencode(), "now": timezone.now(),
        "categories": ComplaintCategory.choices, "statuses": ComplaintStatus.choices,
        "departments": departments, "get": request.GET,
    })


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
def register(request: HttpRequest) -> HttpResponse:
    """《顾客投诉登记表》： for a customer in scope (?customer=), or a new complainant."""
    customer = record = None
    initial = {"channel": request.GET.get("channel", ComplaintChannel.PHONE),
               "content": request.GET.get("content", "")[:2000]}
    order_id = request.POST.get("order", "")  # kept when the form comes back with its errors
    # 转投诉 from a call: ?record= (a recorded call) or ?task= (during the call) fills in the
    # customer, the order, the service and, from the record, what the customer said.
    record_id = request.GET.get("record") or request.POST.get("record")
    task_id = request.GET.get("task")
    if record_id or task_id:
        task, record = _complaint_source(request, record_id=record_id, task_id=task_id)
        customer = task.customer
        initial.update(channel=ComplaintChannel.CALLBACK, content=_said_on_the_call(task, record))
        if not order_id and task.stage_id:
            order_id = str(task.stage.order_id)
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if customer is None and customer_id:
        customer = get_object_or_404(customers_visible_to(request.user), pk=customer_id)
    store = customer.store if customer else store_for(
        request.user, store_asked(request), writing=request.method == "POST", one_store=True)
    form = RegisterForm(request.POST or None, initial=initial)
    orders = orders_visible_to(request.user).filter(customer=customer) if customer else []
    if request.method == "POST" and form.is_valid():
        order = None
        if customer and request.POST.get("order", "").isdigit():
            order = orders.filter(pk=request.POST["order"]).first()
        data = form.cleaned_data
        complaint = form.call(complaint_register, store=store, by=request.user, customer=customer,
                              name=data["name"], mobile=data["mobile"], title=data["title"],
                              order=order, callback_record=record,
                              channel=data["channel"], category=data["category"],
                              severity=data["severity"], content=data["content"])
        if complaint:
            messages.success(request, _("投诉已登记，编号 %(ref)s。") % {"ref": complaint.reference})
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/register.html", {
        "form": form, "customer": customer, "orders": orders, "guidance": GUIDANCE,
        "record": record,
        "order_id": int(order_id) if order_id.isdigit() else None,
        "store": store, "stores": [] if customer else stores_to_pick(request.user)},
        status=400 if form.errors else 200)


def _complaint_source(request: HttpRequest, *, record_id, task_id):
    """The callback (and its recorded call, if any) a complaint is registered from: one the user
    sees (404 otherwise); a call whose complaint is registered already is not offered again."""
    tasks = callbacks_visible_to(request.user).select_related(
        "customer__store", "stage__order__package")
    if record_id:
        record = get_object_or_404(CallbackRecord.objects.filter(task__in=tasks).select_related(
            "task__customer__store", "task__stage__order__package"), pk=record_id)
        if hasattr(record, "complaint"):
            raise Http404
        return record.task, record
    return get_object_or_404(tasks, pk=task_id), None


def _said_on_the_call(task, record) -> str:
    """The complaint's content to start from: the service called about and what was said."""
    service = task.service_label
    if task.stage_id and task.stage.completed_at:
        service += timezone.localtime(task.stage.completed_at).strftime("（%Y-%m-%d）")
    if record is None:
        return _("回访%(service)s时客户反映：") % {"service": service}
    said = "；".join(t for t in (record.comments, record.suggestions) if t)
    return (_("回访%(service)s时（%(at)s，%(satisfaction)s）客户反映：%(said)s") % {
        "service": service, "at": timezone.localtime(record.called_at).strftime("%Y-%m-%d %H:%M"),
        "satisfaction": record.get_satisfaction_display(), "said": said})[:2000]


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
def calls_to_register(request: HttpRequest) -> HttpResponse:
    """待转投诉: calls marked 转投诉 whose complaint is not registered yet (the supervisor's list;
    the supervisor dashboard's figure links here)."""
    calls = calls_to_complain(request.user)
    store = store_for(request.user, request.GET.get("store"), writing=False)
    if store is not None:  # a general manager's store (the supervisor dashboard's link)
        calls = calls.filter(task__store=store)
    page = paginate(request, calls)
    return render(request, "complaints/calls_to_register.html", {
        "page": page, "reveal": request.user.has_perm("customers.view_full_mobile")})


# What each step's form needs besides the posted data (the step map names the form).
FORM_KWARGS = {
    "judge": lambda c: {"store": c.store, "initial": {
        "department": responsible_department_for(c.store, c.category),
        "promised_at": timezone.localtime() + timedelta(days=2)}},
    "investigate": lambda c: {"store": c.store},
    "approve": lambda c: {"complaint": c},
    "implement": lambda c: {"store": c.store},
    # Its own ids: the implement form beside it has a "feedback" too.
    "refuse": lambda c: {"auto_id": "id_refuse_%s"},
}


def _step_forms(complaint: Complaint, user, data=None, *, posted: str | None = None) -> dict:
    """The forms of the steps the step map offers this user now (and only those); `data` goes
    to the form of the step `posted` alone: the others beside it stay unbound (not "required"
    on fields nobody sent)."""
    return {f"{step.action}_form": step.form_class(
        data if step.action == posted else None,
        **FORM_KWARGS.get(step.action, lambda c: {})(complaint))
        for step in COMPLAINT_STEPS.available(state=complaint.status, user=user)}


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        complaint = complaint_page(request.user, pk)
    except Complaint.DoesNotExist:
        raise Http404 from None
    audit_record(request=request, action=AuditAction.VIEW_CUSTOMER, obj=complaint.customer,
                 detail={"complaint": complaint.reference})
    return _render_detail(request, complaint, _step_forms(complaint, request.user))


def _render_detail(request, complaint, forms, status=200):
    # Steps the state allows but that are someone else's to take ("awaiting the supervisor").
    waiting = {step.action for step in COMPLAINT_STEPS.leaving(complaint.status)
               if not step.permits(request.user)}
    return render(request, "complaints/detail.html", {
        "complaint": complaint, "guidance": GUIDANCE, "now": timezone.now(), **forms,
        "waiting": waiting, "reveal": request.user.has_perm("customers.view_full_mobile")},
        status=status)


@login_required
@require_POST
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One step of the step map, by its form: 403 for the wrong role, 409 with a message for
    the wrong state (the service checks both again), 400 with the form's errors."""
    if name not in COMPLAINT_STEPS or COMPLAINT_STEPS[name].creates:
        raise Http404  # registering has its own page
    try:
        complaint = complaint_page(request.user, pk)
    except Complaint.DoesNotExist:
        raise Http404 from None
    try:
        COMPLAINT_STEPS.check(name, state=complaint.status, user=request.user)
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
        return _render_detail(request, complaint, _step_forms(complaint, request.user),
                              status=409)
    forms = _step_forms(complaint, request.user, request.POST, posted=name)
    form = forms[f"{name}_form"]
    if form.is_valid() and _run_step(name, form, complaint, request.user):
        messages.success(request, STEP_DONE[name])
        return redirect("complaints:detail", pk=complaint.pk)
    return _render_detail(request, complaint, forms, status=400)


STEP_DONE = {
    "judge": _("判定已保存。"), "investigate": _("调查结果已保存。"), "propose": _("方案已添加。"),
    "approve": _("方案已批准。"), "implement": _("已实施处理方案并结案，处理后回访已安排。"),
    "refuse": _("已记录客户不接受方案，请主管另批方案。"),
}


def _run_step(name: str, form, complaint: Complaint, user) -> object | None:
    data = form.cleaned_data
    if name == "judge":
        return form.call(complaint_judge, complaint=complaint, by=user, valid=data["valid"],
                         reason=data["reason"], explanation=data["explanation"],
                         customer_understood=data["customer_understood"] if not data["valid"]
                         else None, department=data["department"], promised_at=data["promised_at"])
    if name == "investigate":
        return form.call(complaint_investigate, complaint=complaint, by=user, cause=data["cause"],
                         responsible_staff=data["responsible_staff"], handled_by=data["handled_by"])
    if name == "propose":
        return form.call(complaint_propose, complaint=complaint, by=user, kind=data["kind"],
                         description=data["description"], cost=data["cost"])
    if name == "approve":
        return form.call(complaint_approve, complaint=complaint, by=user,
                         solution=data["solution"], comment=data["comment"])
    if name == "refuse":
        return form.call(complaint_refuse, complaint=complaint, by=user, feedback=data["feedback"])
    return form.call(complaint_implement, complaint=complaint, by=user,
                     accepted=data["accepted"], signature_data_url=data["signature"],
                     feedback=data["feedback"], penalties=form.penalties())


def public_complaint(request: HttpRequest) -> HttpResponse:
    """The customer's own complaint page: no login, plain text, rate-limited (L50)."""
    form = PublicComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:  # filled by a bot: pretend, store nothing
            return render(request, "complaints/public_done.html", {"reference": "TS-0"})
        ip = client_ip(request)
        now = timezone.now()
        recent = Complaint.objects.filter(channel=ComplaintChannel.PUBLIC_FORM)
        if (recent.filter(source_ip=ip, created_at__gte=now - timedelta(hours=1)).count()
                >= PUBLIC_LIMIT_PER_IP_PER_HOUR
                or recent.filter(customer__mobile=data["mobile"],
                                 created_at__gte=now - timedelta(days=1)).count()
                >= PUBLIC_LIMIT_PER_MOBILE_PER_DAY):
            form.add_error(None, _("提交太频繁，请稍后再试，或直接致电门店。"))
            return render(request, "complaints/public.html", {"form": form}, status=429)
        complaint = complaint_register(
            store=data["store"], by=None, channel=ComplaintChannel.PUBLIC_FORM,
            category=data["category"], content=data["content"], name=data["name"],
            mobile=data["mobile"], title=data["title"], source_ip=ip)
        return render(request, "complaints/public_done.html", {"reference": complaint.reference})
    return render(request, "complaints/public.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
@permission_required("complaints.view_complaint_statistics", raise_exception=True)
def statistics(request: HttpRequest) -> HttpResponse:
    """《顾客投诉分类统计表》 with the month's improvement measures (L68)."""
    period = PeriodForm(request.GET)
    start, end = period.period()  # a bad date: the month so far, the form says why (400)
    scope = scope_for(request.user)
    complaints = complaints_visible_to(request.user)
    measures = scope.apply(ImprovementMeasure.objects.all(), store_field="store_id",
                           owner_field=None)
    # Saving a measure writes for one store: a general manager must have picked it.
    store = store_for(request.user, store_asked(request), writing=request.method == "POST")
    if store:
        complaints, measures = complaints.filter(store=store), measures.filter(store=store)
    if request.method == "POST":
        month = month_parse(request.POST.get("month"))
        try:
            if month is None:
                raise ValueError
            improvement_save(store=store, month=month, text=request.POST.get("text", ""),
                             by=request.user)
            messages.success(request, _("改进对策已保存。"))
        except ValueError:
            messages.error(request, _("请选择月份。"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(f"{request.path}?{request.GET.urlencode()}")
    stats = complaint_statistics(complaints=complaints, start=start, end=end,
                                 now=timezone.now(), measures=measures)
    if request.GET.get("export") == "xlsx" and not period.errors:
        return statistics_xlsx(request=request, stats=stats,
                               store_name=store.name if store else _("全部门店"), start=start, end=end)
    query = request.GET.copy()
    query.pop("export", None)
    measure_month = end.replace(day=1)
    measure = measures.filter(month=measure_month).first()
    return render(request, "complaints/statistics.html", {
        "stats": stats, "start": start, "end": end, "store": store, "query": query.urlencode(),
        "stores": stores_to_pick(request.user), "period_form": period,
        "measure_month": measure_month, "measure_text": measure.text if measure else ""},
        status=400 if period.errors else 200)




@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def signature(request: HttpRequest, pk: int) -> FileResponse:
    """The customer's signature: personal data, served only within the viewer's scope."""
    complaint = get_object_or_404(complaints_visible_to(request.user).exclude(signature=""), pk=pk)
    return FileResponse(complaint.signature.open("rb"), content_type="image/png")
