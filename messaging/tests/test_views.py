"""The web inbox, the service worker at the root and the email open pixel."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Delivery, InboxMessage
from messaging.services import InboxDraft, inbox_messages_write
from messaging.tracking import delivery_reference
from preferences import tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_cache(settings):  # type: ignore[no-untyped-def]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "messaging-views"}}


def _enter(client, customer):  # type: ignore[no-untyped-def]
    response = client.get(f"/inbox/{tokens.customer_link_token(customer.pk, tokens.INBOX)}/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    return client


def test_the_signed_link_opens_the_inbox_newest_first_with_unread_badge(client, make_customer, settings, vapid):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = vapid.private_key, vapid.public_key
    customer = make_customer()
    inbox_messages_write(drafts=[InboxDraft(customer_id=customer.pk, title="First"),
                                 InboxDraft(customer_id=customer.pk, title="Expired",
                                            expires_at=timezone.now() - timedelta(minutes=1))])
    inbox_messages_write(drafts=[InboxDraft(customer_id=customer.pk, title="Second")])
    page = _enter(client, customer).get("/inbox/")
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    assert html.index("Second") < html.index("First") and "Expired" not in html
    assert 'class="badge"' in html and ">2</span>" in html
    assert "data-push-subscribe" in html and vapid.public_key in html and 'data-sw-url="/sw.js"' in html


def test_opening_marks_read_and_archive_removes_it(client, make_customer, topics):
    customer = make_customer()
    d = Delivery.objects.create(customer=customer, topic=topics["offers"], dedupe_key="d")
    inbox_messages_write(drafts=[InboxDraft(customer_id=customer.pk, title="Hello", delivery_id=d.pk)])
    message = InboxMessage.objects.get()
    _enter(client, customer)
    assert client.get(f"/inbox/m/{message.pk}/").status_code == 200
    message.refresh_from_db()
    d.refresh_from_db()
    assert message.read_at is not None and d.opened_at is not None
    assert 'class="badge"' not in client.get("/inbox/").content.decode()
    assert client.post(f"/inbox/m/{message.pk}/archive").status_code == 302
    assert "Hello" not in client.get("/inbox/").content.decode()


def test_someone_elses_message_is_404(client, make_customer):
    mine, theirs = make_customer(), make_customer()
    inbox_messages_write(drafts=[InboxDraft(customer_id=theirs.pk, title="Private")])
    _enter(client, mine)
    assert client.get(f"/inbox/m/{InboxMessage.objects.get().pk}/").status_code == 404


def test_the_inbox_is_paginated(client, make_customer):
    customer = make_customer()
    inbox_messages_write(drafts=[InboxDraft(customer_id=customer.pk, title=f"M{i:02d}") for i in range(25)])
    _enter(client, customer)
    assert client.get("/inbox/?page=2").context["page"].object_list.__len__() == 5
    assert client.get("/inbox/?page=nonsense").status_code == 200


@pytest.mark.parametrize("lang,word", [("nl", "Je inbox"), ("de", "Dein Posteingang"), ("pl", "Twoja skrzynka"),
                                       ("sv", "Din inkorg")])
def test_the_inbox_speaks_the_customers_language(client, make_customer, lang, word):
    _enter(client, make_customer(locale=lang))
    assert word in client.get("/inbox/").content.decode()


def test_bad_links_and_no_session_are_explained_not_500(client, make_customer):
    assert client.get("/inbox/nonsense/").status_code == 404
    assert client.get("/inbox/").status_code == 403
    prefs_token = tokens.customer_link_token(make_customer().pk, tokens.PREFERENCES)
    assert client.get(f"/inbox/{prefs_token}/").status_code == 404
    assert client.post("/inbox/m/1/archive").status_code == 403


def test_the_service_worker_is_served_at_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b"notificationclick" in b"".join(response)


def test_the_open_pixel_is_a_gif_and_marks_the_first_open(client, make_customer, topics):
    d = Delivery.objects.create(customer=make_customer(), topic=topics["offers"], dedupe_key="p")
    response = client.get(f"/m/o/{delivery_reference(d.pk)}.gif")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    d.refresh_from_db()
    first = d.opened_at
    client.get(f"/m/o/{delivery_reference(d.pk)}.gif")
    d.refresh_from_db()
    assert first is not None and d.opened_at == first
    assert client.get("/m/o/forged.gif").status_code == 200


def test_huge_message_ids_are_404(client, make_customer):
    _enter(client, make_customer())
    assert client.get(f"/inbox/m/{2**70}/").status_code == 404
    assert client.post(f"/inbox/m/{2**70}/archive").status_code == 302
