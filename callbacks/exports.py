"""The callback list as the page filters it, and its Excel export (studio.exports)."""
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.scoping import store_for
from studio.exports import ListExport, XlsxColumn, register_export

from .models import CallbackPurpose, CallbackTask
from .selectors import LIST_VIEWS, callbacks_list_for_task_list


@dataclass(frozen=True)
class CallbackListFilters:
    view: str
    purpose: str
    specialist: int | None
    store: int | None = None
    unassigned: bool = False  # ?specialist=none: the tasks nobody holds


def callback_list_filtered(user, params: QueryDict, *, now: datetime
                           ) -> tuple[CallbackListFilters, QuerySet[CallbackTask]]:
    """The tab (today, overdue...), the purpose, the specialist (`none`: nobody) and the store;
    unknown values are ignored, but a store not one's to pick is refused (staff.scoping.store_for,
    400). The specialist and store filters narrow what the viewer already sees, so they cannot
    widen the scope."""
    view = params.get("view", "today")
    view = view if view in LIST_VIEWS else "today"
    tasks = callbacks_list_for_task_list(user, view=view, now=now)
    purpose = params.get("purpose", "")
    if purpose in CallbackPurpose.values:
        tasks = tasks.filter(purpose=purpose)
    else:
        purpose = ""
    specialist = params.get("specialist", "")
    specialist_id = int(specialist) if specialist.isdigit() else None
    if specialist_id is not None:
        tasks = tasks.filter(assigned_to_id=specialist_id)
    unassigned = specialist == "none"
    if unassigned:
        tasks = tasks.filter(assigned_to__isnull=True)
    store = store_for(user, params.get("store"), writing=False)
    if store is not None:
        tasks = tasks.filter(store=store)
    return CallbackListFilters(view, purpose, specialist_id, store.pk if store else None,
                               unassigned), tasks


@register_export("callback_tasks")
def export_callback_tasks(user, params: QueryDict) -> ListExport:
    if not user.has_perm("customers.export_customer"):
        raise PermissionDenied
    _filters, tasks = callback_list_filtered(user, params, now=timezone.now())
    reveal = user.has_perm("customers.view_full_mobile")
    columns = [XlsxColumn(h, w) for h, w in [
        (_("客户"), 14), (_("手机号"), 14), (_("用途"), 12), (_("服务"), 12), (_("回访期限"), 17),
        (_("状态"), 10), (_("已拨打"), 8), (_("负责客服"), 10), (_("完成时间"), 17)]]

    def row(t: CallbackTask) -> list:
        return [str(t.customer), t.customer.mobile if reveal else t.customer.masked_mobile,
                t.get_purpose_display(), t.service_label, t.due_at, t.get_status_display(),
                t.attempts, t.assigned_to.display_name if t.assigned_to else "", t.completed_at]

    return ListExport(filename=f"回访任务-{timezone.localdate():%Y%m%d}.xlsx", title=_("回访任务"),
                      columns=columns, queryset=tasks, row=row)
