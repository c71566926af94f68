from io import StringIO

from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke


def _client(raw):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return c


def test_key_is_stored_hashed_never_in_clear(db):
    key, raw = api_key_create(name="shop")
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in str(row.values())
    assert row["digest"] != raw and len(row["digest"]) == 64
    assert raw.startswith(row["prefix"])


def test_valid_key_authenticates_and_records_last_use(db, make_customer):
    make_customer(external_id="K1")
    key, raw = api_key_create(name="shop")
    assert _client(raw).get("/api/v1/customers/K1").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_revoked_key_is_401_with_reason(db):
    key, raw = api_key_create(name="shop")
    assert api_key_revoke(api_key_id=key.pk) is True
    assert api_key_revoke(api_key_id=key.pk) is False
    r = _client(raw).get("/api/v1/customers/K1")
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_unknown_and_malformed_keys_are_401(db):
    assert _client("hub_nope").get("/api/v1/customers/x").status_code == 401
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert c.get("/api/v1/customers/x").status_code == 401


def test_create_api_key_command_prints_the_key_alone_on_its_last_line(db, make_customer):
    out = StringIO()
    call_command("create_api_key", "crm", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("hub_") and " " not in raw
    make_customer(external_id="K2")
    assert _client(raw).get("/api/v1/customers/K2").status_code == 200
