import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import ADMIN, MARKETER
from links.devices import classify
from links.models import Link
from links.services import click_record
from links.tests import user_agents as ua


@pytest.fixture(params=[MARKETER, ADMIN])
def staff_client(request, db) -> Client:  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(f"{request.param.lower()}-user", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=request.param))
    client = Client()
    client.force_login(user)
    return client


def _clicks(link: Link, n: int, *, qr: bool = False) -> None:
    for i in range(n):
        user_agent = [ua.IOS["iPhone Safari"], ua.ANDROID["Android Chrome"], ua.DESKTOP["Edge on Windows"]][i % 3]
        click_record(link_id=link.pk, max_clicks=None, visit=classify(user_agent), referrer="", ip_hash="",
                     from_qr=qr)


def test_link_list_shows_click_counts_in_one_query(staff_client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        _clicks(make_link(slug=f"list-{i}"), 3, qr=bool(i % 2))
    staff_client.get("/admin/links/link/")  # warm up session and permission caches
    with CaptureQueriesContext(connection) as few:
        response = staff_client.get("/admin/links/link/")
    for i in range(3, 10):
        make_link(slug=f"list-{i}")
    with CaptureQueriesContext(connection) as many:
        staff_client.get("/admin/links/link/")
    assert response.status_code == 200
    assert len(few) == len(many)  # not one query per row
    assert b"list-0" in response.content


def test_link_page_has_chart_clicks_qr_and_copy(staff_client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="detail")
    _clicks(link, 4, qr=True)
    response = staff_client.get(f"/admin/links/link/{link.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-label="Clicks per day"' in body
    assert "/l/detail/qr.svg" in body and "/l/detail/qr.svg?download=1" in body and "qr.png?size=1024" in body
    assert "navigator.clipboard.writeText" in body
    assert body.count("<td>iOS</td>") >= 1


def test_add_link_in_admin_goes_through_the_service(staff_client: Client, db) -> None:  # type: ignore[no-untyped-def]
    assert staff_client.get("/admin/links/link/add/").status_code == 200
    response = staff_client.post("/admin/links/link/add/", {
        "title": "From admin", "slug": "Admin-Made", "is_active": "on", "default_url": "https://a.example/",
        "qr_error_correction": "Q"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    link = Link.objects.get()
    assert link.slug == "admin-made" and link.qr_svg and link.created_by is not None


def test_admin_rejects_unsafe_destination(staff_client: Client, db) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post("/admin/links/link/add/", {
        "title": "Bad", "default_url": "javascript:alert(1)", "qr_error_correction": "M"})
    assert response.status_code == 200 and not Link.objects.exists()


def test_landing_page_and_click_admin_load(staff_client: Client, landing_page, make_link) -> None:  # type: ignore[no-untyped-def]
    _clicks(make_link(), 1)
    assert staff_client.get("/admin/links/landingpage/").status_code == 200
    response = staff_client.get(f"/admin/links/landingpage/{landing_page.pk}/change/")
    assert response.status_code == 200 and b'<iframe src="/p/spring"' in response.content
    assert staff_client.get("/admin/links/landingpage/add/").status_code == 200
    assert staff_client.get("/admin/links/click/").status_code == 200


def test_delete_in_admin(staff_client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    response = staff_client.post(f"/admin/links/link/{link.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Link.objects.exists()
