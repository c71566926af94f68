from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from links.devices import Visit
from links.models import Click, Link, Platform
from links.services import click_record

VALID = {"title": "Spring flyer", "ios_url": "https://apps.apple.com/app/id123",
         "android_url": "https://play.google.com/store/apps/details?id=com.shop",
         "default_url": "https://shop.example.com/app?x=1#top", "utm_source": "flyer", "campaign": "spring-2026"}


def test_create_returns_short_and_qr_urls(api: APIClient, settings) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/links/", {**VALID, "slug": "Spring"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "spring"
    assert body["short_url"] == f"{settings.SITE_URL}/l/spring"
    assert body["qr_svg_url"] == f"{settings.SITE_URL}/l/spring/qr.svg"
    assert body["qr_png_url"] == f"{settings.SITE_URL}/l/spring/qr.png"
    link = Link.objects.get()
    assert link.campaign == "spring-2026" and link.qr_svg and link.created_by is None


def test_create_with_random_slug_and_landing_page(api: APIClient, landing_page) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/links/", {"title": "LP", "landing_page": "spring"}, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["slug"]) == 7 and response.json()["landing_page"] == "spring"


@pytest.mark.parametrize(("body", "field"), [
    ({**VALID, "default_url": "javascript:alert(1)"}, "default_url"),
    ({**VALID, "ios_url": "data:text/html,hi"}, "ios_url"),
    ({**VALID, "android_url": "/relative"}, "android_url"),
    ({**VALID, "default_url": "//evil.example"}, "default_url"),
    ({"title": "no destination"}, "default_url"),
    ({**VALID, "title": ""}, "title"),
    ({**VALID, "slug": "no spaces"}, "slug"),
    ({**VALID, "slug": "x" * 65}, "slug"),
    ({**VALID, "max_clicks": 0}, "max_clicks"),
    ({**VALID, "max_clicks": "lots"}, "max_clicks"),
    ({**VALID, "qr_error_correction": "Z"}, "qr_error_correction"),
    ({**VALID, "landing_page": "missing"}, "landing_page"),
    ({**VALID, "valid_from": "2026-01-02T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}, "valid_until"),
    ({**VALID, "valid_until": "tomorrow"}, "valid_until"),
])
def test_invalid_input_is_a_400_with_the_field(api: APIClient, body: dict, field: str) -> None:
    response = api.post("/api/v1/links/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert field in response.json()["fields"]
    assert not Link.objects.exists()


def test_taken_slug_is_a_400(api: APIClient, make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="taken")
    response = api.post("/api/v1/links/", {**VALID, "slug": "TAKEN"}, format="json")
    assert response.status_code == 400 and "slug" in response.json()["fields"]


@pytest.mark.parametrize("raw", [b"[]", b"\"text\"", b"{not json", b"null"])
def test_malformed_bodies_are_4xx(api: APIClient, raw: bytes) -> None:
    response = api.generic("POST", "/api/v1/links/", raw, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_wrong_content_type_is_415(api: APIClient) -> None:
    assert api.post("/api/v1/links/", "title=x", content_type="text/plain").status_code == 415


def test_without_key_is_401(db) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().post("/api/v1/links/", VALID, format="json")
    assert response.status_code == 401 and response.json()["error"] == "not_authenticated"
    assert APIClient().get("/api/v1/links/x/stats").status_code == 401


def _click(link: Link, platform: str, *, qr: bool, days_ago: int = 0) -> None:
    click_record(link_id=link.pk, max_clicks=None, visit=Visit(platform, "", "", "", False), referrer="",
                 ip_hash="", from_qr=qr)
    Click.objects.filter(pk=Click.objects.latest("id").pk).update(clicked_at=timezone.now() - timedelta(days=days_ago))


def test_stats_by_day_device_and_source(api: APIClient, make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="stats")
    _click(link, Platform.IOS, qr=True)
    _click(link, Platform.IOS, qr=False)
    _click(link, Platform.ANDROID, qr=True, days_ago=2)
    _click(link, Platform.DESKTOP, qr=False, days_ago=40)
    response = api.get("/api/v1/links/STATS/stats?days=7")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4 and body["days"] == 7
    assert body["by_device"] == {"ios": 2, "android": 1, "mac_or_ipad": 0, "desktop": 1, "other": 0}
    assert body["by_source"] == {"qr": 2, "direct": 2}
    assert len(body["by_day"]) == 7
    assert body["by_day"][-1] == {"date": timezone.now().date().isoformat(), "clicks": 2}
    assert body["by_day"][-3]["clicks"] == 1
    assert sum(d["clicks"] for d in body["by_day"]) == 3


def test_stats_of_unknown_link_is_404(api: APIClient) -> None:
    response = api.get("/api/v1/links/nope/stats")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


@pytest.mark.parametrize("days", ["0", "366", "abc", "-1", "7.5", ""])
def test_stats_with_bad_days_is_400(api: APIClient, make_link, days: str) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="stats")
    response = api.get(f"/api/v1/links/stats/stats?days={days}")
    assert response.status_code == 400 and "days" in response.json()["fields"]


def test_schema_documents_the_links_api(api: APIClient) -> None:
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/links/" in response.content and b"/api/v1/links/{slug}/stats" in response.content
