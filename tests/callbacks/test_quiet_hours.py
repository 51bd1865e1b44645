"""Due times: within the deadline, never in quiet hours, in the preferred window (seed L30)."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from callbacks.models import CallbackPolicy
from callbacks.quiet_hours import Period, earliest_allowed_after, is_quiet, parse_periods
from callbacks.services import PREFERRED_WINDOWS, callback_due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = CallbackPolicy(due_days=3)
QUIET = POLICY.quiet_periods

trigger_times = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                             timezones=st.just(SHANGHAI))


def test_the_default_quiet_hours_are_noon_and_night():
    assert parse_periods(POLICY.quiet_hours) == [Period(time(12), time(14)), Period(time(21), time(9))]
    noon = datetime(2026, 11, 26, 12, 30, tzinfo=SHANGHAI)
    assert is_quiet(noon, QUIET)
    assert is_quiet(noon.replace(hour=23), QUIET) and is_quiet(noon.replace(hour=8, minute=59), QUIET)
    assert not is_quiet(noon.replace(hour=9), QUIET) and not is_quiet(noon.replace(hour=14), QUIET)


@settings(max_examples=300, deadline=None)
@given(triggered=trigger_times, contact=st.sampled_from(list(PREFERRED_WINDOWS)))
def test_a_due_time_is_never_in_quiet_hours_and_within_three_days(triggered, contact):
    due = callback_due_at(triggered_at=triggered, policy=POLICY, contact_time=contact)
    assert not is_quiet(due, QUIET)
    assert triggered < due <= triggered + timedelta(days=3)


@settings(max_examples=200, deadline=None)
@given(triggered=trigger_times, contact=st.sampled_from(["morning", "afternoon", "evening"]))
def test_a_due_time_falls_in_the_customers_preferred_window(triggered, contact):
    due = callback_due_at(triggered_at=triggered, policy=POLICY, contact_time=contact)
    assert PREFERRED_WINDOWS[contact].contains(due.astimezone(SHANGHAI).time())


def test_a_service_ending_at_night_is_due_before_the_third_evening_quiet_hours():
    triggered = datetime(2026, 11, 26, 22, 30, tzinfo=SHANGHAI)
    due = callback_due_at(triggered_at=triggered, policy=POLICY)
    assert due == datetime(2026, 11, 29, 20, 59, tzinfo=SHANGHAI)


@given(start=trigger_times)
def test_a_retry_is_never_scheduled_in_quiet_hours(start):
    moment = earliest_allowed_after(start, quiet=QUIET)
    assert not is_quiet(moment, QUIET) and moment >= start  # never before the interval is over
    assert moment.second == moment.microsecond == 0


def test_a_retry_outside_quiet_hours_is_rounded_up_to_the_next_minute():
    start = datetime(2026, 11, 27, 9, 26, 15, tzinfo=SHANGHAI)
    assert earliest_allowed_after(start, quiet=QUIET) == datetime(2026, 11, 27, 9, 27, tzinfo=SHANGHAI)
