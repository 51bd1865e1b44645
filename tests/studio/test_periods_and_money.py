"""The one period form (studio.periods) and the one money parser (studio.money)."""
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import QueryDict

from studio.money import money_parse
from studio.periods import PeriodForm, month_parse

TODAY = date(2025, 3, 17)


@pytest.fixture(autouse=True)
def _march_the_17th():
    with time_machine.travel("2025-03-17 10:00 +08:00", tick=False):
        yield


def _period(query: str, **kwargs) -> tuple[PeriodForm, tuple]:
    form = PeriodForm(QueryDict(query), **kwargs)
    return form, form.period()


# ---- the period --------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("", (date(2025, 3, 1), TODAY)),
    ("start=2025-02-01", (date(2025, 2, 1), TODAY)),
    ("end=2025-03-05", (date(2025, 3, 1), date(2025, 3, 5))),
    ("start=2025-01-01&end=2025-01-31", (date(2025, 1, 1), date(2025, 1, 31))),
    ("start=2025-01-31&end=2025-01-01", (date(2025, 1, 1), date(2025, 1, 31))),  # swapped
])
def test_a_period_left_out_is_this_month_so_far_and_a_reversed_one_is_swapped(query, expected):
    form, period = _period(query)
    assert form.is_valid() and period == expected


@pytest.mark.parametrize("query", ["start=昨天", "end=2025-13-45", "start=2025-02-30"])
def test_a_bound_that_is_not_a_date_is_an_error_and_the_period_is_this_month_so_far(query):
    form, period = _period(query)
    assert not form.is_valid() and period == (date(2025, 3, 1), TODAY)
    with pytest.raises(ValidationError) as excinfo:
        form.period_or_raise()
    assert set(excinfo.value.message_dict) == {query.split("=")[0]}


def test_a_report_that_caps_its_period_refuses_a_longer_one():
    form, _ = _period("start=2024-01-01&end=2025-01-01", max_days=366)
    assert form.errors == {"end": ["统计区间最长 366 天。"]}
    assert _period("start=2024-03-17&end=2025-03-16", max_days=366)[0].is_valid()


def test_a_list_leaves_a_bound_left_out_open():
    class ListForm(PeriodForm):
        open_ended = True

    assert ListForm(QueryDict("")).period() == (None, None)
    assert ListForm(QueryDict("end=2025-03-01")).period() == (None, date(2025, 3, 1))
    assert ListForm(QueryDict("start=2025-03-09&end=2025-03-01")).period() == (
        date(2025, 3, 1), date(2025, 3, 9))


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03", date(2025, 3, 1)), (" 2024-12 ", date(2024, 12, 1)), ("2025-13", None),
    ("2025-03-01", None), ("三月", None), ("", None), (None, None),
])
def test_a_month_is_its_first_day_or_none(text, expected):
    assert month_parse(text) == expected


# ---- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("1299.5", "1299.50"), ("¥1,299.50 元", "1299.50"), ("￥ 88", "88.00"), (" 0 ", "0.00"),
    (100, "100.00"), (Decimal("12.30"), "12.30"), ("-20", "-20.00"), ("1e2", "100.00"),
])
def test_an_amount_is_read_to_the_fen(value, expected):
    assert money_parse(value, field="amount") == Decimal(expected)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "-inf", "1.2.3", True, "1e999999"])
def test_what_is_not_an_amount_is_refused_on_its_field(value):
    with pytest.raises(ValidationError) as excinfo:
        money_parse(value, field="cost")
    assert excinfo.value.message_dict == {"cost": ["请输入有效的金额。"]}


def test_an_amount_finer_than_the_fen_is_refused_not_rounded():
    with pytest.raises(ValidationError) as excinfo:
        money_parse("12.345", field="amount")
    assert excinfo.value.message_dict == {"amount": ["金额最多两位小数（到分）。"]}


def test_a_blank_amount_is_the_callers_default_or_refused():
    assert money_parse("", field="amount", blank=Decimal("0.00")) == Decimal("0.00")
    assert money_parse(None, field="amount", blank=Decimal("0.00")) == Decimal("0.00")
    with pytest.raises(ValidationError) as excinfo:
        money_parse("  ", field="amount")
    assert excinfo.value.message_dict == {"amount": ["请输入金额。"]}


@pytest.mark.django_db
def test_every_service_reads_money_the_same_way(order, front_desk, manager, store):
    """Payments, targets and the import all refuse a sub-fen amount (they rounded before)."""
    from datetime import date as _date

    from imports.services import _amount
    from orders.services import payment_record
    from staff.targets import target_set

    with pytest.raises(ValidationError) as excinfo:
        payment_record(order=order, kind="deposit", amount="100.005", received_by=front_desk)
    assert excinfo.value.message_dict == {"amount": ["金额最多两位小数（到分）。"]}
    payment = payment_record(order=order, kind="deposit", amount="¥1,000", received_by=front_desk)
    assert payment.amount == Decimal("1000.00")
    with pytest.raises(ValidationError) as excinfo:
        target_set(by=manager, store=store, month=_date(2025, 4, 1), revenue_target="9.999")
    assert "revenue_target" in excinfo.value.message_dict
    assert _amount("１,２００.５０元") == Decimal("1200.50") and _amount("12.345") is None
