from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Event
from links.models import Click, Link, Platform
from links.references import link_reference_sign
from links.services import link_update
from links.tests import user_agents as ua

IOS_URL = "https://apps.apple.com/app/id123"
ANDROID_URL = "https://play.google.com/store/apps/details?id=com.shop"
DEFAULT_URL = "https://shop.example.com/app"


@pytest.fixture
def app_link(make_link) -> Link:  # type: ignore[no-untyped-def]
    return make_link(slug="app", ios_url=IOS_URL, android_url=ANDROID_URL, default_url=DEFAULT_URL)


def _open(client: Client, path: str, user_agent: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.get(path, HTTP_USER_AGENT=user_agent, **extra)


ROUTES = [
    *[(n, s, IOS_URL) for n, s in ua.IOS.items()],
    *[(n, s, ANDROID_URL) for n, s in ua.ANDROID.items()],
    *[(n, s, DEFAULT_URL) for n, s in ua.NO_PLAY_STORE.items()],
    *[(n, s, DEFAULT_URL) for n, s in ua.DESKTOP.items()],
]


@pytest.mark.parametrize(("name", "user_agent", "destination"), ROUTES, ids=[r[0] for r in ROUTES])
def test_each_device_is_sent_to_its_destination_with_an_uncached_302(
        client: Client, app_link: Link, name: str, user_agent: str, destination: str) -> None:
    response = _open(client, "/l/app", user_agent)
    assert response.status_code == 302
    assert response["Location"] == destination
    assert response["Cache-Control"] == "no-store"
    assert Click.objects.filter(link=app_link).count() == 1


def test_ipados_desktop_mode_lets_the_browser_choose_by_touch_screen(client: Client, app_link: Link) -> None:
    response = _open(client, "/l/app", ua.MAC_OR_IPAD["iPadOS desktop mode / Mac Safari"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "maxTouchPoints" in body and IOS_URL in body and DEFAULT_URL in body
    assert Click.objects.get().platform == Platform.MAC_OR_IPAD


def test_mac_safari_is_redirected_when_ios_has_no_separate_destination(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="web", default_url=DEFAULT_URL)
    response = _open(client, "/l/web", ua.MAC_OR_IPAD["iPadOS desktop mode / Mac Safari"])
    assert (response.status_code, response["Location"]) == (302, DEFAULT_URL)


def test_devices_without_their_own_destination_fall_back_to_default(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="web", default_url=DEFAULT_URL)
    assert _open(client, "/l/web", ua.IOS["iPhone Safari"])["Location"] == DEFAULT_URL


def test_slug_is_case_insensitive(client: Client, app_link: Link) -> None:
    assert _open(client, "/l/APP", ua.IOS["iPhone Safari"])["Location"] == IOS_URL


def test_head_redirects_without_counting(client: Client, app_link: Link) -> None:
    response = client.head("/l/app", HTTP_USER_AGENT=ua.ANDROID["Android Chrome"])
    assert (response.status_code, response["Location"]) == (302, ANDROID_URL)
    assert not Click.objects.exists()


def test_post_is_not_allowed(client: Client, app_link: Link) -> None:
    assert client.post("/l/app").status_code == 405


@pytest.mark.parametrize("path", ["/l/nope123", "/l/%00", "/l/" + "a" * 300, "/l/ab", "/l/-x-"])
def test_unknown_slug_is_a_404_page(client: Client, db, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, HTTP_USER_AGENT=ua.IOS["iPhone Safari"])
    assert response.status_code == 404
    assert b"does not exist" in response.content


def test_utm_is_merged_into_the_destination(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="utm", default_url="https://a.example/p?id=7#top", utm_source="flyer", utm_medium="print")
    assert _open(client, "/l/utm", ua.DESKTOP["Firefox on Linux"])["Location"] == (
        "https://a.example/p?id=7&utm_source=flyer&utm_medium=print#top")


@pytest.mark.parametrize(("fields", "text"), [
    ({"is_active": False}, b"no longer active"),
    ({"valid_until": timezone.now() - timedelta(minutes=1)}, b"offer has ended"),
    ({"valid_from": timezone.now() + timedelta(days=1)}, b"not active yet"),
])
def test_inactive_or_expired_links_answer_a_friendly_410(client: Client, make_link, fields, text) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="gone", **fields)
    response = _open(client, "/l/gone", ua.IOS["iPhone Safari"])
    assert response.status_code == 410
    assert text in response.content
    assert not Click.objects.exists()


def test_link_inside_its_validity_window_redirects(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    make_link(slug="window", valid_from=now - timedelta(hours=1), valid_until=now + timedelta(hours=1))
    assert _open(client, "/l/window", ua.IOS["iPhone Safari"]).status_code == 302


def test_max_clicks_then_410(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="capped", max_clicks=2)
    statuses = [_open(client, "/l/capped", ua.IOS["iPhone Safari"]).status_code for _ in range(3)]
    assert statuses == [302, 302, 410]
    assert Click.objects.filter(link=link).count() == 2


def test_bots_get_open_graph_and_are_not_counted(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="preview", title="Spring sale", description="Up to 50% off", image_url="https://cdn.example/og.png")
    for user_agent in ua.BOTS.values():
        response = _open(client, "/l/preview", user_agent)
        assert response.status_code == 200
        body = response.content.decode()
        assert '<meta property="og:title" content="Spring sale">' in body
        assert '<meta property="og:description" content="Up to 50% off">' in body
        assert '<meta property="og:image" content="https://cdn.example/og.png">' in body
    assert not Click.objects.exists()


def test_click_records_device_referrer_qr_and_a_hashed_ip(client: Client, app_link: Link) -> None:
    _open(client, "/l/app?s=qr", ua.ANDROID["Samsung Internet"], HTTP_REFERER="https://news.example/",
          REMOTE_ADDR="203.0.113.9")
    click = Click.objects.get()
    assert (click.platform, click.os, click.browser, click.from_qr) == (
        Platform.ANDROID, "Android", "Samsung Internet", True)
    assert click.referrer == "https://news.example/"
    assert len(click.ip_hash) == 32 and "203.0.113.9" not in click.ip_hash
    _open(client, "/l/app", ua.ANDROID["Samsung Internet"], REMOTE_ADDR="203.0.113.9")
    first, second = Click.objects.order_by("id")
    assert second.from_qr is False
    assert first.ip_hash == second.ip_hash  # one visitor within a day


def test_signed_reference_attributes_the_click_and_queues_the_event(
        client: Client, app_link: Link, make_customer, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer()
    ref = link_reference_sign(customer_id=customer.pk, delivery_id=77)
    with django_capture_on_commit_callbacks() as callbacks:
        assert _open(client, f"/l/app?r={ref}", ua.IOS["iPhone Safari"]).status_code == 302
    click = Click.objects.get()
    assert (click.customer_id, click.delivery_id) == (customer.pk, 77)
    assert len(callbacks) == 1  # link_clicked goes through the queue, off the redirect's path


@pytest.mark.parametrize("ref", ["", "garbage", "1.2:forged-signature", "%ff%fe"])
def test_tampered_or_missing_reference_still_redirects_unattributed(
        client: Client, app_link: Link, make_customer, ref: str) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer()
    good = link_reference_sign(customer_id=customer.pk)
    for value in (ref, good.replace(str(customer.pk), str(customer.pk + 1), 1)):
        assert _open(client, f"/l/app?r={value}", ua.IOS["iPhone Safari"]).status_code == 302
    assert Click.objects.count() == 2
    assert not Click.objects.filter(customer__isnull=False).exists()
    assert not Event.objects.exists()


def test_edit_applies_to_the_next_click(client: Client, app_link: Link, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    assert _open(client, "/l/app", ua.DESKTOP["Edge on Windows"])["Location"] == DEFAULT_URL  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        link_update(link_id=app_link.pk, data={"default_url": "https://new.example/"})
    assert _open(client, "/l/app", ua.DESKTOP["Edge on Windows"])["Location"] == "https://new.example/"


def test_a_link_created_after_its_slug_was_tried_is_found(client: Client, make_link,
                                                          django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    assert _open(client, "/l/later", ua.IOS["iPhone Safari"]).status_code == 404  # "unknown" is cached
    with django_capture_on_commit_callbacks(execute=True):
        make_link(slug="later")
    assert _open(client, "/l/later", ua.IOS["iPhone Safari"]).status_code == 302


def test_link_to_a_landing_page(client: Client, make_link, landing_page) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="lpage", default_url="", landing_page=landing_page, ios_url=IOS_URL)
    assert _open(client, "/l/lpage", ua.DESKTOP["Edge on Windows"])["Location"] == f"/p/{landing_page.slug}"
    assert _open(client, "/l/lpage", ua.ANDROID["Android Chrome"])["Location"] == f"/p/{landing_page.slug}"
    assert _open(client, "/l/lpage", ua.IOS["iPhone Safari"])["Location"] == IOS_URL
