"""Read-only pages composed from the other apps' selectors, and the monthly targets form."""
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from callbacks.selectors import callback_counts
from customers.selectors import customers_visible_to
from orders.models import OrderStatus, StageKind, StageStatus
from orders.selectors import followups_list_for_specialist, orders_visible_to, stages_visible_to
from staff.models import Department, Role, StaffMember, Store
from staff.scoping import scope_for, store_asked, store_for, stores_to_pick
from staff.targets import (
    month_start,
    next_month,
    previous_month,
    target_month_check,
    target_set,
    targets_for_month,
)
from studio.audit import client_ip
from studio.errors import DomainError
from studio.periods import month_parse

from .desk import desk_home_for_front_desk, desk_tables
from .selectors import (
    METRICS,
    UPSELL_STAGES,
    manager_dashboard,
    metric_labels,
    supervisor_dashboard,
    target_vs_actual,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: who I am, where I work, and what in my scope needs attention."""
    now = timezone.now()
    orders = orders_visible_to(request.user)
    # Each figure counts the rows of the list it links to (home.html): orders running are the
    # pickup list's open stages, orders owing the 定单 list's (every state but cancelled), late
    # services the late list; a specialist also sees their open follow-ups (逾期跟进).
    context = {
        "callbacks": callback_counts(request.user, now=now)
        if request.user.has_perm("callbacks.view_callbacktask") else None,
        "customers_count": customers_visible_to(request.user).count(),
        "active_orders_count": orders.filter(status=OrderStatus.ACTIVE).count(),
        "owing_orders_count": orders.exclude(status=OrderStatus.CANCELLED)
        .filter(balance_owed__gt=0).count(),
        "late_stages_count": stages_visible_to(request.user).filter(
            status=StageStatus.SCHEDULED, scheduled_at__lt=now,
            order__status=OrderStatus.ACTIVE).count(),
        "open_followups_count": followups_list_for_specialist(request.user).open().count()
        if scope_for(request.user).owner_id is not None else None,
    }
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.is_active and profile.role == Role.FRONT_DESK:
        # 门市工作台: the desk's lists for today come first, the figures after them.
        desk = desk_home_for_front_desk(request.user, store=profile.store, now=now)
        desk_tables(desk, user=request.user, now=now)
        context["desk"] = desk
    return render(request, "home.html", context)


# ---- the supervisor's and the manager's dashboards, and the monthly targets -----------------

def _store_of(request: HttpRequest) -> Store:
    """The store a dashboard is about: one's own; a general manager picks any (?store=)."""
    return store_for(request.user, request.GET.get("store"), writing=False, one_store=True)


def _month_of(request: HttpRequest, now) -> date:
    """?month=YYYY-MM, this month by default."""
    return month_parse(request.GET.get("month")) or month_start(timezone.localdate(now))


def _choices(request: HttpRequest, store: Store, month: date | None = None) -> dict:
    """The store picker (a general manager's) and the month navigation, with the query that
    keeps them in links."""
    scope = scope_for(request.user)
    # store_query keeps a general manager's choice in links; store_param narrows a list behind
    # a figure to the dashboard's store (a no-op for one who sees one store only).
    context = {"store": store,
               "stores": stores_to_pick(request.user),
               "store_query": f"store={store.pk}" if scope.all_stores else "",
               "store_param": f"store={store.pk}", "all_stores": scope.all_stores,
               "upsell_kinds": [(k, StageKind(k).label) for k in UPSELL_STAGES]}
    if month is not None:
        context |= {"month": month, "prev_month": previous_month(month),
                    "next_month": next_month(month), "month_value": f"{month:%Y-%m}"}
    return context


@login_required
@permission_required("staff.view_supervisor_dashboard", raise_exception=True)
def supervisor(request: HttpRequest) -> HttpResponse:
    """客服主管看板: what the customer-service team has to do today and how it is going."""
    store = _store_of(request)
    now = timezone.now()
    return render(request, "dashboards/supervisor.html", {
        "d": supervisor_dashboard(request.user, store=store, now=now), "now": now,
        "today": timezone.localdate(now), **_choices(request, store)})


@login_required
@permission_required("staff.view_manager_dashboard", raise_exception=True)
def manager(request: HttpRequest) -> HttpResponse:
    """店长经营看板: one month of one store."""
    store = _store_of(request)
    now = timezone.now()
    month = _month_of(request, now)
    return render(request, "dashboards/manager.html", {
        "d": manager_dashboard(request.user, store=store, month=month, now=now),
        **_choices(request, store, month)})


def _edit_state(user, month: date, now) -> tuple[str | None, list[str]]:
    """(why the month cannot be set, or None; the warnings if it can)."""
    try:
        return None, target_month_check(by=user, month=month, now=now)
    except DomainError as exc:
        return exc.message, []


@login_required
@permission_required("staff.view_monthlytarget", raise_exception=True)
def targets(request: HttpRequest) -> HttpResponse:
    """月度目标: the month's targets for the store, departments and people against the actuals."""
    store = _store_of(request)
    now = timezone.now()
    month = _month_of(request, now)
    may_edit = request.user.has_perms(["staff.add_monthlytarget", "staff.change_monthlytarget"])
    locked, warnings = _edit_state(request.user, month, now) if may_edit else (None, [])
    return render(request, "dashboards/targets.html", {
        "t": target_vs_actual(store, month, now=now), "may_edit": may_edit, "locked": locked,
        "warnings": warnings, **_choices(request, store, month)})


class TargetGridForm(forms.Form):
    """The month's targets as one grid: the store, each department, each person, four
    numbers a row. A row left untouched is not saved; a row cleared is set to 0."""

    def __init__(self, data=None, *, rows: list[dict], existing: dict) -> None:
        super().__init__(data)
        labels = metric_labels()
        self.rows = []
        for row in rows:
            target = existing.get(row["key"])
            names = {}
            for metric in METRICS:
                name = f"{row['key']}-{metric}"
                if metric == "orders":
                    field = forms.IntegerField(min_value=0, max_value=100000, required=False)
                else:
                    field = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2,
                                               required=False)
                field.label = f"{row['label']} · {labels[metric]}"
                field.initial = getattr(target, f"{metric}_target") if target else None
                field.widget.attrs.update({"class": "form-control form-control-sm text-end",
                                           "inputmode": "numeric" if metric == "orders"
                                           else "decimal", "aria-label": field.label})
                self.fields[name] = field
                names[metric] = name
            self.rows.append({**row, "target": target, "names": names})

    def grid(self) -> list[dict]:
        return [{**row, "fields": [self[name] for name in row["names"].values()]}
                for row in self.rows]

    def changed_rows(self) -> list[tuple[dict, dict]]:
        changed = set(self.changed_data)
        result = []
        for row in self.rows:
            if not changed & set(row["names"].values()):
                continue
            values = {f"{m}_target": self.cleaned_data[name] or 0 for m, name in row["names"].items()}
            result.append((row, values))
        return result


def _grid_rows(store: Store) -> list[dict]:
    """Store, departments, then the store's active people (a general manager is not one)."""
    rows = [{"key": "store", "label": _("全店"), "kind": "store", "department": None,
             "person": None}]
    rows += [{"key": f"d{d.pk}", "label": d.name, "kind": "department", "department": d,
              "person": None} for d in Department.objects.filter(store=store).order_by("kind")]
    members = (StaffMember.objects.active().filter(store=store)
               .exclude(role=Role.GENERAL_MANAGER).select_related("user", "department")
               .order_by(F("department__kind").asc(nulls_last=True), "role", "user__username"))
    rows += [{"key": f"p{m.user_id}", "label": m.user.display_name, "kind": "person",
              "note": f"{m.department.name if m.department else '-'} · {m.get_role_display()}",
              "department": None, "person": m.user} for m in members]
    return rows


@login_required
@permission_required(["staff.add_monthlytarget", "staff.change_monthlytarget"],
                     raise_exception=True)
def target_edit(request: HttpRequest) -> HttpResponse:
    """设定月度目标: the store manager hands the month's targets down to departments and people
    (L152, by the 25th of the month before)."""
    store = store_for(request.user, store_asked(request), writing=request.method == "POST",
                      one_store=True)
    now = timezone.now()
    month = _month_of(request, now)
    existing = {}
    for t in targets_for_month(store, month):
        key = f"p{t.person_id}" if t.person_id else f"d{t.department_id}" if t.department_id else "store"
        existing[key] = t
    form = TargetGridForm(request.POST if request.method == "POST" else None,
                          rows=_grid_rows(store), existing=existing)
    locked, warnings = _edit_state(request.user, month, now)
    back = reverse("dashboards:targets") + f"?month={month:%Y-%m}" + (
        f"&store={store.pk}" if scope_for(request.user).all_stores else "")
    if request.method == "POST" and locked is None and form.is_valid():
        try:
            with transaction.atomic():  # the whole grid or nothing
                results = [target_set(by=request.user, store=store, month=month,
                                      department=row["department"], person=row["person"],
                                      now=now, ip_address=client_ip(request), **values)
                           for row, values in form.changed_rows()]
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已保存 %(n)d 条目标。") % {"n": len(results)})
            for warning in dict.fromkeys(w for r in results for w in r.warnings):
                messages.warning(request, warning)
            return redirect(back)
    return render(request, "dashboards/target_edit.html", {
        "form": form, "grid": form.grid(), "locked": locked, "warnings": warnings,
        "labels": metric_labels(), "back": back, **_choices(request, store, month)})
