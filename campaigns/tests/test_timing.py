from datetime import UTC, datetime, time

import pytest

from campaigns.timing import in_window, next_in_window, next_local_time


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(("now", "tz", "expected"), [
    # 10:00 in Amsterdam (UTC+1 in winter) is inside 09:00-21:00: now
    (utc(2026, 1, 15, 9, 0), "Europe/Amsterdam", utc(2026, 1, 15, 9, 0)),
    # 22:30 in Tokyo (UTC+9): wait for 09:00 Tokyo next day = 00:00 UTC
    (utc(2026, 1, 15, 13, 30), "Asia/Tokyo", utc(2026, 1, 16, 0, 0)),
    # 00:30 in Tokyo: later the same local day
    (utc(2026, 1, 15, 15, 30), "Asia/Tokyo", utc(2026, 1, 16, 0, 0)),
    # 23:59 in New York (UTC-5): 09:00 next day local = 14:00 UTC
    (utc(2026, 1, 16, 4, 59), "America/New_York", utc(2026, 1, 16, 14, 0)),
    # just after midnight New York
    (utc(2026, 1, 16, 5, 1), "America/New_York", utc(2026, 1, 16, 14, 0)),
    # the night before the US spring DST change (8 March 2026): 09:00 EDT = 13:00 UTC
    (utc(2026, 3, 8, 6, 0), "America/New_York", utc(2026, 3, 8, 13, 0)),
    # the night before the EU autumn change (25 October 2026): 09:00 CET = 08:00 UTC
    (utc(2026, 10, 24, 22, 0), "Europe/Amsterdam", utc(2026, 10, 25, 8, 0)),
])
def test_next_in_window_across_midnight_and_dst(now, tz, expected):
    assert next_in_window(now, tz, time(9), time(21)) == expected


def test_windows_across_midnight():
    assert in_window(time(23), time(18), time(2))
    assert in_window(time(1), time(18), time(2))
    assert not in_window(time(3), time(18), time(2))
    assert next_in_window(utc(2026, 1, 15, 12), "UTC", time(18), time(2)) == utc(2026, 1, 15, 18)


def test_no_window_means_now():
    assert next_in_window(utc(2026, 1, 1, 3), "Asia/Tokyo", None, None) == utc(2026, 1, 1, 3)


def test_unknown_timezone_falls_back_to_utc():
    assert next_in_window(utc(2026, 1, 1, 3), "Mars/Base", time(9), time(21)) == utc(2026, 1, 1, 9)


@pytest.mark.parametrize(("after", "tz", "at", "expected"), [
    (utc(2026, 6, 1, 5), "Europe/Amsterdam", time(10), utc(2026, 6, 1, 8)),   # CEST, later today
    (utc(2026, 6, 1, 9), "Europe/Amsterdam", time(10), utc(2026, 6, 2, 8)),   # passed: tomorrow
    (utc(2026, 6, 1, 5), "Asia/Tokyo", time(10), utc(2026, 6, 2, 1)),         # already 14:00 in Tokyo
    (utc(2026, 3, 8, 5), "America/New_York", time(2, 30), utc(2026, 3, 8, 7, 30)),  # no 02:30 that night: 03:30 EDT
    (utc(2026, 11, 1, 4), "America/New_York", time(1, 30), utc(2026, 11, 1, 5, 30)),  # 01:30 twice: the first
])
def test_next_local_time(after, tz, at, expected):
    assert next_local_time(after, tz, at) == expected
