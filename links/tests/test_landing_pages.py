from django.contrib.auth import get_user_model
from django.test import Client

from links.demo import load_demo
from links.models import LandingPage, Link


def test_landing_page_renders_sanitised_markdown_and_store_buttons(client: Client, landing_page) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/p/spring")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>Save</strong>" in body and "<script>alert" not in body
    assert 'href="https://apps.apple.com/app/id1"' in body and "play.google.com" in body
    assert 'name="viewport"' in body and "https://cdn.example/hero.jpg" in body
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # for the admin preview


def test_unpublished_page_is_visible_to_staff_only(client: Client, landing_page) -> None:  # type: ignore[no-untyped-def]
    LandingPage.objects.filter(pk=landing_page.pk).update(is_published=False)
    assert client.get("/p/spring").status_code == 404
    client.force_login(get_user_model().objects.create_user("staff", is_staff=True))
    assert client.get("/p/spring").status_code == 200


def test_unknown_page_is_404(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/p/none").status_code == 404
    assert client.get("/p/%ZZ").status_code == 404


def test_demo_is_idempotent(db, settings) -> None:  # type: ignore[no-untyped-def]
    lines = load_demo("http://127.0.0.1:8000/")
    assert load_demo("http://127.0.0.1:8000") == lines
    assert Link.objects.count() == 1 and LandingPage.objects.count() == 1
    assert lines[0] == ("Short link: http://127.0.0.1:8000/l/spring-flyer   "
                        "QR: http://127.0.0.1:8000/l/spring-flyer/qr.png")
