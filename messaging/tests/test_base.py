"""The channel interface's shared pieces: Retry-After parsing and the push payload."""

import time
from email.utils import formatdate

import pytest

from messaging.channels.base import PushMessage, SendError, parse_retry_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    ("", None),
    ("0", 0.0),
    ("120", 120.0),
    (" 30 ", 30.0),
    ("-5", None),
    ("soon", None),
    ("1.5", None),
    (formatdate(NOW + 90, usegmt=True), 90.0),
    (formatdate(NOW - 90, usegmt=True), 0.0),  # a date in the past means: now
])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_defaults_to_the_clock() -> None:
    assert 58 <= parse_retry_after(formatdate(time.time() + 60, usegmt=True)) <= 60


def test_payload_puts_url_into_data_for_the_service_worker() -> None:
    message = PushMessage(title="T", url="https://shop.example/x", data={"open_url": "https://hub.example/o/1"})

    assert message.payload()["data"] == {"open_url": "https://hub.example/o/1", "url": "https://shop.example/x"}


def test_send_error_states_its_class() -> None:
    error = SendError("429 Too Many Requests", permanent=False, retry_after=5)

    assert "retryable" in repr(error) and str(error) == "429 Too Many Requests"
