"""The complaint archive as the page filters it, and its Excel export (studio.exports)."""
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.selectors import customers_search
from staff.scoping import store_for
from studio.exports import ListExport, XlsxColumn, register_export

from .models import Complaint, ComplaintCategory, ComplaintStatus
from .selectors import complaints_list_for_archive
from .statistics import CLOSED_STATUSES


def complaint_archive_filtered(user, params: QueryDict) -> QuerySet[Complaint]:
    """The archive (L50 建立投诉归档资料): customer, category, status (`open`, `ended`: closed
    either way, or one status), department, staff, store, date, validity and past the step's
    deadline (`overdue=yes`, open ones); unknown values are ignored."""
    complaints = customers_search(complaints_list_for_archive(user), params.get("q", ""),
                                  prefix="customer__")
    if params.get("category") in ComplaintCategory.values:
        complaints = complaints.filter(category=params["category"])
    if params.get("status") == "open":
        complaints = complaints.open()
    elif params.get("status") == "ended":
        complaints = complaints.filter(status__in=CLOSED_STATUSES)
    elif params.get("status") in ComplaintStatus.values:
        complaints = complaints.filter(status=params["status"])
    if params.get("department", "").isdigit():
        complaints = complaints.filter(responsible_department_id=params["department"])
    if params.get("staff", "").isdigit():
        complaints = complaints.filter(Q(responsible_staff_id=params["staff"])
                                       | Q(handled_by_id=params["staff"]))
    store = store_for(user, params.get("store"), writing=False)  # a bad or foreign one: 400
    if store is not None:  # narrows the viewer's scope, never widens it
        complaints = complaints.filter(store=store)
    if params.get("valid") in ("yes", "no"):
        complaints = complaints.filter(is_valid=params["valid"] == "yes")
    if params.get("overdue") == "yes":
        complaints = complaints.open().filter(step_due_at__lt=timezone.now())
    for key, lookup in (("start", "received_at__date__gte"), ("end", "received_at__date__lte")):
        try:
            complaints = complaints.filter(**{lookup: date.fromisoformat(params.get(key, ""))})
        except ValueError:
            pass
    return complaints


@register_export("complaints")
def export_complaints(user, params: QueryDict) -> ListExport:
    if not user.has_perm("complaints.view_complaint_statistics"):
        raise PermissionDenied
    columns = [XlsxColumn(h, w) for h, w in [
        (_("投诉编号"), 16), (_("投诉时间"), 17), (_("投诉人"), 12), (_("门店"), 14),
        (_("渠道"), 10), (_("类别"), 10), (_("严重程度"), 8), (_("状态"), 10),
        (_("责任部门"), 12), (_("责任人"), 10), (_("投诉内容"), 40)]]

    def row(c: Complaint) -> list:
        return [c.reference, c.received_at, str(c.customer), c.store.name, c.get_channel_display(),
                c.get_category_display(), c.get_severity_display(), c.get_status_display(),
                c.responsible_department.name if c.responsible_department else "",
                c.responsible_staff.display_name if c.responsible_staff else "", c.content]

    return ListExport(filename=f"投诉档案-{timezone.localdate():%Y%m%d}.xlsx", title=_("投诉档案"),
                      columns=columns, queryset=complaint_archive_filtered(user, params), row=row)
