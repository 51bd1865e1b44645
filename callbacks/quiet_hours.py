"""Quiet hours and preferred contact windows (seed L30 "避免在客户休息时打扰客户").

Pure functions of local time, so they can be tested over many trigger times without a database.
A quiet period is half-open [start, end) and may wrap past midnight (21:00-09:00).
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class Period:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # wraps past midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_periods(text: str) -> list[Period]:
    """'12:00-14:00,21:00-09:00' → periods; raises ValueError on a malformed entry."""
    periods = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        start, end = (time.fromisoformat(x.strip()) for x in part.split("-"))
        if start == end:
            raise ValueError(part)
        periods.append(Period(start, end))
    return periods


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE))


def is_quiet(moment: datetime, quiet: Sequence[Period]) -> bool:
    local = _local(moment).time()
    return any(p.contains(local) for p in quiet)


def in_window(moment: datetime, window: Period | None) -> bool:
    return window is None or window.contains(_local(moment).time())


def latest_allowed_before(deadline: datetime, *, not_before: datetime, quiet: Sequence[Period],
                          window: Period | None = None) -> datetime:
    """The latest minute ≤ deadline outside quiet hours, inside the customer's preferred window
    if one can be found after `not_before`; without the window if not; `not_before` at worst."""
    for wanted in (window, None):
        moment = deadline.replace(second=0, microsecond=0)
        while moment > not_before:
            if not is_quiet(moment, quiet) and in_window(moment, wanted):
                return moment
            moment = _skip_back(moment, quiet, wanted)
    return not_before


def earliest_allowed_after(start: datetime, *, quiet: Sequence[Period],
                           window: Period | None = None) -> datetime:
    """The first minute ≥ start outside quiet hours (for retries and queued SMS), inside the
    customer's preferred window if one falls within two days; without the window if not."""
    first = start.replace(second=0, microsecond=0)
    if first < start:  # round up: a retry is never due before the interval has passed
        first += STEP
    for wanted in (window, None):
        moment = first
        for _ in range(2 * 24 * 60):
            if not is_quiet(moment, quiet) and in_window(moment, wanted):
                return moment
            moment += STEP
    return moment


def _skip_back(moment: datetime, quiet: Sequence[Period], window: Period | None) -> datetime:
    """Step back quickly: to just before the start of the quiet period (or window gap) we are in."""
    local = _local(moment)
    for period in quiet:
        if period.contains(local.time()):
            start = local.replace(hour=period.start.hour, minute=period.start.minute)
            if start > local:
                start -= timedelta(days=1)
            return start - STEP
    if window is not None and not window.contains(local.time()):
        end = local.replace(hour=window.end.hour, minute=window.end.minute)
        if end > local:
            end -= timedelta(days=1)
        return end - STEP
    return moment - STEP
