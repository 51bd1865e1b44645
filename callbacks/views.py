"""Callback pages: the specialist's list, the call page (script + record form), distribution,
scripts, campaigns and the summary report. Every view starts from callbacks_visible_to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from staff.models import Role
from staff.scoping import scope_for, store_asked, store_for, stores_to_pick
from staff.selectors import specialists_assignable_by, staff_users_in_scope
from studio.audit import audit_record
from studio.errors import DomainError
from studio.exports import export_list
from studio.models import AuditAction
from studio.pagination import paginate
from studio.periods import MAX_REPORT_DAYS, PeriodForm

from .exports import callback_list_filtered
from .forms import SCRIPT_FIELDS, CampaignForm, ScriptForm
from .models import CallbackPurpose, CallbackScript
from .quiet_hours import is_quiet
from .selectors import (
    callback_counts,
    callbacks_visible_to,
    campaign_candidates,
)
from .services import (
    callback_record,
    callback_send_sms,
    callbacks_assign,
    callbacks_balance,
    campaign_create,
    policy_for,
    script_latest,
    script_render,
    script_save,
)
from .summary import callback_summary_for, summary_xlsx
from .workflow import CALLBACK_STEPS


@login_required
@permission_required("callbacks.view_callbacktask", raise_exception=True)
def task_list(request: HttpRequest) -> HttpResponse:
    """今日回访： what is due today, overdue, open, unassigned or done."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "callback_tasks")
    now = timezone.now()
    filters, tasks = callback_list_filtered(request.user, request.GET, now=now)
    page = paginate(request, tasks)
    query = request.GET.copy()
    query.pop("page", None)
    user = request.user
    may_distribute = CALLBACK_STEPS["assign"].permits(user)
    return render(request, "callbacks/task_list.html", {
        "page": page, "view": filters.view, "counts": callback_counts(user, now=now),
        "purposes": CallbackPurpose.choices, "purpose": filters.purpose,
        "specialist": filters.specialist, "now": now, "query": query.urlencode(),
        "specialists": specialists_assignable_by(user) if may_distribute else [],
        # A general manager names the store whose unassigned callbacks are balanced.
        "stores": stores_to_pick(user) if may_distribute else [],
        "specialist_choices": staff_users_in_scope(user, Role.SPECIALIST)
        if user.has_perm("callbacks.view_callback_summary") else [],
    })


@login_required
@permission_required("callbacks.view_callbacktask", raise_exception=True)
def call_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The call: script with the customer's details filled in, answer buttons that open the
    matching branch, and the record form (《回访记录表》)."""
    task = get_object_or_404(callbacks_visible_to(request.user).select_related(
        "customer__assigned_to", "stage__order__package", "store", "assigned_to"), pk=pk)
    script = script_latest(task.purpose)
    now = timezone.now()
    form = CALLBACK_STEPS["record"].form_class(request.POST or None)
    if request.method == "POST":
        if not CALLBACK_STEPS["record"].permits(request.user):
            return HttpResponse(status=403)
        record = form.call(callback_record, task=task, by=request.user, script=script,
                           **form.cleaned_data) if form.is_valid() else None
        if record is not None:
            if record.wants_complaint and request.user.has_perm("complaints.add_complaint"):
                # 转投诉: the complaint form, filled in from the call (complaints' page).
                messages.success(request, _("回访记录已保存，请登记投诉。"))
                return redirect(f"{reverse('complaints:new')}?record={record.pk}")
            messages.success(request, _("回访记录已保存。"))
            # ?next=: back where the call was started from (the front desk's home), else the list.
            back = request.GET.get("next", "")
            if not (back.startswith("/") and url_has_allowed_host_and_scheme(
                    back, {request.get_host()}, require_https=request.is_secure())):
                back = reverse("callbacks:list")
            return redirect(back)
    policy = policy_for(task.store_id)
    return render(request, "callbacks/call.html", {
        "task": task, "customer": task.customer, "form": form,
        "script": script_render(script, task=task, specialist=request.user),
        "quiet_now": is_quiet(now, policy.quiet_periods), "policy": policy,
        "records": task.records.select_related("by").all(),
        "reveal": request.user.has_perm("customers.view_full_mobile"),
        # The call page's actions (record, SMS) as the step map offers them.
        "actions": {s.action: s for s in CALLBACK_STEPS.available(state=task.status,
                                                                   user=request.user)},
    }, status=400 if form.errors else 200)


@login_required
@require_POST
@permission_required("callbacks.add_callbackrecord", raise_exception=True)
def reveal_mobile(request: HttpRequest, pk: int) -> JsonResponse:
    """The number to dial, for the specialist making this call: a POST, and audited."""
    task = get_object_or_404(callbacks_visible_to(request.user).select_related("customer"), pk=pk)
    audit_record(request=request, action=AuditAction.REVEAL_MOBILE, obj=task.customer,
                 detail={"callback_task": task.pk})
    return JsonResponse({"mobile": task.customer.mobile})


@login_required
@require_POST
@permission_required(CALLBACK_STEPS["send_sms"].permission, raise_exception=True)
def send_sms(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(callbacks_visible_to(request.user).select_related("customer", "store",
                                                                               "stage"), pk=pk)
    try:
        callback_send_sms(task=task, template=request.POST.get("template", ""), by=request.user)
        messages.success(request, _("短信已放入发件箱。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:  # the task was closed meanwhile
        messages.error(request, exc.message)
    return redirect("callbacks:call", pk=task.pk)


@login_required
@require_POST
@permission_required(CALLBACK_STEPS["assign"].permission, raise_exception=True)
def distribute(request: HttpRequest) -> HttpResponse:
    """Give ticked callbacks to one specialist, or spread every unassigned one, balanced."""
    tasks = callbacks_visible_to(request.user)
    if request.POST.get("action") == "balance":
        try:  # a general manager names the store (?store=); nobody's tasks go to another store
            store = store_for(request.user, store_asked(request), writing=True)
            count = callbacks_balance(tasks=tasks, store=store, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(reverse("callbacks:list") + "?view=unassigned")
        if count:
            messages.success(request, _("已均衡分配 %(n)d 个回访任务。") % {"n": count})
        else:  # not a success: say why nothing moved
            messages.warning(request, _("%(store)s 没有未分配的回访。") % {"store": store.name})
    else:
        ids = [int(i) for i in request.POST.getlist("task") if i.isdigit()]
        to = get_object_or_404(specialists_assignable_by(request.user), pk=request.POST.get("to") or 0)
        changed = callbacks_assign(tasks=tasks.filter(pk__in=ids), to=to, by=request.user)
        names = {"n": changed, "name": to.display_name, "m": len(set(ids)) - changed}
        if not ids:
            messages.warning(request, _("请先勾选要交出的回访。"))
        elif names["m"] > 0:  # another store's, or no longer open: callbacks_assign skips them
            messages.warning(request, _("已将 %(n)d 个回访任务交给 %(name)s；另有 %(m)d 个不是 "
                                        "%(name)s 所在门店的或已不再待回访，没有交出。") % names)
        else:
            messages.success(request, _("已将 %(n)d 个回访任务交给 %(name)s。") % names)
    return redirect(reverse("callbacks:list") + "?view=unassigned")


@login_required
@permission_required("callbacks.view_callbackscript", raise_exception=True)
def scripts(request: HttpRequest) -> HttpResponse:
    latest = {}
    for script in CallbackScript.objects.order_by("purpose", "-version"):
        latest.setdefault(script.purpose, script)
    return render(request, "callbacks/scripts.html", {
        "scripts": [(p, label, latest.get(p)) for p, label in CallbackPurpose.choices]})


@login_required
@permission_required("callbacks.add_callbackscript", raise_exception=True)
def script_edit(request: HttpRequest, purpose: str) -> HttpResponse:
    """Edit a purpose's script: saving adds a version; earlier versions stay listed."""
    if purpose not in CallbackPurpose.values:
        return redirect("callbacks:scripts")
    current = script_latest(purpose)
    form = ScriptForm(request.POST or None, instance=current if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = script_save(purpose=purpose, by=request.user,
                                **{f: form.cleaned_data[f] for f in SCRIPT_FIELDS})
            messages.success(request, _("已保存为第 %(v)d 版。") % {"v": saved.version})
            return redirect("callbacks:scripts")
        except ValidationError as exc:
            form.add_error(None, exc)
    versions = CallbackScript.objects.filter(purpose=purpose).select_related("created_by")
    return render(request, "callbacks/script_edit.html", {
        "form": form, "purpose": CallbackPurpose(purpose), "versions": versions})


@login_required
@permission_required("callbacks.view_callbackcampaign", raise_exception=True)
def campaigns(request: HttpRequest) -> HttpResponse:
    """Batch callbacks (节日、店庆、促销、续卡、升级): pick customers by conditions, preview the
    count, create the tasks spread over the specialists."""
    store = store_for(request.user, store_asked(request), writing=request.method == "POST",
                      one_store=True)
    initial = {"segment": request.GET.get("segment")} if request.GET.get("segment") else None
    form = CampaignForm(request.POST or None, store=store, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if not request.user.has_perm("callbacks.add_callbackcampaign"):
            return HttpResponse(status=403)
        candidates = campaign_candidates(request.user, store_id=store.pk,
                                         conditions=form.conditions(), now=timezone.now())
        if request.POST.get("action") == "create":
            try:
                campaign = campaign_create(
                    name=form.cleaned_data["name"], purpose=form.cleaned_data["purpose"],
                    store=store, customers=candidates, by=request.user,
                    conditions=form.conditions())
                messages.success(request, _("已生成 %(n)d 个回访任务。") % {
                    "n": campaign.tasks_created})
                return redirect(f"{reverse('callbacks:campaigns')}?store={store.pk}")
            except ValidationError as exc:
                form.add_error(None, exc)
        preview = candidates.count()
    campaigns = (scope_for(request.user).apply(
        store.callback_campaigns.all(), store_field="store_id", owner_field=None)
        .select_related("created_by")[:50]) if not scope_for(request.user).owner_id else []
    return render(request, "callbacks/campaigns.html", {
        "form": form, "preview": preview, "store": store, "campaigns": campaigns,
        "stores": stores_to_pick(request.user)})


@login_required
@permission_required("callbacks.view_callback_summary", raise_exception=True)
def summary(request: HttpRequest) -> HttpResponse:
    """《回访总结报告》 for a period and store: a page with charts, and the Excel to file."""
    period = PeriodForm(request.GET, max_days=MAX_REPORT_DAYS)
    start, end = period.period()  # a bad date: the month so far, the form says why (400)
    store = store_for(request.user, request.GET.get("store"), writing=False)
    data = callback_summary_for(request.user, store=store, start=start, end=end,
                                now=timezone.now())
    if request.GET.get("export") == "xlsx" and not period.errors:
        if not request.user.has_perm("customers.export_customer"):
            raise PermissionDenied
        return summary_xlsx(request=request, summary=data,
                            store_name=store.name if store else _("全部门店"), start=start, end=end)
    query = request.GET.copy()
    query.pop("export", None)
    return render(request, "callbacks/summary.html", {
        "summary": data, "start": start, "end": end, "store": store, "query": query.urlencode(),
        "stores": stores_to_pick(request.user), "period_form": period},
        status=400 if period.errors else 200)


