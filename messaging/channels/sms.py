"""SMS: a backend chosen by the dotted path in SMS_BACKEND (like EMAIL_BACKEND), and segment counting.

ConsoleSmsBackend prints, for development. HttpSmsBackend talks to an HTTP provider described entirely by
settings (URL, auth, form or JSON body from a field template, where the message id is, which statuses retry),
enough for Twilio-style and MessageBird-style APIs; see README "Settings" for both configurations.
"""

import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, Literal

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from requests.adapters import HTTPAdapter

from messaging.channels.base import Result, SendError, SmsBackend, SmsMessage, parse_retry_after

logger = logging.getLogger(__name__)

# --- Segments -------------------------------------------------------------------------------------------

# GSM 03.38 basic character set (1 septet each) and its extension table (escape + char: 2 septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsInfo:
    length: int  # characters as the phone counts them: septets for GSM-7, UTF-16 code units for UCS-2
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int


def sms_segments(text: str) -> SmsInfo:
    """Length, encoding and number of segments of an SMS text.

    GSM-7 when every character is in the basic set or the extension table (extension characters count 2):
    one segment holds 160, a concatenated one 153. Otherwise UCS-2, counted in UTF-16 code units (an emoji
    counts 2): 70 in one segment, 67 in each of several. An empty text is 0 segments.
    """
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        length = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if length == 0:
        segments = 0
    elif length <= single:
        segments = 1
    else:
        segments = -(-length // multi)
    return SmsInfo(length=length, encoding=encoding, segments=segments)  # type: ignore[arg-type]


# --- Backends -------------------------------------------------------------------------------------------

class ConsoleSmsBackend:
    """Development: writes the SMS to stdout and always succeeds."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: SmsMessage) -> Result:
        info = sms_segments(message.text)
        self.stream.write(f"SMS to {message.to} from {message.sender or settings.SMS_FROM} "
                          f"({info.encoding}, {info.segments} segment(s)):\n{message.text}\n")
        self.stream.flush()
        return Result(provider_id=None)


def _fill(template: Any, values: dict[str, str]) -> Any:
    """Fill "{to}", "{from}" and "{text}" into a JSON-like template, keeping lists and nesting."""
    if isinstance(template, str):
        out = template
        for name, value in values.items():
            out = out.replace("{" + name + "}", value)
        return out
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, values) for key, item in template.items()}
    return template


def _dig(data: Any, dotted: str) -> Any:
    """data["a"]["b"][0] for "a.b.0"; None when the path is not there."""
    for part in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


_session: requests.Session | None = None
_session_lock = threading.Lock()


def _shared_session() -> requests.Session:
    global _session
    with _session_lock:
        if _session is None:
            _session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=16, max_retries=0)
            _session.mount("https://", adapter)
            _session.mount("http://", adapter)
        return _session


class HttpSmsBackend:
    """A provider's HTTP API, configured by settings (each argument defaults to its SMS_HTTP_* setting).

    Outcomes: 2xx sent, with the id found at `id_field` of the JSON answer; a status in `retry_statuses`
    (default 408, 425, 429, 5xx gateways) or a connection failure or timeout retryable, honouring
    Retry-After; any other status permanent, with the provider's answer as the reason.
    """

    def __init__(self, *, url: str | None = None, auth: str | None = None, username: str | None = None,
                 password: str | None = None, header: str | None = None, token: str | None = None,
                 body: str | None = None, fields: dict[str, Any] | None = None, id_field: str | None = None,
                 retry_statuses: list[int] | None = None, sender: str | None = None,
                 timeout: float | None = None, session: requests.Session | None = None) -> None:
        self.url = url or settings.SMS_HTTP_URL
        self.auth = auth or settings.SMS_HTTP_AUTH
        self.username = username if username is not None else settings.SMS_HTTP_USERNAME
        self.password = password if password is not None else settings.SMS_HTTP_PASSWORD
        self.header = header or settings.SMS_HTTP_HEADER
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.body = body or settings.SMS_HTTP_BODY
        self.fields = fields or settings.SMS_HTTP_FIELDS
        self.id_field = id_field or settings.SMS_HTTP_ID_FIELD
        self.retry_statuses = set(retry_statuses or settings.SMS_HTTP_RETRY_STATUSES)
        self.sender = sender or settings.SMS_FROM
        self.timeout = timeout or settings.SMS_HTTP_TIMEOUT
        self.session = session or _shared_session()
        if not self.url:
            raise ValueError("HttpSmsBackend needs SMS_HTTP_URL.")
        if self.auth not in ("none", "basic", "header") or self.body not in ("form", "json"):
            raise ValueError("SMS_HTTP_AUTH is none|basic|header and SMS_HTTP_BODY is form|json.")

    def request_kwargs(self, message: SmsMessage) -> dict[str, Any]:
        payload = _fill(self.fields, {"to": message.to, "from": message.sender or self.sender, "text": message.text})
        kwargs: dict[str, Any] = {"json": payload} if self.body == "json" else {"data": payload}
        if self.auth == "basic":
            kwargs["auth"] = (self.username, self.password)
        elif self.auth == "header":
            kwargs["headers"] = {self.header: self.token}
        return kwargs

    def send(self, message: SmsMessage) -> Result:
        try:
            response = self.session.post(self.url, timeout=(5.0, self.timeout), **self.request_kwargs(message))
        except requests.RequestException as exc:
            raise SendError(f"SMS provider unreachable: {exc}", permanent=False) from exc
        code = response.status_code
        if 200 <= code < 300:
            try:
                provider_id = _dig(response.json(), self.id_field)
            except ValueError:
                provider_id = None
            return Result(provider_id=str(provider_id) if provider_id is not None else None, status_code=code)
        reason = f"{code}: {response.text[:300]}"
        if code in self.retry_statuses:
            raise SendError(reason, permanent=False, status_code=code,
                            retry_after=parse_retry_after(response.headers.get("Retry-After")))
        raise SendError(reason, permanent=True, status_code=code)


def sms_backend() -> SmsBackend:
    """A backend instance of the class SMS_BACKEND names."""
    return import_string(settings.SMS_BACKEND)()
