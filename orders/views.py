"""The customer-service workspace: stage lists, the customer page, late services, assignment.

Every view starts from a `*_visible_to(user)` selector: what is out of the viewer's scope
answers 404; what their role may not do answers 403.
"""
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import views as customer_views
from customers.forms import NoteForm
from customers.models import Customer
from customers.selectors import customer_history, customers_visible_to
from customers.services import (
    SpecialistLoad,
    assignment_apply,
    assignment_propose,
    customers_assign,
)
from staff.scoping import store_asked, store_for, stores_to_pick
from staff.selectors import specialists_assignable_by
from studio.audit import audit_record
from studio.errors import DomainError
from studio.exports import export_list
from studio.models import AuditAction
from studio.pagination import paginate
from studio.tables import Row
from studio.workflow import Step

from .exports import stage_list_filtered
from .models import LateFollowUp, StageKind, StageStatus
from .selectors import (
    customer_page_orders,
    followups_list_for_specialist,
    late_stages_for_supervisor,
    orders_visible_to,
    specialist_loads,
    stage_rows_with_people,
)
from .services import followup_resolve
from .tables import STAGE_COLUMNS, RowContext, stage_rows
from .workflow import ORDER_PAYMENT, STAGE_STEPS


def _row_context(request: HttpRequest) -> RowContext:
    return RowContext(now=timezone.now(),
                      reveal_mobile=request.user.has_perm("customers.view_full_mobile"))


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def stage_list(request: HttpRequest, kind: str) -> HttpResponse:
    """Customers in one stage, filtered by what the seed lists for it (L18-L20)."""
    if kind not in StageKind.values:
        raise Http404
    if request.GET.get("export") == "xlsx":
        return export_list(request, f"stage_list:{kind}")
    stage_filter, stages = stage_list_filtered(request.user, kind, request.GET)
    ctx = _row_context(request)
    page = paginate(request, stages)
    query = request.GET.copy()
    query.pop("page", None)
    rows = list(stage_rows(stage_rows_with_people(list(page.object_list)), kind, ctx))
    return render(request, "orders/stage_list.html", {
        "kind": kind, "kind_label": StageKind(kind).label, "kinds": StageKind.choices,
        "filter": stage_filter, "page": page, "columns": STAGE_COLUMNS[kind], "rows": rows,
        "table_rows": [Row(values, reverse("orders:customer", args=[stage.order.customer_id]),
                           stage.order.customer_id) for stage, values in rows],
        "query": query.urlencode(),
        "specialists": specialists_assignable_by(request.user) if request.user.has_perm(
            "customers.assign_customer") else [],
    })


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's file: profile, orders with each stage as a timeline, payments, notes."""
    customer = get_object_or_404(
        customers_visible_to(request.user, include_merged=True).select_related(
            "assigned_to", "store", "referrer"), pk=pk)
    audit_record(request=request, action=AuditAction.VIEW_CUSTOMER, obj=customer)
    if customer.merged_into_id:  # a banner and the link to the record kept, nothing else
        return customer_views.customer_merged_page(request, customer)
    orders = list(customer_page_orders(customer))
    payment_key = uuid.uuid4().hex  # + the order's id: each card's one-time key
    for order in orders:
        _order_card_forms(order, payment_key=payment_key)
    user = request.user
    return render(request, "orders/customer_detail.html", {
        "customer": customer, "orders": orders, "now": timezone.now(),
        "notes": customer.notes_log.select_related("by")[:50],
        "note_form": NoteForm(),
        "assignments": customer.assignments.select_related("from_user", "to_user", "by")[:20],
        "reveal": user.has_perm("customers.view_full_mobile"),
        # The step map's: both stage steps need the same permission (orders.workflow).
        "may_record": STAGE_STEPS["complete"].permits(user),
        "may_pay": ORDER_PAYMENT.permits(user),
        "may_note": user.has_perm("customers.change_customer"),
        "history": customer_history(customer),
    })


ORDER_CARD_FORMS = {"complete": STAGE_STEPS["complete"], "schedule": STAGE_STEPS["schedule"],
                    "payment": ORDER_PAYMENT}


def _order_card_forms(order, *, payment_key: str, refused: tuple[str, Any] | None = None) -> None:
    """The forms of an order's card on the customer page (order.complete_form, .schedule_form,
    .payment_form): ids of their own (a card per order), the stage picker offering the stages not
    done with the current one chosen, the payment's one-time key. `refused` is (name, bound
    form): the form whose step was refused, shown with what was typed and its errors."""
    open_stages = [(s.kind, s.get_kind_display()) for s in order.stages.all()
                   if s.status != StageStatus.DONE]
    for name, step in ORDER_CARD_FORMS.items():
        if refused is not None and refused[0] == name:
            form = refused[1]
            form.auto_id = f"order-{order.pk}-{name}-%s"
        else:
            form = step.form_class(auto_id=f"order-{order.pk}-{name}-%s", initial={
                "kind": order.current_stage, "request_key": f"{payment_key}-{order.pk}"})
        if name != "payment":
            form.fields["kind"].choices = open_stages
        setattr(order, f"{name}_form", form)


def _order_action(request: HttpRequest, pk: int, step: Step, done: str):
    """A step of the order's workflow by its form: the step's permission (403), its form.
    htmx (the customer page with JavaScript) gets the order's card back in place; a plain POST
    the message and the customer page, at the order."""
    order = get_object_or_404(orders_visible_to(request.user), pk=pk)
    if not step.permits(request.user):
        raise PermissionDenied
    form = step.form_class(request.POST)
    valid = form.is_valid()
    saved = valid and bool(form.save(order=order, by=request.user))
    if request.htmx:  # 400: the form's own checks refused it; 409: the service did
        return _order_card(request, order, step, done=done if saved else "",
                           refused=None if saved else form,
                           status=200 if saved else 409 if valid else 400)
    if saved:
        messages.success(request, done)
    else:  # the refusal, in words, on the customer page
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}{':' if label else ''}{' '.join(errors)}")
    return redirect(reverse("orders:customer", args=[order.customer_id]) + f"#order-{order.pk}")


def _order_card(request: HttpRequest, order, step: Step, *, done: str, refused,
                status: int) -> HttpResponse:
    """The order's card of the customer page (its partial), read again as the page reads it: the
    step done with a line saying so, or the refused form with what was typed and its errors.
    A payment done also sends the membership card (out of band): the points it earned."""
    customer = order.customer
    card = customer_page_orders(customer).get(pk=order.pk)
    name = next(key for key, card_step in ORDER_CARD_FORMS.items() if card_step is step)
    _order_card_forms(card, payment_key=uuid.uuid4().hex,
                      refused=(name, refused) if refused is not None else None)
    context = {"customer": customer, "order": card, "done": done, "now": timezone.now(),
               "may_record": STAGE_STEPS["complete"].permits(request.user),
               "may_pay": ORDER_PAYMENT.permits(request.user)}
    html = render_to_string("orders/customer_detail.html#order_card", context, request)
    if step is ORDER_PAYMENT and done:
        html += render_to_string("orders/customer_detail.html#membership_summary",
                                 {**context, "oob": True}, request)
    return HttpResponse(html, status=status)


@login_required
@require_POST
def order_stage_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(request, pk, STAGE_STEPS["complete"], _("已登记完成。"))


@login_required
@require_POST
def order_stage_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(request, pk, STAGE_STEPS["schedule"], _("已保存预约。"))


@login_required
@require_POST
def order_payment(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(request, pk, ORDER_PAYMENT, _("已登记收款。"))


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def late_list(request: HttpRequest) -> HttpResponse:
    """Every service booked for a time that has passed and not done, with its follow-up."""
    stages = late_stages_for_supervisor(request.user, now=timezone.now())
    store = store_for(request.user, request.GET.get("store"), writing=False)
    if store is not None:  # a general manager's store (the dashboards' links)
        stages = stages.filter(store=store)
    page = paginate(request, stages)
    reveal = request.user.has_perm("customers.view_full_mobile")
    return render(request, "orders/late_list.html", {
        "page": page,
        "rows": [(s, s.order.customer.mobile if reveal else s.order.customer.masked_mobile)
                 for s in page.object_list],
    })


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def followup_list(request: HttpRequest) -> HttpResponse:
    followups = followups_list_for_specialist(request.user)
    if request.GET.get("all") != "1":
        followups = followups.open()
    # The dashboards link one specialist's (and a general manager's store's) open follow-ups.
    if request.GET.get("specialist", "").isdigit():
        followups = followups.filter(assigned_to_id=request.GET["specialist"])
    store = store_for(request.user, request.GET.get("store"), writing=False)
    if store is not None:
        followups = followups.filter(stage__store=store)
    return render(request, "orders/followup_list.html", {
        "page": paginate(request, followups), "show_all": request.GET.get("all") == "1"})


@login_required
@require_POST
def followup_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Record how a late follow-up went. htmx (the list with JavaScript) gets the row back in
    place: done, or the reason it was refused (400: no note; 409: no longer open); a plain POST
    the message and the list."""
    followups = LateFollowUp.objects.filter(
        stage__in=orders_visible_to(request.user).values("stages"))
    followup = get_object_or_404(followups, pk=pk)
    error, status = "", 200
    try:
        followup_resolve(followup=followup, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 400
    except DomainError as exc:
        error, status = exc.message, 409
    if request.htmx:
        row = followups.select_related("stage__order__customer", "assigned_to", "resolved_by")
        return render(request, "orders/followup_list.html#followup_row",
                      {"f": row.get(pk=pk), "error": error}, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("跟进结果已记录。"))
    return redirect("orders:followups")


PROPOSAL_LIMIT = 500  # customers per proposal: a page the supervisor can still review


@login_required
@permission_required("customers.assign_customer", raise_exception=True)
def assignment(request: HttpRequest) -> HttpResponse:
    """L20 资料处理: each specialist's load and skill; propose a balanced distribution of the
    unassigned customers, review and adjust it, apply it in one transaction."""
    store = store_for(request.user, store_asked(request), writing=request.method == "POST",
                      one_store=True)
    loads = list(specialist_loads(store.pk))
    unassigned = Customer.objects.filter(store=store, assigned_to__isnull=True,
                                         merged_into__isnull=True).order_by("pk")
    proposal_rows = []
    if request.method == "POST" and request.POST.get("action") == "apply":
        pairs = {}
        for key, value in request.POST.items():
            if key.startswith("c_") and key[2:].isdigit() and value.isdigit():
                pairs[int(key[2:])] = int(value)
        try:
            changed = assignment_apply(pairs=pairs, store_id=store.pk, by=request.user)
            messages.success(request, _("已分配 %(n)d 位客户。") % {"n": changed})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('orders:assignment')}?store={store.pk}")
    if request.method == "POST" and request.POST.get("action") == "propose":
        batch = list(unassigned.select_related("store")[:PROPOSAL_LIMIT])
        try:
            proposal = assignment_propose(
                loads=[SpecialistLoad(member=m, customers=m.customers_held) for m in loads],
                customer_ids=[c.pk for c in batch])
            chosen = {cid: uid for uid, cids in proposal.items() for cid in cids}
            proposal_rows = [(c, chosen[c.pk]) for c in batch]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(request, "orders/assignment.html", {
        "store": store, "loads": loads, "unassigned_count": unassigned.count(),
        "proposal_rows": proposal_rows, "stores": stores_to_pick(request.user),
        "proposal_counts": _proposal_counts(proposal_rows, loads),
    })


def _proposal_counts(rows, loads) -> list[tuple]:
    added: dict[int, int] = {}
    for _customer, user_id in rows:
        added[user_id] = added.get(user_id, 0) + 1
    return [(m, added.get(m.user_id, 0), m.customers_held + added.get(m.user_id, 0)) for m in loads]


@login_required
@require_POST
@permission_required("customers.assign_customer", raise_exception=True)
def reassign(request: HttpRequest) -> HttpResponse:
    """Give one or many customers to a specialist (from a list's check boxes)."""
    ids = [int(i) for i in request.POST.getlist("customer") if i.isdigit()]
    customers = list(customers_visible_to(request.user).filter(pk__in=ids))
    to = get_object_or_404(specialists_assignable_by(request.user), pk=request.POST.get("to") or 0)
    if not customers:
        messages.error(request, _("请先勾选客户。"))
    else:
        try:
            changed = customers_assign(customers=customers, to=to, by=request.user,
                                       reason=_("手动分配"))
            messages.success(request, _("已将 %(n)d 位客户转给 %(name)s。") % {
                "n": changed, "name": to.display_name})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = reverse("orders:customers")
    return redirect(next_url)
