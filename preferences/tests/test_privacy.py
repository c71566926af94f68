import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import Customer, Event
from accounts.services import events_ingest
from preferences import privacy, tokens
from preferences.models import Channel, ConsentRecord, ErasureRecord, Source, Subscription
from preferences.services import ConsentMeta, customer_erase, preferences_update


def token_path(name, customer):  # type: ignore[no-untyped-def]
    return reverse(f"preferences:{name}", args=[tokens.customer_link_token(customer.pk, tokens.PREFERENCES)])


@pytest.fixture
def two_customers(make_customer, topics):  # type: ignore[no-untyped-def]
    ada = make_customer(first_name="Ada", email="ada@example.com", phone="+31612345678")
    bob = make_customer(first_name="Bob", email="bob@example.com")
    events_ingest(events=[
        {"external_id": ada.external_id, "name": "order_placed", "properties": {"address": "Dam 1"},
         "occurred_at": datetime(2026, 11, 1, tzinfo=UTC), "idempotency_key": "a1"},
        {"external_id": ada.external_id, "name": "app_opened", "properties": {},
         "occurred_at": datetime(2026, 11, 2, tzinfo=UTC), "idempotency_key": "a2"},
        {"external_id": bob.external_id, "name": "order_placed", "properties": {"address": "Bobstraat 2"},
         "occurred_at": datetime(2026, 11, 1, tzinfo=UTC), "idempotency_key": "b1"},
    ])
    for customer in (ada, bob):
        preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.API, ip="192.0.2.1",
                                                                     user_agent="UA"),
                           choices={(topics["tips"].pk, Channel.EMAIL): True})
    return ada, bob


def test_export_holds_profile_events_consent_and_nothing_of_others(client, two_customers):
    ada, bob = two_customers
    response = client.get(token_path("export", ada))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.content)
    assert data["profile"]["email"] == "ada@example.com" and data["profile"]["phone"] == "+31612345678"
    assert sorted(e["name"] for e in data["events"]) == ["app_opened", "order_placed"]
    assert data["preferences"]["topics"]["tips"]["email"] is True
    assert [(r["topic"], r["channel"], r["granted"], r["ip"]) for r in data["consent_records"]] == [
        ("tips", "email", True, "192.0.2.1")]
    text = response.content.decode()
    assert "bob" not in text.lower() and "Bobstraat" not in text and bob.external_id not in text


def test_other_apps_add_export_sections_and_erasers(two_customers, monkeypatch):
    ada, _ = two_customers
    monkeypatch.setattr(privacy, "_sections", {"deliveries": lambda cid: [{"customer": cid, "channel": "email"}]})
    monkeypatch.setattr(privacy, "_erasers", {"push_subscriptions": lambda cid: 2})
    from preferences.selectors import customer_export

    assert customer_export(ada.pk)["deliveries"] == [{"customer": ada.pk, "channel": "email"}]
    assert customer_erase(customer_id=ada.pk, source=Source.ADMIN).counts["push_subscriptions"] == 2


def test_erase_page_confirms_then_erases_personal_data_and_keeps_counts(client, two_customers):
    ada, bob = two_customers
    page = client.get(token_path("erase", ada))
    assert page.status_code == 200 and "Yes, delete my data" in page.content.decode()
    assert Customer.objects.get(pk=ada.pk).email == "ada@example.com"  # GET changes nothing

    response = client.post(token_path("erase", ada), {"confirm": "yes"})
    assert "Your data has been deleted" in response.content.decode()
    ada.refresh_from_db()
    assert (ada.email, ada.phone, ada.first_name, ada.last_name, ada.birthday, ada.attributes) == \
        ("", "", "", "", None, {})
    assert ada.external_id.startswith("erased-")
    # anonymous counts survive: the events stay, without their properties
    assert Event.objects.filter(customer=ada).count() == 2
    assert not Event.objects.filter(customer=ada).exclude(properties={}).exists()
    assert not Subscription.objects.filter(customer=ada).exists()
    record = ConsentRecord.objects.get(customer=ada)
    assert (record.ip, record.user_agent) == (None, "")
    erasure = ErasureRecord.objects.get(customer=ada)
    assert erasure.counts["events"] == 2 and erasure.source == Source.PREFERENCE_CENTER
    # the other customer is untouched
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"
    assert Event.objects.get(customer=bob).properties == {"address": "Bobstraat 2"}
    # the old link now leads nowhere
    assert client.get(token_path("center", ada)).status_code == 410


def test_erase_needs_csrf(two_customers):
    from django.test import Client

    ada, _ = two_customers
    assert Client(enforce_csrf_checks=True).post(token_path("erase", ada), {"confirm": "yes"}).status_code == 403
    assert not ErasureRecord.objects.exists()


def test_consent_ip_purge_clears_old_ips_only(two_customers):
    from datetime import timedelta

    from django.utils import timezone

    from preferences.services import consent_ip_purge

    ada, bob = two_customers
    ConsentRecord.objects.filter(customer=ada).update(created_at=timezone.now() - timedelta(days=2000))
    assert consent_ip_purge() == 1
    assert ConsentRecord.objects.get(customer=ada).ip is None
    assert ConsentRecord.objects.get(customer=bob).ip == "192.0.2.1"
