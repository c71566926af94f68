"""Fixtures for the links tests: an isolated cache per test and a link factory."""

import itertools
import uuid
from typing import Any

import pytest

from links import privacy
from links.models import Link
from links.services import link_create

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_cache(settings):  # type: ignore[no-untyped-def]
    # A fresh key prefix instead of cache.clear(): on the PostgreSQL run the cache is a Redis shared with
    # other test runs (and with django-q's broker), which must not be flushed.
    default = dict(settings.CACHES["default"])
    default["KEY_PREFIX"] = f"links-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": default}
    privacy.forget_salt_cache()
    yield
    privacy.forget_salt_cache()


@pytest.fixture
def make_link(db):  # type: ignore[no-untyped-def]
    """make_link(**fields) -> a Link created through link_create (QR codes drawn)."""

    def make(**fields: Any) -> Link:
        data: dict[str, Any] = {"title": f"Link {next(_seq)}", "default_url": "https://shop.example.com/app"}
        data.update(fields)
        return link_create(data=data)

    return make


@pytest.fixture
def landing_page(db):  # type: ignore[no-untyped-def]
    from links.models import LandingPage
    from links.services import landing_page_save

    return landing_page_save(page=LandingPage(
        slug="spring", title="Spring in the app", body="# Hello\n\n**Save** now <script>alert(1)</script>",
        hero_image_url="https://cdn.example/hero.jpg", app_store_url="https://apps.apple.com/app/id1",
        play_store_url="https://play.google.com/store/apps/details?id=x"))
