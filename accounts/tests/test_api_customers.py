import pytest
from rest_framework.test import APIClient

from accounts.models import Customer


@pytest.fixture
def url():
    return lambda ext: f"/api/v1/customers/{ext}"


def test_put_creates_then_updates_and_merges_attributes(api, url):
    r = api.put(url("C1"), {"email": "a@example.com", "timezone": "Europe/Berlin",
                            "attributes": {"tier": "gold", "pets": 2}}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["attributes"] == {"tier": "gold", "pets": 2}

    r = api.put(url("C1"), {"first_name": "Ann", "attributes": {"pets": None, "city": "Bonn"}}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["attributes"] == {"tier": "gold", "city": "Bonn"}
    assert body["email"] == "a@example.com"  # absent fields keep their value
    assert body["first_name"] == "Ann"


def test_explicit_null_clears_a_field(api, url, make_customer):
    make_customer(external_id="C2", email="x@example.com")
    r = api.patch(url("C2"), {"email": None}, format="json")
    assert r.status_code == 200
    assert Customer.objects.get(external_id="C2").email == ""


def test_get_returns_customer_and_404_for_unknown(api, url, make_customer):
    make_customer(external_id="C3", first_name="Bo")
    assert api.get(url("C3")).json()["first_name"] == "Bo"
    r = api.get(url("nope"))
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


def test_patch_unknown_customer_is_404_and_creates_nothing(api, url):
    r = api.patch(url("ghost"), {"first_name": "X"}, format="json")
    assert r.status_code == 404
    assert not Customer.objects.filter(external_id="ghost").exists()


def test_phone_is_normalised_to_e164(api, url):
    r = api.put(url("C4"), {"phone": "+31 6 1234 5678"}, format="json")
    assert r.status_code == 201
    assert r.json()["phone"] == "+31612345678"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"phone": "0612345678"}, "phone"),  # no country code
        ({"phone": "+31 12"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"birthday": "31-12-1990"}, "birthday"),
        ({"attributes": ["not", "a", "dict"]}, "attributes"),
        ({"locale": "english please"}, "locale"),
    ],
)
def test_bad_fields_get_400_naming_the_field(api, url, payload, field):
    r = api.put(url("C5"), payload, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid"
    assert field in body["fields"]
    assert not Customer.objects.filter(external_id="C5").exists()


def test_malformed_json_is_400(api, url):
    r = api.put(url("C6"), data='{"email": ', content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid"


def test_non_object_body_is_400(api, url):
    r = api.put(url("C6"), [1, 2], format="json")
    assert r.status_code == 400
    assert "non_field_errors" in r.json()["fields"]


def test_too_long_external_id_is_400(api, url):
    r = api.put(url("x" * 129), {}, format="json")
    assert r.status_code == 400
    assert "external_id" in r.json()["fields"]


def test_wrong_content_type_is_415(api, url):
    r = api.put(url("C7"), data="email=a@b.c", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


def test_requests_without_key_are_401(db, url):
    r = APIClient().get(url("C1"))
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"
