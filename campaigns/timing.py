"""Local-time arithmetic for send windows, local send times and lifecycle mornings (storage stays UTC)."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` `at` in `tz`, as UTC. A time repeated by a DST change means its first occurrence; a time skipped
    by one is moved forward by the jump (02:30 on a spring-forward night is 03:30), as cron does."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def in_window(local: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight, e.g. 18:00-02:00


def next_in_window(now: datetime, tz_name: str, start: time | None, end: time | None) -> datetime:
    """`now` when it falls inside the daily local window [start, end), else the window's next opening."""
    if start is None or end is None or start == end:
        return now
    tz = zone(tz_name)
    local = now.astimezone(tz)
    if in_window(local.time(), start, end):
        return now
    opening = _at(local.date(), start, tz)
    if opening <= now:
        opening = _at(local.date() + timedelta(days=1), start, tz)
    return opening


def next_local_time(after: datetime, tz_name: str, at: time) -> datetime:
    """The first moment at or after `after` when the customer's clock shows `at`."""
    tz = zone(tz_name)
    local = after.astimezone(tz)
    candidate = _at(local.date(), at, tz)
    if candidate < after:
        candidate = _at(local.date() + timedelta(days=1), at, tz)
    return candidate
