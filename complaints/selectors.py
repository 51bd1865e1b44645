"""Reads of complaints, always starting from what the user may see."""
from django.db.models import Prefetch, QuerySet

from callbacks.models import CallbackRecord
from callbacks.selectors import callbacks_visible_to
from staff.scoping import scope_for

from .models import Complaint, ComplaintEvent, ComplaintSolution


def complaints_visible_to(user) -> QuerySet[Complaint]:
    """A specialist sees complaints of the customers assigned to them; others their store's."""
    return scope_for(user).apply(Complaint.objects.all(), store_field="store_id",
                                 owner_field="customer__assigned_to_id")


def complaints_list_for_archive(user) -> QuerySet[Complaint]:
    return (complaints_visible_to(user)
            .select_related("customer", "store", "responsible_department", "responsible_staff",
                            "registered_by")
            .order_by("-received_at", "-pk"))


def complaint_page(user, pk: int) -> Complaint:
    """One complaint with its whole history, solutions and penalties (a fixed number of queries)."""
    return (complaints_visible_to(user)
            .select_related("customer__assigned_to", "store", "order__package",
                            "responsible_department", "responsible_staff", "handled_by",
                            "approved_by", "registered_by", "followup_task")
            .prefetch_related(
                Prefetch("events", queryset=ComplaintEvent.objects.select_related("by")),
                Prefetch("solutions", queryset=ComplaintSolution.objects.select_related(
                    "proposed_by")),
                "penalties__staff")
            .get(pk=pk))


def calls_to_complain(user) -> QuerySet[CallbackRecord]:
    """待转投诉: the calls marked 转投诉 (dissatisfied, or average and ticked) whose complaint is
    not registered yet, in the callbacks the user sees; oldest first, the people in one query."""
    return (CallbackRecord.objects
            .filter(task__in=callbacks_visible_to(user), wants_complaint=True,
                    complaint__isnull=True)
            .select_related("task__customer", "task__stage__order__package", "by")
            .order_by("called_at", "pk"))
