"""Walk-outs (走单): recorded with the reason, followed up by three calls within a week, closed
when the prospect orders; and the daily visitors report with the reasons people left."""
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CallbackPolicy, CallbackPurpose, CallbackStatus, CallbackTask
from callbacks.quiet_hours import is_quiet, parse_periods
from callbacks.tasks import sweep_walkouts_task
from callbacks.walkouts import walkouts_sweep
from customers.models import ContactTime, Customer, SourceChannel
from frontdesk.models import WalkOut, WalkOutReason, WalkOutStatus
from frontdesk.production import (
    visitor_report,
    walkout_convert,
    walkout_record,
    walkouts_list_for_walkouts,
)
from orders.models import Order
from orders.services import order_cancel, order_create
from staff.models import Role
from studio.errors import DomainError
from tests.factories import CustomerFactory
from tests.xlsx import heading, table, workbook_of

pytestmark = pytest.mark.clock


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def visit_day():
    return timezone.localdate() - timedelta(days=2)


def _record(store, by, *, mobile="13912345678", visited_at=None, reason=WalkOutReason.PRICE,
            **kwargs) -> WalkOut:
    return walkout_record(store=store, by=by, name=kwargs.pop("name", "李四"), mobile=mobile,
                          title=kwargs.pop("title", "ms"), reason=reason,
                          reason_note=kwargs.pop("reason_note", ""),
                          visited_at=visited_at or timezone.now() - timedelta(hours=2))


# --- Recording -----------------------------------------------------------------------------------

def test_a_walkout_makes_a_walk_in_customer_assigned_to_nobody(store, front_desk):
    walkout = _record(store, front_desk, reason_note="预算有限")
    customer = walkout.customer
    assert (customer.store, customer.source, customer.assigned_to) == (
        store, SourceChannel.WALK_IN, None)
    assert (walkout.status, walkout.consultant, walkout.reason) == (
        WalkOutStatus.FOLLOWING, front_desk, WalkOutReason.PRICE)


def test_a_walkout_reuses_the_stores_customer_with_that_mobile(store, front_desk, customer,
                                                              specialist):
    walkout = _record(store, front_desk, mobile=customer.mobile, name="别的名字")
    assert walkout.customer == customer
    customer.refresh_from_db()
    assert customer.name == "张三" and customer.assigned_to == specialist
    assert Customer.objects.count() == 1


def test_the_same_mobile_in_another_store_is_another_customer(store, other_store, front_desk,
                                                              customer):
    walkout = _record(other_store, front_desk, mobile=customer.mobile)
    assert walkout.customer != customer and walkout.customer.store == other_store


@pytest.mark.parametrize("field, kwargs", [  # made when the test runs: the clock may be travelled
    ("mobile", lambda: {"mobile": "12345"}),
    ("reason", lambda: {"reason": "weather"}),
    ("reason_note", lambda: {"reason": WalkOutReason.OTHER}),
    ("visited_at", lambda: {"visited_at": timezone.now() + timedelta(days=1)}),
])
def test_a_walkout_with_bad_input_is_refused_and_nothing_is_saved(store, front_desk, field,
                                                                  kwargs):
    with pytest.raises(ValidationError) as err:
        _record(store, front_desk, **kwargs())
    assert field in err.value.message_dict
    assert not WalkOut.objects.exists() and not Customer.objects.exists()


def test_the_same_visit_is_not_recorded_twice(store, front_desk):
    _record(store, front_desk)
    with pytest.raises(DomainError):
        _record(store, front_desk)
    assert WalkOut.objects.count() == 1


# --- Follow-up calls -----------------------------------------------------------------------------

def test_three_calls_are_due_on_days_1_3_and_6_outside_quiet_hours(
        store, front_desk, visit_day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        walkout = _record(store, front_desk, visited_at=_local(visit_day, 15))
    tasks = list(CallbackTask.objects.filter(walkout=walkout).order_by("sequence"))
    assert [t.sequence for t in tasks] == [1, 2, 3]
    assert {t.purpose for t in tasks} == {CallbackPurpose.WALKOUT}
    assert [timezone.localdate(t.due_at) for t in tasks] == [
        visit_day + timedelta(days=n) for n in (1, 3, 6)]
    quiet = parse_periods(CallbackPolicy(store=store).quiet_hours)
    assert not any(is_quiet(t.due_at, quiet) for t in tasks)
    assert {(t.store_id, t.customer_id, t.assigned_to_id) for t in tasks} == {
        (store.pk, walkout.customer_id, front_desk.pk)}  # the consultant who received them


def test_calls_fall_in_the_customers_preferred_window(store, front_desk, visit_day,
                                                      django_capture_on_commit_callbacks):
    CustomerFactory(store=store, mobile="13912345678",
                    preferred_contact_time=ContactTime.MORNING)
    with django_capture_on_commit_callbacks(execute=True):
        walkout = _record(store, front_desk, visited_at=_local(visit_day, 15))
    hours = {timezone.localtime(t.due_at).hour for t in CallbackTask.objects.filter(walkout=walkout)}
    assert hours <= {9, 10, 11}


def test_the_sweep_creates_the_calls_a_lost_signal_missed(store, front_desk):
    walkout = _record(store, front_desk)  # the on-commit signal never runs here
    assert not CallbackTask.objects.exists()
    assert walkouts_sweep(now=timezone.now()) == 3
    assert CallbackTask.objects.filter(walkout=walkout).count() == 3
    assert walkouts_sweep(now=timezone.now()) == 0  # idempotent


def test_the_sweep_task_runs_the_sweep(store, front_desk):
    _record(store, front_desk)
    assert sweep_walkouts_task() == 3


# --- Conversion ----------------------------------------------------------------------------------

def test_an_order_after_the_visit_converts_the_walkout_and_cancels_open_calls(
        store, front_desk, package, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        walkout = _record(store, front_desk)
    first = CallbackTask.objects.get(walkout=walkout, sequence=1)
    CallbackTask.objects.filter(pk=first.pk).update(status=CallbackStatus.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(customer=walkout.customer, package=package, by=front_desk)
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.CONVERTED and walkout.converted_order == order
    assert walkout.closed_at is not None
    statuses = dict(CallbackTask.objects.filter(walkout=walkout).values_list("sequence", "status"))
    assert statuses == {1: CallbackStatus.DONE, 2: CallbackStatus.CANCELLED,
                        3: CallbackStatus.CANCELLED}


def test_the_sweep_converts_when_the_order_signal_was_missed(store, front_desk, package):
    walkout = _record(store, front_desk)
    walkouts_sweep(now=timezone.now())
    order = order_create(customer=walkout.customer, package=package, by=front_desk)
    walkouts_sweep(now=timezone.now())
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.CONVERTED and walkout.converted_order == order
    assert not CallbackTask.objects.open().filter(walkout=walkout).exists()


def test_an_order_from_before_the_visit_or_cancelled_does_not_convert(store, front_desk,
                                                                      package, customer):
    old = order_create(customer=customer, package=package, by=front_desk)
    walkout = _record(store, front_desk, mobile=customer.mobile)
    cancelled = order_create(customer=customer, package=package, by=front_desk)
    Order.objects.filter(pk=old.pk).update(created_at=walkout.visited_at - timedelta(days=30))
    order_cancel(order=cancelled, by=front_desk, reason="改期不拍了")
    walkouts_sweep(now=timezone.now())
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.FOLLOWING
    assert CallbackTask.objects.open().filter(walkout=walkout).count() == 3


def test_conversion_by_hand_needs_the_customers_order_after_the_visit(store, front_desk,
                                                                      package):
    walkout = _record(store, front_desk)
    someone_else = order_create(customer=CustomerFactory(store=store), package=package,
                                by=front_desk)
    with pytest.raises(ValidationError) as err:
        walkout_convert(walkout=walkout, by=front_desk, order=someone_else)
    assert "order" in err.value.message_dict


# --- Pages ---------------------------------------------------------------------------------------

def test_the_front_desk_records_a_walkout_on_the_page(client, front_desk,
                                                      django_capture_on_commit_callbacks):
    client.force_login(front_desk)
    visited = timezone.localtime() - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("frontdesk:walkout_new"), {
            "name": "王五", "title": "mr", "mobile": "13712345678", "reason": "style",
            "reason_note": "想要森系风格", "visited_at": visited.strftime("%Y-%m-%dT%H:%M")})
    walkout = WalkOut.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("frontdesk:walkout", args=[walkout.pk])
    html = client.get(response["Location"]).content.decode()
    assert "王五" in html and "想要森系风格" in html
    assert html.count("待回访") == 3  # the week's calls, listed on the walk-out


@pytest.mark.parametrize("data, message", [
    ({"mobile": "1234"}, "手机号"),
    ({"visited_at": "yesterday"}, "日期"),
    ({"reason": "bogus"}, "选择一个有效的选项"),
    ({"reason": "other", "reason_note": ""}, "请说明"),
])
def test_bad_walkout_input_is_a_form_error_not_a_500(client, front_desk, data, message):
    client.force_login(front_desk)
    visited = timezone.localtime() - timedelta(hours=1)
    response = client.post(reverse("frontdesk:walkout_new"), {
        "name": "王五", "title": "mr", "mobile": "13712345678", "reason": "price",
        "visited_at": visited.strftime("%Y-%m-%dT%H:%M"), **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WalkOut.objects.exists()


def test_marking_converted_picks_the_order_and_cancels_the_calls(
        client, store, front_desk, package, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        walkout = _record(store, front_desk)
    # The order exists but its conversion was not seen yet (no on-commit here).
    order = order_create(customer=walkout.customer, package=package, by=front_desk)
    client.force_login(front_desk)
    url = reverse("frontdesk:walkout", args=[walkout.pk])
    assert f'value="{order.pk}"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "convert", "order": order.pk})
    assert response.status_code == 302
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.CONVERTED and walkout.converted_order == order
    assert set(CallbackTask.objects.filter(walkout=walkout).values_list("status", flat=True)) == {
        CallbackStatus.CANCELLED}


def test_converting_with_a_foreign_order_is_a_form_error(client, store, front_desk, package):
    walkout = _record(store, front_desk)
    other = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
    client.force_login(front_desk)
    response = client.post(reverse("frontdesk:walkout", args=[walkout.pk]),
                           {"action": "convert", "order": other.pk})
    assert response.status_code == 400
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.FOLLOWING


def test_giving_up_a_walkout_closes_it_as_lost(client, store, front_desk,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        walkout = _record(store, front_desk)
    client.force_login(front_desk)
    url = reverse("frontdesk:walkout", args=[walkout.pk])
    assert client.post(url, {"action": "give_up", "note": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "give_up", "note": "已在别家拍"}).status_code == 302
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.LOST and "已在别家拍" in walkout.reason_note
    assert not CallbackTask.objects.open().filter(walkout=walkout).exists()
    assert client.post(url, {"action": "give_up", "note": "再来一次"}).status_code == 400


def test_another_stores_walkout_answers_404(client, store, front_desk, staff_of, other_store):
    walkout = _record(store, front_desk)
    client.force_login(staff_of(Role.FRONT_DESK, other_store, user__username="desk2").user)
    assert client.get(reverse("frontdesk:walkout", args=[walkout.pk])).status_code == 404
    assert client.post(reverse("frontdesk:walkout", args=[walkout.pk]),
                       {"action": "give_up", "note": "x"}).status_code == 404


def test_a_supervisor_reads_walkouts_but_does_not_record_them(client, store, front_desk,
                                                              supervisor):
    walkout = _record(store, front_desk)
    client.force_login(supervisor)
    assert client.get(reverse("frontdesk:walkouts")).status_code == 200
    assert client.get(reverse("frontdesk:walkout_new")).status_code == 403
    assert client.post(reverse("frontdesk:walkout", args=[walkout.pk]),
                       {"action": "give_up", "note": "x"}).status_code == 403


def test_a_specialist_has_no_walkout_pages(client, specialist):
    client.force_login(specialist)
    for name in ("walkouts", "walkout_new", "visitors"):
        assert client.get(reverse(f"frontdesk:{name}")).status_code == 403


def test_the_walkout_list_costs_one_query_at_any_size(store, front_desk,
                                                      django_assert_num_queries):
    for i in range(5):
        _record(store, front_desk, mobile=f"1391234567{i}")
    with django_assert_num_queries(1):
        rows = list(walkouts_list_for_walkouts(front_desk))
        [(w.customer.name, w.store.name, w.consultant.username, w.converted_order) for w in rows]
    assert len(rows) == 5


def test_the_walkout_list_filters_by_reason_and_mobile(client, store, front_desk, staff_of):
    _record(store, front_desk, reason=WalkOutReason.SCHEDULE)
    client.force_login(front_desk)
    url = reverse("frontdesk:walkouts")
    assert "13912345678" in client.get(url, {"reason": "schedule"}).content.decode()
    assert "13912345678" not in client.get(url, {"reason": "price"}).content.decode()
    assert "13912345678" in client.get(url, {"q": "5678"}).content.decode()
    manager = staff_of(Role.STORE_MANAGER, user__username="mgr").user
    client.force_login(manager)
    assert client.get(url, {"status": "nonsense", "page": "99"}).status_code == 200


# --- Visitors report -----------------------------------------------------------------------------

def test_daily_visitors_are_new_customers_orders_plus_walkouts(store, other_store, front_desk,
                                                                package, customer, visit_day):
    at = _local(visit_day, 11)
    first = order_create(customer=customer, package=package, by=front_desk)
    repeat = order_create(customer=customer, package=package, by=front_desk)  # not a new visitor
    newcomer = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
    Order.objects.filter(pk__in=[first.pk, newcomer.pk]).update(created_at=at)
    Order.objects.filter(pk=repeat.pk).update(created_at=at + timedelta(hours=2))
    _record(store, front_desk, visited_at=at, reason=WalkOutReason.PRICE)
    _record(store, front_desk, mobile="13900000001", visited_at=at, reason=WalkOutReason.PRICE)
    _record(store, front_desk, mobile="13900000002", visited_at=_local(visit_day + timedelta(days=1), 10),
            reason=WalkOutReason.STYLE)
    _record(other_store, front_desk, mobile="13900000003", visited_at=at)  # not in scope

    report = visitor_report(front_desk, start=visit_day, end=visit_day + timedelta(days=1))
    days = [(d.day, d.store, d.ordered, d.walked_out, d.visitors) for d in report.days]
    assert days == [(visit_day, store.name, 2, 2, 4),
                    (visit_day + timedelta(days=1), store.name, 0, 1, 1)]
    assert (report.visitors, report.order_rate) == (5, 40.0)
    reasons = {r.reason: (r.count, r.share) for r in report.reasons}
    assert reasons[WalkOutReason.PRICE] == (2, 66.7) and reasons[WalkOutReason.STYLE] == (1, 33.3)
    assert reasons[WalkOutReason.SERVICE] == (0, 0.0)


def test_the_visitors_report_exports_to_excel(client, store, front_desk, visit_day):
    _record(store, front_desk, visited_at=_local(visit_day, 11), reason=WalkOutReason.COMPARING)
    client.force_login(front_desk)
    response = client.get(reverse("frontdesk:visitors"), {
        "start": visit_day.isoformat(), "end": visit_day.isoformat(), "export": "xlsx"})
    assert response.status_code == 200
    book = workbook_of(response)
    assert [sheet.title for sheet in book.worksheets] == ["每日客流", "流失原因"]
    assert all(heading(sheet)[0] == "客流统计" for sheet in book.worksheets)
    days, reasons = ([[c for c in row if c is not None] for row in table(sheet)]
                     for sheet in book.worksheets)
    assert [store.name, 1, 0, 1, 0] in [row[1:] for row in days if row and isinstance(
        row[0], datetime)]
    assert ["还在比较", 1, 1.0, 0] in reasons  # 100%: a percentage, not the number 100


@pytest.mark.parametrize("params", [
    {"start": "2025-13-40"},
    {"start": "2020-01-01", "end": "2025-01-01"},
])
def test_a_bad_report_period_is_a_form_error_not_a_500(client, front_desk, params):
    client.force_login(front_desk)
    response = client.get(reverse("frontdesk:visitors"), params)
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()


def test_a_reversed_report_period_is_swapped(client, front_desk):
    # As every report reads a period (studio.periods.PeriodForm): the days between the two.
    client.force_login(front_desk)
    response = client.get(reverse("frontdesk:visitors"), {"start": "2025-03-10", "end": "2025-03-01"})
    assert response.status_code == 200
    assert (response.context["report"].start, response.context["report"].end) == (
        date(2025, 3, 1), date(2025, 3, 10))


def test_the_visitors_page_shows_the_lost_reasons(client, store, front_desk, visit_day):
    _record(store, front_desk, visited_at=_local(visit_day, 11), reason=WalkOutReason.SERVICE)
    client.force_login(front_desk)
    html = client.get(reverse("frontdesk:visitors"), {
        "start": visit_day.isoformat(), "end": visit_day.isoformat()}).content.decode()
    row = html.split('data-reason="service">', 1)[1].split("</tr>", 1)[0]
    assert row.startswith("<td>接待服务</td>")
    assert 'data-figure="reason-count" data-value="1"' in row  # linked to its 走单 rows


def test_a_general_manager_records_a_walkout_for_the_store_they_pick(client, general_manager,
                                                                     store, other_store):
    client.force_login(general_manager)
    assert 'name="store"' in client.get(reverse("frontdesk:walkout_new")).content.decode()
    visited = timezone.localtime() - timedelta(hours=1)
    response = client.post(reverse("frontdesk:walkout_new"), {
        "name": "赵六", "title": "ms", "mobile": "13612345678", "reason": "comparing",
        "visited_at": visited.strftime("%Y-%m-%dT%H:%M"), "store": other_store.pk})
    assert response.status_code == 302
    assert WalkOut.objects.get().store == other_store
    page = client.get(reverse("frontdesk:visitors"), {"store": other_store.pk})
    assert page.status_code == 200 and other_store.name in page.content.decode()


def test_the_front_desk_pages_open(client, front_desk, store):
    _record(store, front_desk)
    client.force_login(front_desk)
    for name in ("walkouts", "walkout_new", "visitors", "production", "late_production"):
        assert client.get(reverse(f"frontdesk:{name}")).status_code == 200, name
    # Someone who works in one store may name it; any other store is refused on the form.
    assert client.get(reverse("frontdesk:visitors"), {"store": store.pk}).status_code == 200
    response = client.get(reverse("frontdesk:visitors"), {"store": "999"})
    assert response.status_code == 400 and "只能选择您所在的门店" in response.content.decode()
