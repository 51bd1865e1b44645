"""Customer pages that need nothing above customers: the list (search, export, hand-over to a
specialist) and a note on a customer's file. The customer's file itself shows their orders and
lives with them (orders.views.customer_detail); the URL names stay in the `orders` namespace."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from staff.selectors import specialists_assignable_by
from studio.exports import export_list
from studio.pagination import paginate

from .exports import customer_list_filtered
from .forms import NoteForm
from .selectors import customers_visible_to


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
