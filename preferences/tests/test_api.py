import pytest
from django.core import mail
from rest_framework.test import APIClient

from preferences import tokens
from preferences.models import ConsentRecord, CustomerSettings, Source, Subscription


def url(external_id: str, what: str = "preferences") -> str:
    return f"/api/v1/customers/{external_id}/{what}"


@pytest.fixture
def customer(make_customer):  # type: ignore[no-untyped-def]
    return make_customer(email="ada@example.com")


def test_get_preferences_with_defaults(api, customer, topics):
    response = api.get(url(customer.external_id))
    assert response.status_code == 200
    body = response.json()
    by_key = {t["key"]: t for t in body["topics"]}
    assert by_key["order-updates"]["channels"]["email"] == {"opted_in": True, "source": "default",
                                                            "updated_at": None}
    assert by_key["offers"]["channels"]["email"]["opted_in"] is False
    assert body["quiet_hours"] == {"enabled": True, "start": "21:00", "end": "09:00"}
    assert body["frequency"] == "as_it_happens"


def test_patch_records_consent_with_source_api_and_forwarded_proof(api, customer, topics):
    response = api.patch(url(customer.external_id), {
        "topics": {"tips": {"email": True, "web_push": True}, "order-updates": {"sms": True}},
        "frequency": "daily", "no_marketing_channels": ["sms"], "quiet_hours": {"enabled": True, "start": "22:00",
                                                                                "end": "08:00"},
        "consent": {"ip": "203.0.113.7", "user_agent": "Shop/1.0", "wording_version": "shop-v3"},
    }, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {t["key"]: t for t in body["topics"]}["tips"]["channels"]["email"]["source"] == "api"
    assert body["pending_confirmation"] == []
    records = ConsentRecord.objects.filter(customer=customer)
    assert records.count() == 4  # tips x2, order updates sms, no marketing by sms
    assert {(r.source, r.ip, r.wording_version) for r in records} == {(Source.API, "203.0.113.7", "shop-v3")}
    prefs = CustomerSettings.objects.get(customer=customer)
    assert (prefs.frequency, prefs.no_marketing_channels) == ("daily", ["sms"])


def test_patch_double_opt_in_topic_is_pending_until_confirmed(api, customer, topics):
    body = api.patch(url(customer.external_id), {"topics": {"offers": {"email": True}}}, format="json").json()
    assert body["pending_confirmation"] == [{"topic": "offers", "channel": "email"}]
    assert not Subscription.objects.exists() and len(mail.outbox) == 1


@pytest.mark.parametrize("payload, field", [
    ({"topics": {"nope": {"email": True}}}, "topics"),
    ({"topics": {"surveys": {"sms": True}}}, "topics"),
    ({"topics": {"tips": {"email": "maybe"}}}, "topics"),
    ({"topics": ["tips"]}, "topics"),
    ({"frequency": "hourly"}, "frequency"),
    ({"no_marketing_channels": ["fax"]}, "no_marketing_channels"),
    ({"channel_order": ["sms", "sms"]}, "channel_order"),
    ({"quiet_hours": {"enabled": True, "start": "25:00", "end": "08:00"}}, "quiet_hours"),
    ({"consent": {"ip": "not-an-ip"}}, "consent"),
])
def test_patch_rejects_bad_fields_with_one_error_shape(api, customer, topics, payload, field):
    response = api.patch(url(customer.external_id), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid" and field in body["fields"]
    assert not ConsentRecord.objects.exists()


def test_patch_non_object_and_malformed_json_are_400(api, customer, topics):
    assert api.patch(url(customer.external_id), [1, 2], format="json").status_code == 400
    response = api.generic("PATCH", url(customer.external_id), "{nope", content_type="application/json")
    assert response.status_code == 400


def test_unknown_customer_is_404(api, topics):
    for method in ("get", "patch"):
        response = getattr(api, method)(url("nobody"), {}, format="json")
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert api.post(url("nobody", "links")).status_code == 404


def test_without_api_key_is_401(customer, topics):
    client = APIClient()
    assert client.get(url(customer.external_id)).status_code == 401
    assert client.post(url(customer.external_id, "links")).status_code == 401


def test_links_are_signed_for_this_customer(api, customer, client, topics):
    response = api.post(url(customer.external_id, "links"))
    assert response.status_code == 201
    body = response.json()
    center = body["preference_center_url"].removeprefix("http://127.0.0.1:8000")
    assert client.get(center).status_code == 200
    inbox_token = body["inbox_url"].split("/inbox/")[1].rstrip("/")
    assert tokens.read_token(inbox_token, tokens.INBOX).customer_id == customer.pk
    assert body["expires_at"]


def test_wrong_method_is_405(api, customer, topics):
    assert api.delete(url(customer.external_id)).status_code == 405
    assert api.get(url(customer.external_id, "links")).status_code == 405
