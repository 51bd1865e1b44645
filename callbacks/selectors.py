"""Reads of callbacks, always starting from what the user may see."""
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from customers.models import Customer
from membership.selectors import segment_customers
from staff.scoping import scope_for

from .models import OPEN_STATUSES, CallbackRecord, CallbackStatus, CallbackTask

LIST_VIEWS = ["today", "overdue", "open", "unassigned", "done", "all"]


def callbacks_visible_to(user) -> QuerySet[CallbackTask]:
    """A specialist sees the callbacks given to them; others their store's; a GM all."""
    return scope_for(user).apply(CallbackTask.objects.all(), store_field="store_id",
                                 owner_field="assigned_to_id")


def callback_records_visible_to(user) -> QuerySet[CallbackRecord]:
    """The calls of the callbacks the user sees (the record keeps its task's store)."""
    return scope_for(user).apply(CallbackRecord.objects.all(), store_field="store_id",
                                 owner_field="task__assigned_to_id")


def callbacks_list_for_task_list(user, *, view: str, now: datetime) -> QuerySet[CallbackTask]:
    tasks = (callbacks_visible_to(user)
             .select_related("customer", "stage__order__package", "assigned_to", "campaign",
                             "store"))
    today_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    return {
        "today": lambda: tasks.filter(status__in=OPEN_STATUSES, due_at__lte=today_end),
        "overdue": lambda: tasks.filter(Q(status=CallbackStatus.OVERDUE)
                                        | Q(status=CallbackStatus.PENDING, due_at__lt=now)),
        "open": lambda: tasks.filter(status__in=OPEN_STATUSES),
        "unassigned": lambda: tasks.filter(status__in=OPEN_STATUSES, assigned_to__isnull=True),
        "done": lambda: tasks.filter(status__in=[CallbackStatus.DONE, CallbackStatus.UNREACHABLE]),
        "all": lambda: tasks,
    }[view]().order_by("due_at", "pk")


def callback_counts(user, *, now: datetime) -> dict[str, int]:
    """The tab badges: one query."""
    today_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    return callbacks_visible_to(user).filter(status__in=OPEN_STATUSES).aggregate(
        today=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lte=today_end)),
        overdue=Count("pk", filter=Q(status=CallbackStatus.OVERDUE)
                      | Q(status=CallbackStatus.PENDING, due_at__lt=now)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        unassigned=Count("pk", filter=Q(status__in=OPEN_STATUSES, assigned_to__isnull=True)),
    )


def campaign_candidates(user, *, store_id: int, conditions: dict, now: datetime
                        ) -> QuerySet[Customer]:
    """Customers for a campaign: a membership segment's conditions (the one place they live)."""
    return segment_customers(user, store_id=store_id, conditions=conditions, now=now)
