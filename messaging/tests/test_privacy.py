"""Deliveries on the customer's timeline (why nothing was sent), in the export, and erasure."""

import pytest

from accounts.timeline import customer_timeline
from messaging.models import Delivery, DeliveryStatus, InboxMessage, PushSubscription
from messaging.services import (
    InboxDraft,
    deliveries_transition,
    inbox_messages_write,
    push_subscription_save,
)
from preferences.models import Source
from preferences.selectors import customer_export
from preferences.services import customer_erase

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_customer, topics):  # type: ignore[no-untyped-def]
    c = make_customer(external_id="C42")
    d = Delivery.objects.create(customer=c, topic=topics["offers"], dedupe_key="x", status=DeliveryStatus.SENDING,
                                data={"cart_value": 142}, campaign_id=5)
    deliveries_transition(delivery_ids=[d.pk], source=DeliveryStatus.SENDING, target=DeliveryStatus.SUPPRESSED,
                          suppressed_reason="no_consent", detail="web_push: no_consent; email: no_consent")
    push_subscription_save(customer_id=c.pk, endpoint="https://push.example/1", p256dh="k" * 20, auth="a" * 10)
    inbox_messages_write(drafts=[InboxDraft(customer_id=c.pk, title="Hi")])
    return c


def test_the_timeline_says_why_c42_got_nothing(customer):
    [entry] = [e for e in customer_timeline(customer.pk) if e.kind == "delivery"]
    assert "suppressed (no_consent)" in entry.title
    assert "web_push: no_consent; email: no_consent" in entry.detail and "campaign 5" in entry.detail


def test_the_export_has_deliveries_inbox_and_push_subscriptions(customer):
    data = customer_export(customer.pk)
    assert data["deliveries"][0]["suppressed_reason"] == "no_consent"
    assert data["inbox_messages"][0]["title"] == "Hi" and data["push_subscriptions"][0]["active"]


def test_erasure_removes_push_subscriptions_inbox_and_delivery_data(customer):
    record = customer_erase(customer_id=customer.pk, source=Source.ADMIN)
    assert record.counts["push_subscriptions"] == 1 and record.counts["inbox_messages"] == 1
    assert not PushSubscription.objects.exists() and not InboxMessage.objects.exists()
    assert Delivery.objects.get().data == {}
