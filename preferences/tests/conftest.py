"""Fixtures for the preferences tests: the demo topics and a private cache per test."""

import itertools

import pytest

from preferences.demo import topics_ensure
from preferences.models import Topic

_cache_seq = itertools.count()


@pytest.fixture(autouse=True)
def private_cache(settings):  # type: ignore[no-untyped-def]
    """Rate-limit counters live in the cache; a fresh local one per test keeps tests independent and
    never touches a shared Redis that other test runs may be using."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"prefs-test-{next(_cache_seq)}"}}


@pytest.fixture
def topics(db) -> dict[str, Topic]:  # type: ignore[no-untyped-def]
    """order-updates and delivery-pickup (transactional), offers (marketing, double opt-in), tips, surveys."""
    return topics_ensure()
