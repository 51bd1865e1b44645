"""The tests' clock: times of day made explicit, in the studio's time zone (Asia/Shanghai).

A test whose outcome could depend on the hour or the date carries `@pytest.mark.clock`. With
`STUDIO_TEST_CLOCK=23:30` (today's local date at 23:30) or `STUDIO_TEST_CLOCK="2026-12-31 23:50"`
in the environment, tests/conftest.py runs each of them with the clock travelled there (time-machine,
ticking): CI runs them at 23:30 so that a test crossing midnight fails in CI, not at night.

A test that needs a given time of day travels itself, e.g. `time_machine.move_to(local_at("10:00"))`
with time-machine's `time_machine` fixture; the travel applies to the whole process, the live
server's thread included, and `local_at` keeps the (possibly travelled) date.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

ENVIRONMENT_VARIABLE = "STUDIO_TEST_CLOCK"


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)  # Asia/Shanghai


def local_at(hm: str, *, day: date | None = None, days: int = 0) -> datetime:
    """`day` (default: today, local) plus `days`, at `hm` ("HH:MM") local time, aware."""
    day = (day or timezone.localdate()) + timedelta(days=days)
    return datetime.combine(day, time.fromisoformat(hm), tzinfo=local_zone())


def parse_clock(spec: str) -> datetime:
    """"23:30" -> today's local date at 23:30; "2026-12-31 23:50" -> that local time (aware)."""
    spec = spec.strip()
    try:
        if " " in spec or "T" in spec:
            moment = datetime.fromisoformat(spec)
            return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())
        return local_at(spec)
    except ValueError as error:
        raise ValueError(f'{ENVIRONMENT_VARIABLE}={spec!r}: expected "HH:MM" or '
                         f'"YYYY-MM-DD HH:MM" (local time, {settings.TIME_ZONE})') from error
