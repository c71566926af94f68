"""Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291), one transport per process.

The transport keeps what is costly to redo per message: one requests.Session (kept-alive connections to each
push service) and one signed VAPID header per push-service origin, re-signed shortly before it expires.
pywebpush encrypts the payload; the HTTP call and its classification are ours, so timeouts are always set
and the session and signatures are shared.
"""

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from django.conf import settings
from pywebpush import WebPusher, WebPushException
from requests.adapters import HTTPAdapter

from messaging.channels.base import PushMessage, Result, SendError, parse_retry_after
from messaging.channels.vapid import VapidKeys, vapid_keys

# A push message record is at most 4096 bytes: minus the aes128gcm header (86), the tag (16) and the padding
# delimiter (1), the plain JSON may take 3993 bytes.
MAX_PAYLOAD_BYTES = 3993
CONNECT_TIMEOUT = 5.0


class PushTarget(NamedTuple):
    """One browser's subscription, as PushSubscription stores it (keys base64url, as the browser gives them)."""

    endpoint: str
    p256dh: str
    auth: str


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class WebPushTransport:
    """Sends PushMessages to subscriptions. Thread-safe: `send_many` shares one session across its threads.

    `send` returns a Result for 201/202 and raises SendError otherwise:
    404/410 permanent and deactivate_subscription; 429 and 5xx retryable with Retry-After when given;
    timeouts and connection errors retryable; 413 and other 4xx permanent with the service's reason.
    """

    def __init__(self, *, vapid: VapidKeys | None = None, timeout: float | None = None,
                 concurrency: int | None = None, token_lifetime: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._vapid = vapid
        self.timeout = timeout if timeout is not None else settings.WEBPUSH_TIMEOUT
        self.concurrency = concurrency or settings.WEBPUSH_CONCURRENCY
        self.token_lifetime = min(token_lifetime or settings.VAPID_TOKEN_LIFETIME, 24 * 3600)
        # Re-sign this long before expiry, so a token never expires between signing and the push service.
        self.refresh_margin = min(3600.0, self.token_lifetime / 4)
        self.clock = clock
        self.signatures = 0  # how many JWTs were signed: observable for tests and metrics
        self._lock = threading.Lock()
        self._headers: dict[str, tuple[str, float]] = {}  # origin -> (Authorization header, exp)
        self._pid = -1
        self._session: requests.Session | None = None
        self._executor: ThreadPoolExecutor | None = None

    # --- shared per process -------------------------------------------------------------------------

    def _ensure_process(self) -> None:
        # A forked worker must not share its parent's sockets or (dead) threads: start afresh after fork.
        # Signed VAPID headers are plain data and stay valid.
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    session = requests.Session()
                    adapter = HTTPAdapter(pool_connections=16, pool_maxsize=self.concurrency, max_retries=0)
                    session.mount("https://", adapter)
                    session.mount("http://", adapter)
                    self._session = session
                    self._executor = None
                    self._pid = os.getpid()

    @property
    def session(self) -> requests.Session:
        self._ensure_process()
        assert self._session is not None
        return self._session

    @property
    def vapid(self) -> VapidKeys:
        if self._vapid is None:
            self._vapid = vapid_keys()
        return self._vapid

    def authorization(self, endpoint: str) -> str:
        """The `vapid t=<jwt>, k=<key>` header for the endpoint's origin, signed once per token lifetime."""
        origin = origin_of(endpoint)
        now = self.clock()
        with self._lock:
            cached = self._headers.get(origin)
            if cached and cached[1] - now > self.refresh_margin:
                return cached[0]
            exp = int(now + self.token_lifetime)
            header = self.vapid.signer().sign({"aud": origin, "exp": exp, "sub": self.vapid.subject})["Authorization"]
            self._headers[origin] = (header, exp)
            self.signatures += 1
            return header

    # --- sending ------------------------------------------------------------------------------------

    def encrypt(self, message: PushMessage, subscription: PushTarget) -> bytes:
        payload = json.dumps(message.payload(), separators=(",", ":"), ensure_ascii=False).encode()
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise SendError(f"Payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}.", permanent=True)
        try:
            pusher = WebPusher({"endpoint": subscription.endpoint,
                                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}})
            return pusher.encode(payload, "aes128gcm")["body"]
        except (WebPushException, ValueError, TypeError) as exc:
            # A subscription whose keys cannot be used will never work: drop it.
            raise SendError(f"Invalid subscription keys: {exc}", permanent=True, deactivate_subscription=True) from exc

    def send(self, message: PushMessage, subscription: PushTarget) -> Result:
        """Encrypt and post one push; see the class docstring for the outcomes."""
        body = self.encrypt(message, subscription)
        headers = {
            "Authorization": self.authorization(subscription.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(message.ttl),
            "Urgency": message.urgency,
        }
        if message.topic:
            headers["Topic"] = message.topic
        try:
            response = self.session.post(subscription.endpoint, data=body, headers=headers,
                                         timeout=(CONNECT_TIMEOUT, self.timeout))
        except requests.Timeout as exc:
            raise SendError(f"Push service timed out: {exc}", permanent=False) from exc
        except requests.RequestException as exc:
            raise SendError(f"Push service unreachable: {exc}", permanent=False) from exc
        return self._classify(response, subscription)

    def _classify(self, response: requests.Response, subscription: PushTarget) -> Result:
        code = response.status_code
        if 200 <= code < 300:
            return Result(provider_id=response.headers.get("Location"), status_code=code)
        reason = f"{code} {response.reason or ''}: {response.text[:200]}".strip(": ")
        if code in (404, 410):
            raise SendError(reason, permanent=True, deactivate_subscription=True, status_code=code)
        if code == 429 or code >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now=time.time())
            raise SendError(reason, permanent=False, retry_after=retry_after, status_code=code)
        if code in (401, 403):
            # The service rejected our VAPID token: sign afresh next time rather than repeat a bad one.
            with self._lock:
                self._headers.pop(origin_of(subscription.endpoint), None)
        raise SendError(reason, permanent=True, status_code=code)

    def _send_one(self, item: tuple[PushTarget, PushMessage]) -> Result | SendError:
        subscription, message = item
        try:
            return self.send(message, subscription)
        except SendError as exc:
            return exc

    def send_many(self, items: Iterable[tuple[PushTarget, PushMessage]]) -> list[Result | SendError]:
        """Send concurrently on the shared session; outcomes in the order of `items`, errors returned not raised."""
        self._ensure_process()
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="webpush")
            executor = self._executor
        return list(executor.map(self._send_one, items))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._session is not None:
            self._session.close()
        self._pid = -1


_transport: WebPushTransport | None = None
_transport_lock = threading.Lock()


def webpush_transport() -> WebPushTransport:
    """The process's transport (one session, one VAPID cache, one thread pool per worker process)."""
    global _transport
    with _transport_lock:
        if _transport is None:
            _transport = WebPushTransport()
        return _transport
