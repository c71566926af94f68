"""The send pipeline end to end with real parts: the local push service, an SMTP server, the database."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string

from messaging.models import Delivery, DeliveryStatus, InboxMessage, MessageTemplate, PushSubscription
from messaging.services import DeliveryPlan, deliveries_plan, message_send
from messaging.testing.push_service import Reply
from preferences.models import Channel, Source
from preferences.services import ConsentMeta, preferences_update


@pytest.fixture
def deliver(enqueued, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """deliver(fn) runs fn, commits its enqueues, then runs every queued task until none is left."""

    def run(fn: Any = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = fn() if fn else None
        while enqueued:
            func, args = enqueued.pop(0)
            with django_capture_on_commit_callbacks(execute=True):
                import_string(func)(*args)
        return result

    return run


@pytest.fixture
def template(topics) -> MessageTemplate:  # type: ignore[no-untyped-def]
    return MessageTemplate.objects.create(
        key="order-shipped", name="Order shipped", topic=topics["order-updates"],
        push_title="Hi {{ customer.first_name }}", push_body="Order {{ data.order_id }} is on its way",
        push_url="https://shop.example/o/{{ data.order_id }}", push_ttl=600, push_urgency="high",
        replace_key="order", keep_in_inbox=True,
        email_subject="Order {{ data.order_id }} shipped", email_html="<p>Hi {{ customer.first_name }}</p>",
        sms_text="Order {{ data.order_id }} shipped", inbox_title="Order {{ data.order_id }} shipped")


def send(customer, template, *, channels=(), key="k1", data=None):  # type: ignore[no-untyped-def]
    delivery, _ = message_send(customer_id=customer.pk, topic_id=template.topic_id, template_id=template.pk,
                               idempotency_key=key, channel_order=list(channels), data=data or {"order_id": "A1"})
    return delivery


def opt_in(customer, topic, *channels):  # type: ignore[no-untyped-def]
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.ADMIN),
                       choices={(topic.pk, c): True for c in channels})


def test_push_arrives_rendered_with_ttl_urgency_topic_and_lands_in_the_inbox(push_customer, push_service, template,
                                                                             deliver):
    customer = push_customer(first_name="Ada")
    d = deliver(lambda: send(customer, template))
    d.refresh_from_db()
    assert (d.status, d.channel, d.attempts) == (DeliveryStatus.SENT, Channel.WEB_PUSH, 1)
    assert d.provider_message_id.startswith(push_service.url)
    [got] = push_service.received
    assert got.payload["title"] == "Hi Ada" and got.payload["body"] == "Order A1 is on its way"
    assert got.payload["data"]["url"] == "https://shop.example/o/A1" and "/push-subscriptions/open?d=" in \
        got.payload["data"]["open_url"]
    assert (got.ttl, got.urgency, got.topic) == ("600", "high", "order")
    inbox = InboxMessage.objects.get(customer=customer)
    assert (inbox.title, inbox.delivery_id, inbox.replace_key) == ("Order A1 shipped", d.pk, "order")
    assert list(d.events.values_list("status", flat=True)) == ["sent"]  # routine claims leave no rows


def test_resending_the_same_idempotency_key_sends_nothing_more(push_customer, push_service, template, deliver):
    customer = push_customer()
    first = deliver(lambda: send(customer, template))
    again = deliver(lambda: send(customer, template))
    assert first.pk == again.pk and len(push_service.received) == 1


def test_a_second_enqueue_of_the_same_batch_sends_nothing(push_customer, push_service, template, deliver, enqueued,
                                                          django_capture_on_commit_callbacks):
    from messaging.tasks import deliveries_send

    customer = push_customer()
    with django_capture_on_commit_callbacks(execute=True):
        d = send(customer, template)
    [(_, (ids,))] = enqueued
    assert deliveries_send(ids) == 1
    assert deliveries_send(ids) == 0
    assert len(push_service.received) == 1 and Delivery.objects.get(pk=d.pk).status == DeliveryStatus.SENT


def test_server_error_retries_with_exponential_backoff_then_fails(push_customer, push_service, template, deliver,
                                                                  settings):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    customer = push_customer()
    push_service.enqueue(Reply(500), Reply(503), Reply(500))
    before = timezone.now()
    d = deliver(lambda: send(customer, template))
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.SCHEDULED, 1)
    assert timedelta(seconds=29) < d.scheduled_at - before < timedelta(seconds=40)
    assert "500" in d.last_error
    from messaging.services import deliveries_claim_due

    deliver(lambda: deliveries_claim_due(limit=10, now=d.scheduled_at))
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.SCHEDULED, 2)
    assert d.scheduled_at - timezone.now() > timedelta(seconds=55)  # 30 s, then 60 s
    deliver(lambda: deliveries_claim_due(limit=10, now=d.scheduled_at))
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 3)
    assert len(push_service.received) == 3


def test_429_honours_retry_after(push_customer, push_service, template, deliver):
    customer = push_customer()
    push_service.enqueue(Reply(429, headers={"Retry-After": "600"}))
    d = deliver(lambda: send(customer, template))
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SCHEDULED
    assert d.scheduled_at - timezone.now() > timedelta(seconds=590)


def test_gone_subscription_is_deactivated_and_the_next_channel_is_used(push_customer, push_service, smtp_server,
                                                                        template, deliver):
    customer = push_customer()
    push_service.enqueue(Reply(410))
    d = deliver(lambda: send(customer, template, channels=[Channel.WEB_PUSH, Channel.EMAIL]))
    assert not PushSubscription.objects.get(customer=customer).active
    from messaging.services import deliveries_claim_due

    deliver(lambda: deliveries_claim_due(limit=10))
    d.refresh_from_db()
    assert (d.status, d.channel) == (DeliveryStatus.SENT, Channel.EMAIL)
    assert len(smtp_server.messages) == 1


def test_without_a_push_subscription_it_falls_back_in_order(make_customer, sms_provider, settings, template, deliver,
                                                            shared_transport):
    settings.SMS_BACKEND = "messaging.channels.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = sms_provider.url + "/messages"
    customer = make_customer(phone="+31612345678")
    opt_in(customer, template.topic, Channel.SMS)
    d = deliver(lambda: send(customer, template, channels=[Channel.WEB_PUSH, Channel.SMS, Channel.EMAIL]))
    d.refresh_from_db()
    assert (d.status, d.channel) == (DeliveryStatus.SENT, Channel.SMS)
    assert sms_provider.calls[0].body.decode().endswith("Body=Order+A1+shipped")


def test_sms_provider_errors_retry_or_fail(make_customer, sms_provider, settings, template, deliver):
    settings.SMS_BACKEND = "messaging.channels.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = sms_provider.url + "/messages"
    sms_provider.answers.extend([(503, {}, {}), (400, {}, {"message": "invalid number"})])
    a, b = make_customer(phone="+31612345678"), make_customer(phone="+31612345679")
    for c in (a, b):
        opt_in(c, template.topic, Channel.SMS)
    da = deliver(lambda: send(a, template, channels=[Channel.SMS]))
    db_ = deliver(lambda: send(b, template, channels=[Channel.SMS]))
    da.refresh_from_db()
    db_.refresh_from_db()
    assert da.status == DeliveryStatus.SCHEDULED and "503" in da.last_error
    assert db_.status == DeliveryStatus.FAILED and "invalid number" in db_.last_error


def test_marketing_email_carries_list_unsubscribe_footer_and_pixel(make_customer, smtp_server, topics, deliver):
    customer = make_customer(first_name="Bo")
    opt_in(customer, topics["offers"], Channel.EMAIL)
    t = MessageTemplate.objects.create(key="sale", name="Sale", topic=topics["offers"], email_subject="Sale",
                                       email_html="<html><body><p>Hi {{ customer.first_name }}</p></body></html>")
    d = deliver(lambda: send(customer, t, channels=[Channel.EMAIL]))
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT
    [(envelope, mail)] = smtp_server.messages
    assert envelope.rcpt_tos == [customer.email]
    unsubscribe = mail["List-Unsubscribe"]
    assert "/u/" in unsubscribe and "<mailto:" in unsubscribe
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(("html",)).get_content()
    assert "Hi Bo" in html and "/preferences/" in html and "/m/o/" in html and html.index("/m/o/") < html.index(
        "</body>")
    text = mail.get_body(("plain",)).get_content()
    assert "Hi Bo" in text and "/preferences/" in text
    assert mail["Message-ID"].strip("<>") in d.provider_message_id


def test_transactional_email_has_no_list_unsubscribe(make_customer, smtp_server, template, deliver):
    customer = make_customer()
    deliver(lambda: send(customer, template, channels=[Channel.EMAIL]))
    [(_, mail)] = smtp_server.messages
    assert mail["List-Unsubscribe"] is None


def test_bounced_email_marks_the_address_and_greylisted_email_retries(make_customer, smtp_server, template,
                                                                      deliver):
    from messaging.tasks import deliveries_dispatch

    bounced, later = make_customer(email="bounce@example.com"), make_customer(email="later@example.com")
    d1 = deliver(lambda: send(bounced, template, channels=[Channel.EMAIL]))
    d2 = deliver(lambda: send(later, template, channels=[Channel.EMAIL]))
    d1.refresh_from_db()
    d2.refresh_from_db()
    assert d1.status == DeliveryStatus.SCHEDULED and "550" in d1.last_error  # falls back on its next try
    assert d2.status == DeliveryStatus.SCHEDULED and "451" in d2.last_error
    bounced.refresh_from_db()
    assert bounced.email_bounced_at is not None
    later.refresh_from_db()
    assert later.email_bounced_at is None

    deliver(deliveries_dispatch)
    d1.refresh_from_db()
    assert (d1.status, d1.suppressed_reason) == (DeliveryStatus.SUPPRESSED, "unreachable")
    assert len([m for m in smtp_server.messages if "bounce@" in str(m[0].rcpt_tos)]) == 0  # never accepted

    from accounts.services import customer_upsert

    customer_upsert(external_id=bounced.external_id, data={"email": "new@example.com"})
    bounced.refresh_from_db()
    assert bounced.email_bounced_at is None  # a new address is tried again


def test_no_consent_anywhere_is_suppressed_with_each_channels_reason(make_customer, topics, deliver):
    customer = make_customer()
    t = MessageTemplate.objects.create(key="tip", name="Tip", topic=topics["tips"], push_title="x",
                                       email_subject="x", email_text="x")
    d = deliver(lambda: send(customer, t, channels=[Channel.WEB_PUSH, Channel.EMAIL]))
    d.refresh_from_db()
    assert (d.status, d.suppressed_reason) == (DeliveryStatus.SUPPRESSED, "no_consent")
    assert d.events.last().detail == "web_push: no_consent; email: no_consent"


def test_channels_outside_the_topic_leave_no_channel(make_customer, topics, deliver):
    customer = make_customer()
    t = MessageTemplate.objects.create(key="s", name="S", topic=topics["surveys"], sms_text="x")
    d = deliver(lambda: send(customer, t, channels=[Channel.SMS]))
    d.refresh_from_db()
    assert (d.status, d.suppressed_reason) == (DeliveryStatus.SUPPRESSED, "topic_not_on_channel")


def test_global_marketing_cap_suppresses_the_next_offer(make_customer, smtp_server, topics, deliver, settings):
    settings.MARKETING_MAX_PER_DAY = 1
    customer = make_customer(timezone="UTC")
    opt_in(customer, topics["offers"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.ADMIN),
                       quiet_hours=_no_quiet_hours())
    t = MessageTemplate.objects.create(key="o", name="O", topic=topics["offers"], email_subject="x", email_text="x")
    first = deliver(lambda: send(customer, t, key="a", channels=[Channel.EMAIL]))
    second = deliver(lambda: send(customer, t, key="b", channels=[Channel.EMAIL]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DeliveryStatus.SENT
    assert (second.status, second.suppressed_reason) == (DeliveryStatus.SUPPRESSED, "frequency_cap")
    assert len(smtp_server.messages) == 1


def _no_quiet_hours():  # type: ignore[no-untyped-def]
    from datetime import time

    from preferences.services import QuietHours

    return QuietHours(False, time(21), time(9))


def test_inbox_channel_replaces_the_older_message_with_the_same_key(make_customer, topics, deliver):
    customer = make_customer()
    opt_in(customer, topics["offers"], Channel.INBOX)
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.ADMIN), quiet_hours=_no_quiet_hours())
    t = MessageTemplate.objects.create(key="deal", name="Deal", topic=topics["offers"], replace_key="deal",
                                       inbox_title="Deal {{ data.n }}", inbox_expiry_hours=24)
    deliver(lambda: send(customer, t, key="1", channels=[Channel.INBOX], data={"n": 1}))
    deliver(lambda: send(customer, t, key="2", channels=[Channel.INBOX], data={"n": 2}))
    [message] = InboxMessage.objects.filter(customer=customer)
    assert message.title == "Deal 2"
    assert timedelta(hours=23) < message.expires_at - timezone.now() <= timedelta(hours=24)


# --- quiet hours in the customer's time zone --------------------------------------------------------------

def _offer_to(make_customer, topics, tz):  # type: ignore[no-untyped-def]
    customer = make_customer(timezone=tz)
    opt_in(customer, topics["offers"], Channel.INBOX)
    t = MessageTemplate.objects.get_or_create(key="qh", defaults={"name": "Q", "topic": topics["offers"],
                                                                  "inbox_title": "Offer"})[0]
    return customer, t


def _queued(customer, template, key="q"):  # type: ignore[no-untyped-def]
    deliveries_plan(plans=[DeliveryPlan(customer_id=customer.pk, topic_id=template.topic_id, template_id=template.pk,
                                        dedupe_key=f"{key}:{customer.pk}", channel_order=[Channel.INBOX])])
    return Delivery.objects.get(dedupe_key=f"{key}:{customer.pk}")


@pytest.mark.parametrize(("tz", "now_utc", "expected_utc"), [
    # Tokyo (UTC+9): 23:30 local is inside 21:00-09:00; the next 09:00 local is 00:00 UTC.
    ("Asia/Tokyo", datetime(2026, 6, 1, 14, 30, tzinfo=UTC), datetime(2026, 6, 2, 0, 0, tzinfo=UTC)),
    # Tokyo just after midnight local (00:10), same night: 09:00 local that day.
    ("Asia/Tokyo", datetime(2026, 6, 1, 15, 10, tzinfo=UTC), datetime(2026, 6, 2, 0, 0, tzinfo=UTC)),
    # New York (EDT, UTC-4) 00:30 local: 09:00 EDT = 13:00 UTC.
    ("America/New_York", datetime(2026, 6, 2, 4, 30, tzinfo=UTC), datetime(2026, 6, 2, 13, 0, tzinfo=UTC)),
    # New York the night DST ends (1 Nov 2026): 23:00 EDT, wakes at 09:00 EST = 14:00 UTC.
    ("America/New_York", datetime(2026, 11, 1, 3, 0, tzinfo=UTC), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
    # New York the night DST starts (8 Mar 2026): 22:00 EST, wakes at 09:00 EDT = 13:00 UTC.
    ("America/New_York", datetime(2026, 3, 8, 3, 0, tzinfo=UTC), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),
])
def test_marketing_is_deferred_to_the_end_of_quiet_hours(make_customer, topics, enqueued, tz, now_utc, expected_utc):
    from messaging.pipeline import send_batch

    customer, t = _offer_to(make_customer, topics, tz)
    d = _queued(customer, t)
    assert send_batch(delivery_ids=[d.pk], now=now_utc) == 1
    d.refresh_from_db()
    assert (d.status, d.scheduled_at, d.attempts) == (DeliveryStatus.SCHEDULED, expected_utc, 0)
    assert not InboxMessage.objects.exists()


def test_outside_quiet_hours_tokyo_gets_it_at_once(make_customer, topics, enqueued):
    from messaging.pipeline import send_batch

    customer, t = _offer_to(make_customer, topics, "Asia/Tokyo")
    d = _queued(customer, t)
    send_batch(delivery_ids=[d.pk], now=datetime(2026, 6, 1, 3, 0, tzinfo=UTC))  # 12:00 in Tokyo
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT


def test_transactional_topics_ignore_quiet_hours(make_customer, template, enqueued):
    from messaging.pipeline import send_batch

    customer = make_customer(timezone="Asia/Tokyo")
    d = send(customer, template, channels=[Channel.INBOX])
    send_batch(delivery_ids=[d.pk], now=datetime(2026, 6, 1, 17, 0, tzinfo=UTC))  # 02:00 in Tokyo
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT


def test_the_customers_own_daily_cap_suppresses_the_second_offer(make_customer, topics, deliver, settings):
    settings.MARKETING_MAX_PER_DAY = 0  # no global cap: only the customer's choice applies
    customer = make_customer(timezone="UTC")
    opt_in(customer, topics["offers"], Channel.INBOX)
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.ADMIN), frequency="daily",
                       quiet_hours=_no_quiet_hours())
    t = MessageTemplate.objects.create(key="d", name="D", topic=topics["offers"], inbox_title="Offer")
    first = deliver(lambda: send(customer, t, key="a", channels=[Channel.INBOX]))
    second = deliver(lambda: send(customer, t, key="b", channels=[Channel.INBOX]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DeliveryStatus.SENT
    assert (second.status, second.suppressed_reason) == (DeliveryStatus.SUPPRESSED, "frequency_cap")


def test_email_links_become_tracked_short_links_that_attribute_the_click(make_customer, smtp_server, template,
                                                                         deliver, client):
    from urllib.parse import urlparse

    from campaigns.tasks import events_evaluate
    from links.models import Click

    customer = make_customer()
    template.email_html = ('<p><a href="https://shop.example/o/{{ data.order_id }}">Track it</a> '
                           '<a href="mailto:help@shop.example">Help</a></p>')
    template.email_text = "Track it: https://shop.example/o/{{ data.order_id }}"
    template.save()
    d = deliver(lambda: send(customer, template, channels=[Channel.EMAIL]))
    [(_, mail)] = smtp_server.messages
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "https://shop.example/o/A1" not in html and "https://shop.example/o/A1" not in text
    assert 'href="mailto:help@shop.example"' in html
    short = next(word for word in text.split() if "/l/" in word)
    assert short in html  # one short link per destination, in both parts

    url = urlparse(short)
    response = client.get(f"{url.path}?{url.query}", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    assert response.status_code == 302 and response["Location"].startswith("https://shop.example/o/A1")
    click = Click.objects.get()
    assert (click.customer_id, click.delivery_id) == (customer.pk, d.pk)
    from links.services import click_event_emit

    events_evaluate([click_event_emit(click_id=click.pk)])  # what the link_clicked task and consumer do
    d.refresh_from_db()
    assert d.clicked_at is not None
