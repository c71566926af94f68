"""What every channel transport shares: the message shapes, the outcome of a send, and its one error.

A transport turns one message into one provider call and classifies the answer. It never touches the
database: the delivery service records the outcome (STYLE rule 8). Every transport's `send(...)` returns a
`Result` when the provider accepted the message and raises `SendError` otherwise.
"""

import re
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030 section 5.3
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 section 5.4: at most 32 URL-safe base64 characters


@dataclass(frozen=True)
class PushMessage:
    """One web notification. `topic` makes it replaceable: a newer push with the same topic replaces a pending one.

    `data` travels to the service worker untouched (e.g. `open_url`, where it reports a click as an open).
    Raises ValueError on an invalid TTL, urgency or topic, since those are programming errors, not outcomes.
    """

    title: str
    body: str = ""
    url: str = ""
    icon: str = ""
    image: str = ""
    actions: list[dict[str, str]] = field(default_factory=list)  # [{"action": "view", "title": "View"}]
    ttl: int = 24 * 3600  # seconds the push service keeps it for an offline browser
    urgency: str = "normal"
    topic: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ttl < 0:
            raise ValueError("ttl must be >= 0 seconds.")
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}.")
        if self.topic and not _TOPIC.match(self.topic):
            raise ValueError("topic must be 1-32 URL-safe base64 characters (A-Z a-z 0-9 - _).")

    def payload(self) -> dict[str, Any]:
        """The JSON the service worker receives (static/sw.js reads exactly these keys)."""
        return {
            "title": self.title,
            "body": self.body,
            "icon": self.icon,
            "image": self.image,
            "actions": self.actions,
            "data": {**self.data, "url": self.url},
        }


@dataclass(frozen=True)
class EmailMessage:
    """One email with HTML and plain-text parts. `headers` carries List-Unsubscribe and friends."""

    to: str
    subject: str
    text: str
    html: str = ""
    from_email: str = ""  # empty: settings.DEFAULT_FROM_EMAIL
    headers: dict[str, str] = field(default_factory=dict)
    reply_to: str = ""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    sender: str = ""  # empty: settings.SMS_FROM


@dataclass(frozen=True)
class Result:
    """The provider accepted the message. `provider_id` is its reference (Message-ID, SMS id, push location)."""

    provider_id: str | None = None
    status_code: int | None = None


class SendError(Exception):
    """The provider did not accept the message.

    permanent: retrying the same message cannot succeed (bad address, gone subscription, 4xx); otherwise the
        caller retries with backoff, waiting at least `retry_after` seconds when the provider said so.
    deactivate_subscription: the push subscription is gone (404/410) and must not be used again.
    address_unreachable: the address itself was refused (a hard bounce): it must not be used again until the
        customer's address changes.
    """

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None,
                 deactivate_subscription: bool = False, status_code: int | None = None,
                 address_unreachable: bool = False) -> None:
        super().__init__(reason)
        self.address_unreachable = address_unreachable
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.deactivate_subscription = deactivate_subscription
        self.status_code = status_code

    def __repr__(self) -> str:
        kind = "permanent" if self.permanent else "retryable"
        return f"SendError({self.reason!r}, {kind}, retry_after={self.retry_after})"


class SmsBackend(Protocol):
    """What SMS_BACKEND names: a class built without arguments (it reads settings) with this method."""

    def send(self, message: SmsMessage) -> Result: ...


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110 section 10.2.3).

    Returns None when absent or unparseable, and never a negative number (a date in the past means now).
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
