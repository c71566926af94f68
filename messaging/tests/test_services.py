"""Push subscription writes: upsert by endpoint, deactivation."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import PushSubscription
from messaging.services import endpoint_hash, push_subscription_deactivate, push_subscription_save

LONG_ENDPOINT = "https://fcm.googleapis.com/fcm/send/" + "x" * 1900


def test_save_creates_an_active_subscription(make_customer) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer()

    sub = push_subscription_save(customer_id=customer.id, endpoint=LONG_ENDPOINT, p256dh="pk", auth="au",
                                 user_agent="Firefox")

    assert sub.customer_id == customer.id and sub.active and sub.endpoint == LONG_ENDPOINT
    assert sub.endpoint_hash == endpoint_hash(LONG_ENDPOINT)


def test_saving_the_same_endpoint_again_updates_one_row(make_customer) -> None:  # type: ignore[no-untyped-def]
    first, second = make_customer(), make_customer()
    old = push_subscription_save(customer_id=first.id, endpoint=LONG_ENDPOINT, p256dh="pk1", auth="au1",
                                 user_agent="")
    push_subscription_deactivate(subscription_id=old.id, reason="410 Gone")

    new = push_subscription_save(customer_id=second.id, endpoint=LONG_ENDPOINT, p256dh="pk2", auth="au2",
                                 user_agent="Chrome")

    assert PushSubscription.objects.count() == 1
    assert new.id == old.id
    assert (new.customer_id, new.p256dh, new.auth, new.user_agent) == (second.id, "pk2", "au2", "Chrome")
    assert new.active and new.deactivated_at is None and new.deactivation_reason == ""
    assert new.created_at == old.created_at


def test_save_is_one_upsert_and_one_read(make_customer) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer()
    with CaptureQueriesContext(connection) as queries:
        push_subscription_save(customer_id=customer.id, endpoint="https://push.example/1", p256dh="p", auth="a",
                               user_agent="")
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))]
    assert len(statements) == 2


def test_deactivate_keeps_the_first_reason(make_customer) -> None:  # type: ignore[no-untyped-def]
    sub = push_subscription_save(customer_id=make_customer().id, endpoint="https://push.example/2", p256dh="p",
                                 auth="a", user_agent="")

    assert push_subscription_deactivate(subscription_id=sub.id, reason="410 Gone") is True
    assert push_subscription_deactivate(subscription_id=sub.id, reason="404") is False

    sub.refresh_from_db()
    assert not sub.active and sub.deactivated_at is not None and sub.deactivation_reason == "410 Gone"
