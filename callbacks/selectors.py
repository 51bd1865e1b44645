"""Reads of callbacks, always starting from what the user may see."""
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from customers.models import Customer
from membership.selectors import segment_customers
from staff.scoping import scope_for

from .models import (
    OPEN_STATUSES,
    CallbackRecord,
    CallbackStatus,
    CallbackTask,
    due_today_q,
    late_q,
)

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
    return {
        "today": lambda: tasks.filter(due_today_q(now)),
        "overdue": lambda: tasks.filter(late_q(now)),
        "open": lambda: tasks.filter(status__in=OPEN_STATUSES),
        "unassigned": lambda: tasks.filter(status__in=OPEN_STATUSES, assigned_to__isnull=True),
        "done": lambda: tasks.filter(status__in=[CallbackStatus.DONE, CallbackStatus.UNREACHABLE]),
        "all": lambda: tasks,
    }[view]().order_by("due_at", "pk")


def callback_counts(user, *, now: datetime) -> dict[str, int]:
    """The tab badges and the home page's figures: one query, each the rows of its list
    (today's and late are disjoint: a late task is not today's work twice)."""
    return callbacks_visible_to(user).filter(status__in=OPEN_STATUSES).aggregate(
        today=Count("pk", filter=due_today_q(now)),
        overdue=Count("pk", filter=late_q(now)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        unassigned=Count("pk", filter=Q(status__in=OPEN_STATUSES, assigned_to__isnull=True)),
    )


def campaign_candidates(user, *, store_id: int, conditions: dict, now: datetime
                        ) -> QuerySet[Customer]:
    """Customers for a campaign: a membership segment's conditions (the one place they live)."""
    return segment_customers(user, store_id=store_id, conditions=conditions, now=now)
