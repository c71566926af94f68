"""The messaging API: transactional sends, delivery status, push subscriptions, opens, the inbox for apps."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from messaging.models import Delivery, InboxMessage, MessageTemplate, PushSubscription
from messaging.services import InboxDraft, inbox_messages_write
from messaging.tracking import delivery_reference
from preferences import tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(topics):  # type: ignore[no-untyped-def]
    return MessageTemplate.objects.create(key="order-confirmation", name="Order", topic=topics["order-updates"],
                                          push_title="Order {{ data.order_id }}", inbox_title="Order")


def _post(api, **body):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/messages/", body, format="json")


def test_a_transactional_message_is_accepted_and_queued_on_commit(api, make_customer, template, enqueued,
                                                                  django_capture_on_commit_callbacks):
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, customer=customer.external_id, template="order-confirmation",
                         channels=["web_push", "inbox"], data={"order_id": "A1"}, idempotency_key="o-A1")
    assert response.status_code == 202
    [ref] = response.json()["deliveries"]
    assert ref["status"] == "queued" and response.json()["created"] is True
    assert enqueued == [("messaging.tasks.deliveries_send", ([ref["id"]],))]
    again = _post(api, customer=customer.external_id, template="order-confirmation", idempotency_key="o-A1")
    assert again.status_code == 202 and again.json()["deliveries"][0]["id"] == ref["id"]
    assert again.json()["created"] is False and Delivery.objects.count() == 1


def test_inline_content_needs_a_topic_and_valid_templates(api, make_customer, topics):
    customer = make_customer()
    base = {"customer": customer.external_id, "idempotency_key": "x"}
    assert _post(api, **base, content={"push_title": "Hi"}).status_code == 400
    bad = _post(api, **base, topic="order-updates", content={"push_title": "{% if %}"})
    assert bad.status_code == 400 and "content" in bad.json()["fields"]
    assert _post(api, **base, topic="order-updates", content={"nope": "x"}).status_code == 400
    assert _post(api, **base, topic="order-updates", content={"replace_key": "a b"}).status_code == 400
    ok = _post(api, **base, topic="order-updates", content={"push_title": "Hi {{ customer.first_name }}"})
    assert ok.status_code == 202


@pytest.mark.parametrize("body", [
    {"template": "order-confirmation", "idempotency_key": "k"},  # no customer
    {"customer": "C-nobody", "template": "order-confirmation", "idempotency_key": "k"},
    {"customer": "$C", "template": "nope", "idempotency_key": "k"},
    {"customer": "$C", "template": "order-confirmation", "idempotency_key": "k", "channels": ["fax"]},
    {"customer": "$C", "template": "order-confirmation", "idempotency_key": "k", "channels": ["sms", "sms"]},
    {"customer": "$C", "template": "order-confirmation", "idempotency_key": "k", "topic": "nope"},
    {"customer": "$C", "template": "order-confirmation", "content": {"push_title": "x"}, "idempotency_key": "k"},
    {"customer": "$C", "template": "order-confirmation"},  # no idempotency key
    {"customer": "$C", "template": "order-confirmation", "idempotency_key": "k", "data": [1]},
    {"customer": "$C", "template": "order-confirmation", "idempotency_key": "k", "send_at": "tomorrow"},
])
def test_bad_requests_are_400_with_the_field(api, make_customer, template, body):
    customer = make_customer()
    body = {k: (customer.external_id if v == "$C" else v) for k, v in body.items()}
    response = _post(api, **body)
    assert response.status_code == 400 and response.json()["error"] == "invalid"


def test_a_list_body_and_no_key_are_refused(api, make_customer):
    assert api.post("/api/v1/messages/", [1, 2], format="json").status_code == 400
    assert APIClient().post("/api/v1/messages/", {}, format="json").status_code == 401


def test_delivery_status_with_history(api, make_customer, template, enqueued):
    customer = make_customer()
    response = _post(api, customer=customer.external_id, template="order-confirmation", idempotency_key="z",
                     send_at=(timezone.now() + timedelta(hours=1)).isoformat())
    pk = response.json()["deliveries"][0]["id"]
    body = api.get(f"/api/v1/deliveries/{pk}").json()
    assert (body["status"], body["customer"], body["template"], body["history"]) == (
        "scheduled", customer.external_id, "order-confirmation", [])
    assert api.get("/api/v1/deliveries/999999").status_code == 404


def _sub_body(**extra):  # type: ignore[no-untyped-def]
    return {"endpoint": "https://push.example/abc", "keys": {"p256dh": "B" * 87, "auth": "a" * 22},
            "expirationTime": None, **extra}


def test_a_browser_stores_its_subscription_with_a_customer_token(make_customer):
    customer = make_customer()
    browser = APIClient()
    browser.credentials(HTTP_AUTHORIZATION=f"Customer {tokens.customer_link_token(customer.pk, tokens.INBOX)}")
    response = browser.post("/api/v1/push-subscriptions", _sub_body(), format="json")
    assert response.status_code == 201
    assert PushSubscription.objects.get().customer_id == customer.pk
    assert browser.post("/api/v1/push-subscriptions", _sub_body(), format="json").status_code == 201
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize("header", ["Customer nonsense", "Customer", "Customer a b",
                                    "Customer {preferences_token}"])
def test_bad_customer_tokens_are_401(make_customer, header):
    customer = make_customer()
    header = header.format(preferences_token=tokens.customer_link_token(customer.pk, tokens.PREFERENCES))
    browser = APIClient()
    browser.credentials(HTTP_AUTHORIZATION=header)
    assert browser.post("/api/v1/push-subscriptions", _sub_body(), format="json").status_code == 401


def test_a_server_stores_a_subscription_with_its_api_key(api, make_customer):
    customer = make_customer()
    assert api.post("/api/v1/push-subscriptions", _sub_body(), format="json").status_code == 400
    assert api.post("/api/v1/push-subscriptions", _sub_body(customer=customer.external_id),
                    format="json").status_code == 201
    assert api.post("/api/v1/push-subscriptions", {"endpoint": "not a url"}, format="json").status_code == 400


def test_a_notification_click_is_an_open(make_customer, topics):
    d = Delivery.objects.create(customer=make_customer(), topic=topics["offers"], dedupe_key="o")
    anonymous = APIClient()
    response = anonymous.post(f"/api/v1/push-subscriptions/open?d={delivery_reference(d.pk)}", {"action": ""},
                              format="json")
    assert response.status_code == 204
    d.refresh_from_db()
    assert d.opened_at is not None
    assert anonymous.post("/api/v1/push-subscriptions/open?d=forged", {}, format="json").status_code == 404
    assert anonymous.post("/api/v1/push-subscriptions/open", {}, format="json").status_code == 400


def test_inbox_api_lists_counts_reads_and_archives(api, make_customer):
    customer, other = make_customer(), make_customer()
    inbox_messages_write(drafts=[InboxDraft(customer_id=customer.pk, title=f"M{i}") for i in range(3)]
                         + [InboxDraft(customer_id=customer.pk, title="old", expires_at=timezone.now())])
    q = f"?customer={customer.external_id}"
    body = api.get("/api/v1/inbox" + q).json()
    assert body["unread_count"] == 3 and [m["title"] for m in body["messages"]] == ["M2", "M1", "M0"]
    first = body["messages"][0]["id"]
    assert api.post(f"/api/v1/inbox/{first}/read" + q).status_code == 204
    assert api.get("/api/v1/inbox/unread-count" + q).json() == {"unread_count": 2}
    assert api.post(f"/api/v1/inbox/{first}/archive" + q).status_code == 204
    assert api.get("/api/v1/inbox" + q).json()["count"] == 2
    assert api.post(f"/api/v1/inbox/{first}/read?customer={other.external_id}").status_code == 404
    assert api.get("/api/v1/inbox").status_code == 400
    assert api.get("/api/v1/inbox?customer=nobody").status_code == 400
    assert InboxMessage.objects.filter(customer=customer).count() == 4


def test_ids_beyond_bigint_are_404_not_500(api, make_customer):
    customer = make_customer()
    huge = 2**70
    assert api.get(f"/api/v1/deliveries/{huge}").status_code == 404
    assert api.post(f"/api/v1/inbox/{huge}/read?customer={customer.external_id}").status_code == 404


@pytest.mark.parametrize("content", [{"push_title": "x", "inbox_expiry_hours": "soon"},
                                     {"push_title": "x", "push_ttl": True},
                                     {"push_title": "x", "keep_in_inbox": "yes"},
                                     {"push_title": 5}])
def test_bad_inline_options_are_400(api, make_customer, topics, content):
    response = _post(api, customer=make_customer().external_id, topic="order-updates", content=content,
                     idempotency_key="k")
    assert response.status_code == 400
