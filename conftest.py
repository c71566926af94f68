"""Fixtures shared by every app's tests: API clients with real keys, and customer factories."""

import itertools
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Customer
from accounts.services import api_key_create

_seq = itertools.count(1)


@pytest.fixture
def make_customer(db):  # type: ignore[no-untyped-def]
    """make_customer(**fields) -> a saved Customer with unique external_id and email."""

    def make(**fields: Any) -> Customer:
        n = next(_seq)
        defaults: dict[str, Any] = {"external_id": f"C{n:05d}", "email": f"customer{n}@example.com",
                                    "first_name": "Test", "locale": "en", "timezone": "Europe/Amsterdam"}
        defaults.update(fields)
        return Customer.objects.create(**defaults)

    return make


@pytest.fixture
def api_key(db) -> str:  # type: ignore[no-untyped-def]
    _, raw = api_key_create(name="tests")
    return raw


@pytest.fixture
def api(api_key: str) -> APIClient:
    """An API client that sends a valid `Authorization: Bearer` key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client
