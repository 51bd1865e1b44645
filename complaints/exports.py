"""The complaint archive as the page filters it, and its Excel export (studio.exports)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.exports import ListExport, XlsxColumn, register_export

from .filters import ComplaintFilter
from .models import Complaint
from .selectors import complaints_list_for_archive


def complaint_archive_filtered(user, params: QueryDict) -> QuerySet[Complaint]:
    """The archive (L50 建立投诉归档资料) under the list's FilterSet (the API's too): customer,
    category, status (`open`, `ended`: closed either way, or one status), department, staff,
    store, date, validity and past the step's deadline (`overdue=yes`, open ones)."""
    return ComplaintFilter(params, queryset=complaints_list_for_archive(user), user=user).qs


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
