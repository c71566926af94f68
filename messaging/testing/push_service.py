"""TEST INFRASTRUCTURE: a local web push service on 127.0.0.1, for the test suite and the benchmark.

It does what a real push service does to a request: checks the VAPID JWT (ES256 signature with the key in
the header, aud = this origin, exp in the future and at most 24 h away, sub present), decrypts the aes128gcm
payload with the subscription's private key (the test made the subscription, so it holds that key), and
records what arrived. It answers 201 unless told otherwise, per endpoint path or by a queue of scripted
answers, so every outcome class of the transport can be produced for real.

Never used by the application itself.
"""

import base64
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from messaging.channels.webpush import PushTarget


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Reply:
    """A scripted answer: status, extra headers, body, and an optional delay before answering."""

    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: Any  # the decrypted JSON (or None when the request was rejected before decryption)
    claims: dict[str, Any]
    client: tuple[str, int]  # the client's address: one port per TCP connection
    status: int
    error: str = ""

    @property
    def ttl(self) -> str | None:
        return self.headers.get("ttl")

    @property
    def urgency(self) -> str | None:
        return self.headers.get("urgency")

    @property
    def topic(self) -> str | None:
        return self.headers.get("topic")


@dataclass
class Subscriber:
    """A browser's side of a subscription: its ECDH key pair and auth secret."""

    path: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    target: PushTarget


class LocalPushService:
    """Start with `start()` (a background thread) or `serve_forever()`; `url` is the origin.

    subscribe(name) -> PushTarget creates a subscription whose payloads the service can decrypt.
    reply(path, Reply) scripts every answer for one endpoint path; enqueue(Reply, ...) scripts the next answers
    for any path, in order. `received` lists every request; `stats()` the counts.
    """

    def __init__(self, *, verify: bool = True) -> None:
        self.verify = verify
        self.subscribers: dict[str, Subscriber] = {}
        self.replies: dict[str, Reply] = {}
        self.queue: deque[Reply] = deque()
        self.received: list[Received] = []
        self.default_delay = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def subscribe(self, name: str | None = None) -> PushTarget:
        path = f"/push/{name or _b64encode(os.urandom(12))}"
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        target = PushTarget(endpoint=self.url + path, p256dh=_b64encode(public), auth=_b64encode(auth))
        self.subscribers[path] = Subscriber(path=path, private_key=key, auth=auth, target=target)
        return target

    def reply(self, path_or_target: str | PushTarget, reply: Reply) -> None:
        path = path_or_target.endpoint.removeprefix(self.url) if isinstance(path_or_target, PushTarget) \
            else path_or_target
        self.replies[path] = reply

    def enqueue(self, *replies: Reply) -> None:
        self.queue.extend(replies)

    def stats(self) -> dict[str, int]:
        with self._lock:
            accepted = sum(1 for r in self.received if 200 <= r.status < 300)
            return {"received": len(self.received), "accepted": accepted,
                    "connections": len({r.client for r in self.received})}

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> "LocalPushService":
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                        name="push-service")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a push service checks ----------------------------------------------------------------------

    def check_vapid(self, authorization: str) -> dict[str, Any]:
        """Return the JWT's claims, or raise ValueError saying what is wrong."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("Authorization scheme is not vapid")
        fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        token, key = fields.get("t"), fields.get("k")
        if not token or not key:
            raise ValueError("vapid needs t=<jwt> and k=<key>")
        header_b64, claims_b64, sig_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError(f"alg is {header.get('alg')}, not ES256")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64decode(key))
        raw_sig = _b64decode(sig_b64)
        if len(raw_sig) != 64:
            raise ValueError("ES256 signature must be 64 bytes")
        signature = encode_dss_signature(int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big"))
        try:
            public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise ValueError("bad JWT signature") from exc
        claims = json.loads(_b64decode(claims_b64))
        now = time.time()
        if claims.get("aud") != self.url:
            raise ValueError(f"aud {claims.get('aud')!r} is not {self.url!r}")
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600 + 60:
            raise ValueError("exp must be in the future and at most 24 h away")
        if not claims.get("sub"):
            raise ValueError("sub missing")
        return claims

    def decrypt(self, path: str, body: bytes) -> Any:
        subscriber = self.subscribers[path]
        plain = http_ece.decrypt(body, private_key=subscriber.private_key, auth_secret=subscriber.auth,
                                 version="aes128gcm")
        return json.loads(plain)

    def _handle(self, path: str, headers: dict[str, str], body: bytes, client: tuple[str, int]) -> Reply:
        with self._lock:
            scripted = self.queue.popleft() if self.queue else self.replies.get(path)
        reply = scripted or Reply(status=201, headers={"Location": f"{self.url}/message/{os.urandom(6).hex()}"},
                                  delay=self.default_delay)
        claims: dict[str, Any] = {}
        payload: Any = None
        error = ""
        if path not in self.subscribers and scripted is None:
            reply, error = Reply(status=404, body="unknown subscription"), "unknown subscription"
        elif self.verify:
            try:
                claims = self.check_vapid(headers.get("authorization", ""))
                if headers.get("content-encoding") != "aes128gcm":
                    raise ValueError("Content-Encoding must be aes128gcm")
                if "ttl" not in headers:
                    raise ValueError("TTL header missing")
                if path in self.subscribers:
                    payload = self.decrypt(path, body)
            except Exception as exc:  # noqa: BLE001 - any failure is the client's fault, answered as 400/401
                error = str(exc) or type(exc).__name__
                status = 401 if "vapid" in error.lower() or "jwt" in error.lower() or "aud" in error else 400
                reply = Reply(status=status, body=error)
        with self._lock:
            self.received.append(Received(path=path, headers=headers, payload=payload, claims=claims,
                                          client=client, status=reply.status, error=error))
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so a client's session reuse is visible

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = service._handle(self.path, headers, body, self.client_address[:2])
                if reply.delay:
                    time.sleep(reply.delay)
                self._answer(reply)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(Reply(status=200, body=json.dumps(service.stats()),
                                   headers={"Content-Type": "application/json"}))

            def _answer(self, reply: Reply) -> None:
                data = reply.body.encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence request logs
                pass

        return Handler
