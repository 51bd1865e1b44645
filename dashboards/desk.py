"""The front desk's home (门市工作台, issue 17 item 15): what the desk has to do today, as lists.

Four sections, each read from the scoped selector of its rows (bookings_visible_to,
callbacks_visible_to, stages_visible_to) for the desk's own store, in local time:

* 今日预约 / 明日预约: the store's booked slots of the day (frontdesk.schedule), in time order;
* 待提醒: the eve-of-shoot/selection reminder calls (callbacks.reminders) not yet made, due
  today or late: exactly the callback list's 今日 + 逾期 tabs for purpose 拍摄/选片前一天提醒;
* 今日需回访的流失客户: the walk-out follow-up calls (callbacks.walkouts) due today or late,
  the same two tabs for purpose 走单跟进;
* 今日取件应收尾款: pickups scheduled today whose order still owes a balance, the pickup list
  filtered by owing=yes and today's date (state=all: one picked up unpaid is still owed).

A section holds its first DESK_ROWS rows and the count of all of them; each runs two queries
(the count and the rows, everything on a row joined in), whatever the number of rows.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callbacks.models import CallbackPurpose, CallbackStatus, CallbackTask, due_today_q, late_q
from callbacks.selectors import callbacks_visible_to
from frontdesk.models import Booking, BookingStatus, ProductionItem, ProductionStatus
from frontdesk.schedule import bookings_visible_to, day_bounds
from orders.models import OrderStage, StageKind
from orders.selectors import stages_visible_to
from staff.models import Store
from studio.tables import Row

DESK_ROWS = 20


@dataclass(frozen=True)
class Column:
    header: str


@dataclass(frozen=True)
class ListLink:
    """A full list the section's rows belong to: its label, address and how many it holds."""
    label: str
    href: str
    count: int | None = None


@dataclass
class DeskSection:
    key: str
    title: str
    empty: str
    count: int
    rows: list[Any]
    links: list[ListLink] = field(default_factory=list)
    total: Any = None  # a sum worth showing next to the count (the balances owed)
    columns: list[Column] = field(default_factory=list)
    table_rows: list[Row] = field(default_factory=list)

    @property
    def more(self) -> bool:
        """Only the first rows are shown: the full list has the rest."""
        return self.count > len(self.rows)


# --- the reads ----------------------------------------------------------------------------------

def _bookings_of_day(user, *, store: Store, on: date) -> QuerySet[Booking]:
    start, end = day_bounds(on)
    return (bookings_visible_to(user)
            .filter(store=store, status=BookingStatus.BOOKED, starts_at__gte=start,
                    starts_at__lt=end)
            .select_related("stage__order__customer", "stage__order__package", "photographer",
                            "makeup_artist")
            .order_by("starts_at", "pk"))


def _calls_due(user, *, store: Store, purpose: str, now: datetime,
               related: tuple[str, ...]) -> tuple[QuerySet[CallbackTask], dict[str, int]]:
    """The open calls of `purpose` due today or late (the list's 今日 and 逾期 tabs, disjoint)."""
    tasks = callbacks_visible_to(user).filter(store=store, purpose=purpose)
    counts = tasks.aggregate(today=Count("pk", filter=due_today_q(now)),
                             overdue=Count("pk", filter=late_q(now)))
    rows = (tasks.filter(due_today_q(now) | late_q(now))
            .select_related("customer", "assigned_to", *related).order_by("due_at", "pk"))
    return rows, counts


def _pickups_owing(user, *, store: Store, on: date) -> QuerySet[OrderStage]:
    start, end = day_bounds(on)
    ready = (ProductionItem.objects.filter(order_id=OuterRef("order_id"),
                                           status=ProductionStatus.QC_PASSED)
             .values("order_id").annotate(n=Count("pk")).values("n"))
    return (stages_visible_to(user)
            .filter(store=store, kind=StageKind.PICKUP, order_cancelled=False,
                    scheduled_at__gte=start, scheduled_at__lt=end, order__balance_owed__gt=0)
            .select_related("order__customer", "order__package")
            .annotate(ready_items=Coalesce(Subquery(ready, output_field=IntegerField()), 0))
            .order_by("scheduled_at", "pk"))


def _url(name: str, *args, **query) -> str:
    return reverse(name, args=args) + (f"?{urlencode(query)}" if query else "")


def desk_home_for_front_desk(user, *, store: Store, now: datetime) -> dict[str, DeskSection]:
    """The four sections of the desk's home, for the desk's store. Ten queries."""
    today = timezone.localdate(now)
    sections: dict[str, DeskSection] = {}
    for key, title, on in (("today", _("今日预约"), today),
                           ("tomorrow", _("明日预约"), today + timedelta(days=1))):
        bookings = _bookings_of_day(user, store=store, on=on)
        sections[key] = DeskSection(
            key=f"bookings-{key}", title=title, count=bookings.count(),
            rows=list(bookings[:DESK_ROWS]),
            empty=_("今天没有预约。") if key == "today" else _("明天没有预约。"),
            links=[ListLink(_("当日档期表"), _url("frontdesk:day_sheet", store=store.pk,
                                                 date=on.isoformat()))])

    for key, title, purpose, related, empty in (
            ("reminders", _("待提醒"), CallbackPurpose.REMINDER, ("stage__booking",),
             _("现在没有待提醒的客户（明天预约的提醒每晚生成）。")),
            ("walkouts", _("今日需回访的流失客户"), CallbackPurpose.WALKOUT, ("walkout",),
             _("今天没有需要回访的流失客户。"))):
        tasks, counts = _calls_due(user, store=store, purpose=purpose, now=now, related=related)
        sections[key] = DeskSection(
            key=key, title=title, empty=empty, count=counts["today"] + counts["overdue"],
            rows=list(tasks[:DESK_ROWS]),
            links=[ListLink(_("今日"), _url("callbacks:list", view="today", purpose=purpose),
                            counts["today"]),
                   ListLink(_("逾期"), _url("callbacks:list", view="overdue", purpose=purpose),
                            counts["overdue"])])

    pickups = _pickups_owing(user, store=store, on=today)
    totals = pickups.aggregate(n=Count("pk"), owed=Sum("order__balance_owed"))
    sections["pickups"] = DeskSection(
        key="pickups", title=_("今日取件应收尾款"), count=totals["n"], total=totals["owed"],
        rows=list(pickups[:DESK_ROWS]), empty=_("今天取件的客户都已付清。"),
        links=[ListLink(_("取件客户"), _url("orders:stage_list", StageKind.PICKUP, state="all",
                                           owing="yes", scheduled_from=today.isoformat(),
                                           scheduled_to=today.isoformat()), totals["n"])])
    return sections


# --- the tables (templates/components/table.html) ---------------------------------------------

def _columns(*headers) -> list[Column]:
    return [Column(str(h)) for h in headers]


def _mobile(customer, reveal: bool) -> str:
    return customer.mobile if reveal else customer.masked_mobile


def _actions(*links: tuple[str, str, str]) -> str:
    """Buttons of a row: (address, words, data-testid)."""
    return format_html('<span class="d-inline-flex gap-1">{}</span>', format_html_join(
        "", '<a class="btn btn-sm btn-outline-primary text-nowrap" href="{}" data-testid="{}">{}</a>',
        ((href, testid, words) for href, words, testid in links)))


def _late(task: CallbackTask, now: datetime) -> str:
    due = timezone.localtime(task.due_at).strftime("%m-%d %H:%M")
    if task.due_at < now or task.status == CallbackStatus.OVERDUE:
        return format_html('{} <span class="badge text-bg-danger">{}</span>', due, _("逾期"))
    return due


BOOKING_HEADERS = (gettext_lazy("时间"), gettext_lazy("客户"), gettext_lazy("手机号"),
                   gettext_lazy("服务"), gettext_lazy("摄影师"), gettext_lazy("化妆师"),
                   gettext_lazy("欠款"), gettext_lazy("操作"))


def desk_tables(sections: dict[str, DeskSection], *, user, now: datetime) -> None:
    """Fill each section's columns and rows for the table component: the first cell links to
    the row's own page, the last holds the row's actions."""
    reveal = user.has_perm("customers.view_full_mobile")
    home = reverse("home")  # a call made from here comes back here
    may_sell = user.has_perm("orders.add_order")
    may_pay = user.has_perm("orders.take_payment")
    for key in ("today", "tomorrow"):
        section = sections[key]
        section.columns = _columns(*BOOKING_HEADERS)
        for b in section.rows:
            order = b.stage.order
            customer = order.customer
            section.table_rows.append(Row([
                f"{timezone.localtime(b.starts_at):%H:%M}-{timezone.localtime(b.ends_at):%H:%M}",
                str(customer), _mobile(customer, reveal), b.stage.get_kind_display(),
                b.photographer.display_name if b.photographer else None,
                b.makeup_artist.display_name if b.makeup_artist else None,
                order.balance_owed if order.balance_owed > 0 else None,
                _actions((reverse("orders:customer", args=[customer.pk]), _("客户"), "customer"))],
                href=reverse("frontdesk:booking", args=[b.pk])))

    section = sections["reminders"]
    section.columns = _columns(_("客户"), _("手机号"), _("预约"), _("提醒期限"), _("负责人"),
                               _("操作"))
    for t in section.rows:
        booking = getattr(t.stage, "booking", None) if t.stage_id else None
        when = (f"{t.stage.get_kind_display()} "
                f"{timezone.localtime(booking.starts_at):%m-%d %H:%M}" if booking else t.service_label)
        section.table_rows.append(Row([
            str(t.customer), _mobile(t.customer, reveal), when, _late(t, now),
            t.assigned_to.display_name if t.assigned_to else _("未分配"),
            _actions((_url("callbacks:call", t.pk, next=home), _("提醒"), "remind"))],
            href=reverse("orders:customer", args=[t.customer_id])))

    section = sections["walkouts"]
    section.columns = _columns(_("客户"), _("手机号"), _("到店日期"), _("流失原因"),
                               _("回访期限"), _("操作"))
    for t in section.rows:
        walkout = t.walkout
        links = [(_url("callbacks:call", t.pk, next=home), _("记录回访"), "walkout-call")]
        if may_sell and walkout is not None:
            links.append((_url("frontdesk:order_create", walkout=walkout.pk),
                          _("客户回来了：开单"), "walkout-sale"))
        section.table_rows.append(Row([
            str(t.customer), _mobile(t.customer, reveal),
            timezone.localdate(walkout.visited_at) if walkout else None,
            walkout.get_reason_display() if walkout else None,
            format_html("{} · {}", _late(t, now), _("第 %(n)d 次") % {"n": t.sequence}),
            _actions(*links)],
            href=reverse("frontdesk:walkout", args=[walkout.pk]) if walkout
            else reverse("orders:customer", args=[t.customer_id])))

    section = sections["pickups"]
    section.columns = _columns(_("取件时间"), _("客户"), _("手机号"), _("套系"), _("产品"),
                               _("应收尾款"), _("操作"))
    for s in section.rows:
        order, customer = s.order, s.order.customer
        section.table_rows.append(Row([
            f"{timezone.localtime(s.scheduled_at):%H:%M}", str(customer),
            _mobile(customer, reveal), order.package.name,
            _("%(n)d 件已质检") % {"n": s.ready_items} if s.ready_items else None,
            order.balance_owed,
            _actions((reverse("orders:customer", args=[customer.pk]) + f"#order-{order.pk}",
                      _("登记收款"), "take-payment")) if may_pay else None],
            href=reverse("orders:customer", args=[customer.pk])))
