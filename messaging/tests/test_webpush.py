"""The web push transport against the local push service: real VAPID JWTs, real aes128gcm payloads."""

import threading
import time
from email.utils import formatdate

import pytest

from messaging.channels.base import PushMessage, Result, SendError
from messaging.channels.vapid import VapidKeys
from messaging.channels.webpush import PushTarget, WebPushTransport, webpush_transport
from messaging.testing.push_service import LocalPushService, Reply

OFFER = PushMessage(title="Spring sale", body="20% off today", url="https://shop.example/sale",
                    icon="/static/icon.png", image="https://shop.example/sale.jpg",
                    actions=[{"action": "view", "title": "View"}], ttl=3600, urgency="low", topic="offer-spring",
                    data={"open_url": "https://hub.example/o/abc"})


def test_push_arrives_decrypted_with_ttl_urgency_and_topic(push_service: LocalPushService,
                                                          transport: WebPushTransport) -> None:
    target = push_service.subscribe("alice")

    result = transport.send(OFFER, target)

    assert isinstance(result, Result) and result.status_code == 201
    assert result.provider_id.startswith(push_service.url + "/message/")
    [got] = push_service.received
    assert got.error == "" and got.status == 201
    assert got.payload == {"title": "Spring sale", "body": "20% off today", "icon": "/static/icon.png",
                           "image": "https://shop.example/sale.jpg", "actions": [{"action": "view", "title": "View"}],
                           "data": {"open_url": "https://hub.example/o/abc", "url": "https://shop.example/sale"}}
    assert (got.ttl, got.urgency, got.topic) == ("3600", "low", "offer-spring")
    assert got.headers["content-encoding"] == "aes128gcm"


def test_vapid_claims_name_the_push_service_origin(push_service: LocalPushService, transport: WebPushTransport,
                                                   vapid: VapidKeys) -> None:
    transport.send(OFFER, push_service.subscribe())

    claims = push_service.received[0].claims
    assert claims["aud"] == push_service.url
    assert claims["sub"] == vapid.subject
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600


def test_message_without_topic_sends_no_topic_header(push_service: LocalPushService,
                                                     transport: WebPushTransport) -> None:
    transport.send(PushMessage(title="Your order shipped", urgency="high", ttl=0), push_service.subscribe())

    got = push_service.received[0]
    assert got.topic is None and got.urgency == "high" and got.ttl == "0"


@pytest.mark.parametrize("topic", ["a" * 33, "has space", "plus+slash/", "ümlaut"])
def test_invalid_topic_is_refused_before_sending(topic: str) -> None:
    with pytest.raises(ValueError, match="topic"):
        PushMessage(title="x", topic=topic)


def test_invalid_urgency_is_refused() -> None:
    with pytest.raises(ValueError, match="urgency"):
        PushMessage(title="x", urgency="urgent")


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_is_permanent_and_deactivates(push_service: LocalPushService,
                                                        transport: WebPushTransport, status: int) -> None:
    target = push_service.subscribe()
    push_service.reply(target, Reply(status=status, body="subscription expired"))

    with pytest.raises(SendError) as err:
        transport.send(OFFER, target)

    assert err.value.permanent and err.value.deactivate_subscription
    assert err.value.status_code == status and "subscription expired" in err.value.reason


def test_429_is_retryable_after_retry_after_seconds(push_service: LocalPushService,
                                                    transport: WebPushTransport) -> None:
    push_service.enqueue(Reply(status=429, headers={"Retry-After": "120"}))

    with pytest.raises(SendError) as err:
        transport.send(OFFER, push_service.subscribe())

    assert not err.value.permanent and not err.value.deactivate_subscription
    assert err.value.retry_after == 120


def test_429_with_an_http_date_retry_after(push_service: LocalPushService, transport: WebPushTransport) -> None:
    push_service.enqueue(Reply(status=429, headers={"Retry-After": formatdate(time.time() + 90, usegmt=True)}))

    with pytest.raises(SendError) as err:
        transport.send(OFFER, push_service.subscribe())

    assert 85 <= err.value.retry_after <= 91


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(push_service: LocalPushService, transport: WebPushTransport,
                                     status: int) -> None:
    push_service.enqueue(Reply(status=status))

    with pytest.raises(SendError) as err:
        transport.send(OFFER, push_service.subscribe())

    assert not err.value.permanent and err.value.retry_after is None


@pytest.mark.parametrize("status", [400, 413])
def test_other_client_errors_are_permanent_with_the_reason(push_service: LocalPushService,
                                                           transport: WebPushTransport, status: int) -> None:
    push_service.enqueue(Reply(status=status, body="payload rejected"))

    with pytest.raises(SendError) as err:
        transport.send(OFFER, push_service.subscribe())

    assert err.value.permanent and not err.value.deactivate_subscription
    assert str(status) in err.value.reason and "payload rejected" in err.value.reason


def test_timeout_is_retryable(push_service: LocalPushService, vapid: VapidKeys) -> None:
    push_service.enqueue(Reply(status=201, delay=1.0))
    slow = WebPushTransport(vapid=vapid, timeout=0.2)

    with pytest.raises(SendError) as err:
        slow.send(OFFER, push_service.subscribe())

    assert not err.value.permanent and "timed out" in err.value.reason


def test_unreachable_push_service_is_retryable(transport: WebPushTransport, push_service: LocalPushService) -> None:
    target = push_service.subscribe()
    push_service.stop()

    with pytest.raises(SendError) as err:
        transport.send(OFFER, target)

    assert not err.value.permanent


def test_payload_too_large_is_permanent_without_a_request(push_service: LocalPushService,
                                                          transport: WebPushTransport) -> None:
    with pytest.raises(SendError) as err:
        transport.send(PushMessage(title="x", body="y" * 4000), push_service.subscribe())

    assert err.value.permanent and "exceeds" in err.value.reason
    assert push_service.received == []


def test_broken_subscription_keys_are_permanent_and_deactivate(push_service: LocalPushService,
                                                               transport: WebPushTransport) -> None:
    target = push_service.subscribe()._replace(p256dh="bm90LWEta2V5")

    with pytest.raises(SendError) as err:
        transport.send(OFFER, target)

    assert err.value.permanent and err.value.deactivate_subscription


def test_wrong_vapid_key_is_rejected_by_the_push_service(push_service: LocalPushService,
                                                         transport: WebPushTransport, vapid: VapidKeys) -> None:
    """The local service really verifies: a JWT signed by one key but presented with another fails."""
    from messaging.channels.vapid import generate_vapid_keys

    other = generate_vapid_keys().public_key
    header = transport.authorization(push_service.url + "/x").replace(vapid.public_key, other)
    with pytest.raises(ValueError, match="signature"):
        push_service.check_vapid(header)


# --- VAPID cache and connection reuse -------------------------------------------------------------------

def test_vapid_header_is_signed_once_per_origin(push_service: LocalPushService, transport: WebPushTransport) -> None:
    other_service = LocalPushService().start()
    try:
        for _ in range(3):
            transport.send(OFFER, push_service.subscribe())
            transport.send(OFFER, other_service.subscribe())
    finally:
        other_service.stop()

    assert transport.signatures == 2
    tokens = {r.headers["authorization"] for r in push_service.received}
    assert len(tokens) == 1


def test_vapid_header_is_re_signed_before_it_expires(push_service: LocalPushService, vapid: VapidKeys) -> None:
    now = [time.time()]
    transport = WebPushTransport(vapid=vapid, token_lifetime=12 * 3600, clock=lambda: now[0])
    target = push_service.subscribe()
    transport.send(OFFER, target)
    first_exp = push_service.received[-1].claims["exp"]

    now[0] += 10 * 3600  # 2 h left: still used
    transport.send(OFFER, target)
    assert transport.signatures == 1

    now[0] += 1.5 * 3600  # 30 min left, under the refresh margin: signed afresh
    transport.send(OFFER, target)
    assert transport.signatures == 2
    assert push_service.received[-1].claims["exp"] > first_exp
    assert all(r.status == 201 for r in push_service.received)


def test_rejected_token_is_not_reused(push_service: LocalPushService, transport: WebPushTransport) -> None:
    target = push_service.subscribe()
    push_service.enqueue(Reply(status=403, body="bad jwt"))
    with pytest.raises(SendError):
        transport.send(OFFER, target)

    transport.send(OFFER, target)

    assert transport.signatures == 2


def test_sequential_sends_reuse_one_connection(push_service: LocalPushService, transport: WebPushTransport) -> None:
    for _ in range(5):
        transport.send(OFFER, push_service.subscribe())

    assert push_service.stats()["connections"] == 1


def test_process_transport_is_one_instance() -> None:
    assert webpush_transport() is webpush_transport()


# --- send_many ------------------------------------------------------------------------------------------

def test_send_many_returns_outcomes_in_order(push_service: LocalPushService, transport: WebPushTransport) -> None:
    targets = [push_service.subscribe(f"s{i}") for i in range(6)]
    push_service.reply(targets[2], Reply(status=410))
    push_service.reply(targets[4], Reply(status=429, headers={"Retry-After": "7"}))

    outcomes = transport.send_many([(t, OFFER) for t in targets])

    assert [type(o).__name__ for o in outcomes] == ["Result", "Result", "SendError", "Result", "SendError", "Result"]
    assert outcomes[2].deactivate_subscription and outcomes[4].retry_after == 7
    decrypted = [r.payload["title"] for r in push_service.received if r.status == 201]
    assert decrypted == ["Spring sale"] * 4


def test_send_many_sends_concurrently(push_service: LocalPushService, transport: WebPushTransport) -> None:
    push_service.default_delay = 0.3
    targets = [push_service.subscribe() for _ in range(8)]

    start = time.perf_counter()
    outcomes = transport.send_many([(t, OFFER) for t in targets])
    elapsed = time.perf_counter() - start

    assert all(isinstance(o, Result) for o in outcomes)
    assert elapsed < 0.3 * 8 / 3  # sequentially this would take 2.4 s
    assert push_service.stats()["connections"] <= transport.concurrency


def test_send_many_shares_the_session_and_the_vapid_header(push_service: LocalPushService,
                                                           transport: WebPushTransport) -> None:
    sessions = set()
    original = type(transport).session.fget
    lock = threading.Lock()

    def spy(self: WebPushTransport):  # type: ignore[no-untyped-def]
        s = original(self)
        with lock:
            sessions.add(id(s))
        return s

    type(transport).session = property(spy)
    try:
        transport.send_many([(push_service.subscribe(), OFFER) for _ in range(20)])
        transport.send_many([(push_service.subscribe(), OFFER) for _ in range(20)])
    finally:
        type(transport).session = property(original)

    assert len(sessions) == 1
    assert transport.signatures == 1
    assert push_service.stats()["accepted"] == 40
    assert push_service.stats()["connections"] <= transport.concurrency


def test_target_is_built_from_stored_fields() -> None:
    target = PushTarget("https://push.example/abc", "key", "secret")
    assert target.endpoint == "https://push.example/abc"
