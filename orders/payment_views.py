"""收款记录: the payment ledger the manager's revenue figures add up, with its Excel export."""
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from staff.scoping import scope_for
from studio.exports import export_list
from studio.pagination import paginate

from .exports import PAYMENTS_PERMISSION, payment_list_filtered, payment_totals


@login_required
@permission_required(PAYMENTS_PERMISSION, raise_exception=True)
def payment_list(request: HttpRequest) -> HttpResponse:
    """Money received and refunded in the viewer's scope: by store, day, kind, method and
    门市顾问, with the total of everything the filters select (not only this page)."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "payments")
    form, payments = payment_list_filtered(request.user, request.GET)
    page = paginate(request, payments)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orders/payment_list.html", {
        "form": form, "page": page, "totals": payment_totals(payments),
        "query": query.urlencode(), "all_stores": scope_for(request.user).all_stores},
        status=400 if form.errors else 200)  # a store not one's to pick: the form says so
