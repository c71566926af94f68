"""Real parts for the channel tests: a local push service, a local SMTP server, a local SMS provider."""

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedEmail
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from messaging.channels.vapid import VapidKeys, generate_vapid_keys
from messaging.channels.webpush import WebPushTransport
from messaging.testing.push_service import LocalPushService


@pytest.fixture(scope="session")
def vapid() -> VapidKeys:
    return generate_vapid_keys("mailto:ops@example.com")


@pytest.fixture
def push_service() -> Iterator[LocalPushService]:
    service = LocalPushService().start()
    yield service
    service.stop()


@pytest.fixture
def transport(vapid: VapidKeys) -> Iterator[WebPushTransport]:
    t = WebPushTransport(vapid=vapid, timeout=2.0, concurrency=8)
    yield t
    t.close()


# --- SMTP -----------------------------------------------------------------------------------------------

@dataclass
class SmtpCapture:
    """Messages the local SMTP server accepted. Recipients starting with "bounce" are refused with 550,
    "later" with 451 (greylisting)."""

    port: int
    messages: list[tuple[Envelope, ParsedEmail]] = field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 No such user"
        if address.startswith("later"):
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append((envelope, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpCapture]:
    """An aiosmtpd server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    capture = SmtpCapture(port=free_port())
    controller = Controller(capture, hostname="127.0.0.1", port=capture.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = capture.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield capture
    controller.stop()


# --- an HTTP provider (SMS) -----------------------------------------------------------------------------

@dataclass
class HttpCall:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ProviderStub:
    """Records every POST; answers from a queue of (status, headers, JSON body), else 201 {}."""

    def __init__(self) -> None:
        self.calls: list[HttpCall] = []
        self.answers: deque[tuple[int, dict[str, str], Any]] = deque()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.calls.append(HttpCall(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers, data = stub.answers.popleft() if stub.answers else (201, {}, {})
                raw = json.dumps(data).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def sms_provider() -> Iterator[ProviderStub]:
    stub = ProviderStub()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


# --- the send pipeline ----------------------------------------------------------------------------------

@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Tasks handed to django-q2 (func path, args), recorded instead of queued; run them by hand."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("config.queue.async_task", lambda func, *args, **kwargs: calls.append((func, args)))
    return calls


@pytest.fixture
def topics(db):  # type: ignore[no-untyped-def]
    from preferences.demo import topics_ensure

    return topics_ensure()


@pytest.fixture
def shared_transport(vapid: VapidKeys, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebPushTransport]:
    """The process's web push transport (what the pipeline uses), signing with the test VAPID keys."""
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = vapid.private_key, vapid.public_key
    settings.VAPID_SUBJECT = vapid.subject
    t = WebPushTransport(vapid=vapid, timeout=2.0, concurrency=8)
    monkeypatch.setattr("messaging.channels.webpush._transport", t)
    yield t
    t.close()


@pytest.fixture
def push_customer(make_customer: Any, push_service: LocalPushService, shared_transport: WebPushTransport) -> Any:
    """push_customer(**fields) -> a customer with one active subscription on the local push service."""
    from messaging.services import push_subscription_save

    def make(**fields: Any) -> Any:
        customer = make_customer(**fields)
        target = push_service.subscribe(customer.external_id)
        push_subscription_save(customer_id=customer.pk, endpoint=target.endpoint, p256dh=target.p256dh,
                               auth=target.auth)
        return customer

    return make
