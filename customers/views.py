"""Customer pages that need nothing above customers: the list (search, export, hand-over to a
specialist) and a note on a customer's file. The customer's file itself shows their orders and
lives with them (orders.views.customer_detail); the URL names stay in the `orders` namespace."""
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from staff.selectors import specialists_assignable_by
from studio.audit import client_ip
from studio.exports import export_list
from studio.pagination import paginate

from .exports import customer_list_filtered
from .forms import CustomerForm, MergeForm, NoteForm
from .models import Customer
from .selectors import (
    customer_as_shown,
    customer_merge_counts,
    customer_referrer_candidates,
    customers_merge_candidates,
    customers_visible_to,
    customers_with_mobile_elsewhere,
)


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    """Find a customer by name or mobile; the supervisor's view of who is unassigned."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "customers")
    customers = customer_list_filtered(request.user, request.GET)
    page = paginate(request, customers.select_related("assigned_to", "store"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/customer_list.html", {
        "page": page, "q": request.GET.get("q", "").strip(), "query": query.urlencode(),
        "reveal": request.user.has_perm("customers.view_full_mobile"),
        "specialists": specialists_assignable_by(request.user) if request.user.has_perm(
            "customers.assign_customer") else [],
    })


@login_required
@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def customer_note(request: HttpRequest, pk: int) -> HttpResponse:
    """A note on the customer's file. htmx (the customer page with JavaScript) gets the notes
    card back in place: the note added, or the form with why not (400); a plain POST the message
    and the customer page."""
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    form = NoteForm(request.POST)
    saved = form.is_valid() and bool(form.save(customer=customer, by=request.user))
    if request.htmx:
        return render(request, "customers/customer_notes.html", {
            "customer": customer, "notes": customer.notes_log.select_related("by")[:50],
            "note_form": NoteForm() if saved else form, "may_note": True,
            "done": _("备注已保存。") if saved else "",
        }, status=200 if saved else 400)
    if saved:
        messages.success(request, _("备注已保存。"))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("orders:customer", pk=customer.pk)


# ---- registering, editing and merging (issue 16) ----------------------------------------------

def _safe_next(request: HttpRequest) -> str:
    """The page to go back to (`next`: the sale page registering its customer), when it is a
    path of this site; else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _next_with_customer(target: str, customer: Customer) -> str:
    """`next` told which customer: ?customer=<id> added to its query string."""
    return f"{target}{'&' if '?' in target else '?'}{urlencode({'customer': customer.pk})}"


@login_required
@permission_required("customers.add_customer", raise_exception=True)
def customer_register(request: HttpRequest) -> HttpResponse:
    """登记客户: the store's new customer, then their file (or `next`, told the customer). A
    mobile the store has is refused with whose it is; one another store of the chain has is
    named (masked outside the user's scope) after saving, as a warning."""
    next_url = _safe_next(request)
    initial = {"request_key": uuid.uuid4().hex,
               **{name: request.GET[name][:64] for name in ("name", "mobile") if name in request.GET}}
    form = CustomerForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        customer = form.register(by=request.user, ip_address=client_ip(request))
        if customer is not None:
            messages.success(request, _("已登记客户 %(name)s。") % {"name": customer})
            for other in customers_with_mobile_elsewhere(request.user, store_id=customer.store_id,
                                                         mobile=customer.mobile):
                _warn_elsewhere(request, other)
            if next_url:
                return redirect(_next_with_customer(next_url, customer))
            return redirect("orders:customer", pk=customer.pk)
    taken = customer_as_shown(request.user, form.taken) if form.taken is not None else None
    return render(request, "customers/customer_form.html", {
        "form": form, "next": next_url, "taken": taken, "registering": True,
        "taken_next": _next_with_customer(next_url, form.taken) if taken and taken.pk
        and next_url else "",
    }, status=400 if form.errors else 200)


def _warn_elsewhere(request: HttpRequest, other) -> None:
    if other.pk is not None:
        text = format_html(_("该手机号在 {store} 也登记为 <a href=\"{url}\">{name}</a>，请确认是否同一人。"),
                           store=other.store_name, name=other.name,
                           url=reverse("orders:customer", args=[other.pk]))
    else:
        text = _("该手机号在 %(store)s 也登记为 %(name)s，请确认是否同一人。") % {
            "store": other.store_name, "name": other.name}
    messages.warning(request, text)


@login_required
@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """编辑客户资料: every change is one line of the file's 资料修改记录 (the audit log)."""
    customer = get_object_or_404(customers_visible_to(request.user).select_related(
        "store", "referrer"), pk=pk)
    form = CustomerForm(request.POST or None, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        saved = form.update(by=request.user, ip_address=client_ip(request))
        if saved is not None:
            messages.success(request, _("客户资料已保存。") if form.has_changed()
                             else _("没有修改任何资料。"))
            return redirect("orders:customer", pk=customer.pk)
    return render(request, "customers/customer_form.html", {
        "form": form, "customer": customer, "registering": False,
    }, status=400 if form.errors else 200)


@login_required
@require_GET
@permission_required("customers.view_customer", raise_exception=True)
def customer_referrers(request: HttpRequest) -> HttpResponse:
    """The referrer choices for what was typed (htmx, the register and edit forms)."""
    text = request.GET.get("referrer_q", "").strip()
    exclude = request.GET.get("customer", "")
    found = [c for c in customer_referrer_candidates(request.user, text)
             if not exclude.isdigit() or c.pk != int(exclude)]
    return render(request, "customers/_referrer_choices.html", {
        "choices": found, "searched": bool(text), "chosen": None,
        "reveal": request.user.has_perm("customers.view_full_mobile")})


@login_required
@permission_required("customers.merge_customer", raise_exception=True)
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """合并重复客户: find the other record of the same store (by mobile or name), see both side by
    side with what moves, then merge: everything of the other record comes to this one."""
    kept = get_object_or_404(customers_visible_to(request.user).select_related(
        "store", "assigned_to", "referrer"), pk=pk)
    chosen = request.POST.get("merged") or request.GET.get("merged") or ""
    form = MergeForm(request.POST or None, user=request.user, kept=kept,
                     initial={"merged": chosen})
    if request.method == "POST" and form.is_valid():
        merged = form.cleaned_data["merged"]
        if form.save(by=request.user, ip_address=client_ip(request)) is not None:
            messages.success(request, _("已把 %(merged)s（#%(pk)s）的记录合并到本客户。") % {
                "merged": merged, "pk": merged.pk})
            return redirect("orders:customer", pk=kept.pk)
    merged = None
    if chosen.isdigit():
        merged = form.fields["merged"].queryset.select_related(
            "store", "assigned_to", "referrer").filter(pk=int(chosen)).first()
    q = request.GET.get("q", "").strip()
    return render(request, "customers/customer_merge.html", {
        "kept": kept, "merged": merged, "form": form, "q": q,
        "found": customers_merge_candidates(request.user, kept, q) if merged is None else [],
        "kept_counts": customer_merge_counts(kept) if merged else [],
        "merged_counts": customer_merge_counts(merged) if merged else [],
        "reveal": request.user.has_perm("customers.view_full_mobile"),
        "unknown": bool(chosen) and merged is None,
    }, status=400 if form.errors or (chosen and merged is None) else 200)


def customer_merged_page(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The file of a record merged into another: a banner and the link to the record that
    holds everything now (if the user may see it), nothing else of it."""
    kept = customer.merged_into
    while kept is not None and kept.merged_into_id:  # one hop by design; a bound all the same
        kept = kept.merged_into
    shown = customer_as_shown(request.user, kept) if kept is not None else None
    return render(request, "customers/customer_merged.html", {"customer": customer,
                                                              "kept": shown})
