import pytest
from django.core.exceptions import ValidationError

from accounts.models import Event
from accounts.timeline import customer_timeline
from links import tasks
from links.devices import classify
from links.models import SLUG_ALPHABET, Click, Link
from links.references import link_reference_sign
from links.services import click_event_emit, click_record, link_update
from links.tests import user_agents as ua


def test_random_slugs_use_the_unambiguous_alphabet(make_link) -> None:  # type: ignore[no-untyped-def]
    slugs = {make_link().slug for _ in range(20)}
    assert len(slugs) == 20
    for slug in slugs:
        assert len(slug) >= 6 and set(slug) <= set(SLUG_ALPHABET)
        assert not set(slug) & set("01ilo")


def test_custom_slug_is_stored_in_lower_case(make_link) -> None:  # type: ignore[no-untyped-def]
    assert make_link(slug="  Spring-Flyer ").slug == "spring-flyer"


def test_a_taken_slug_in_any_case_is_rejected(make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="spring")
    with pytest.raises(ValidationError) as exc:
        make_link(slug="SPRING")
    assert "slug" in exc.value.message_dict


@pytest.mark.parametrize("fields", [
    {"default_url": "javascript:alert(1)"}, {"ios_url": "data:text/html,x"}, {"android_url": "/relative"},
    {"default_url": "//evil.example/"}, {"default_url": ""}, {"slug": "a b"}, {"slug": "x"},
    {"image_url": "javascript:x"},
])
def test_invalid_links_are_rejected(make_link, fields) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        make_link(**fields)
    assert not Link.objects.exists()


def test_qr_is_drawn_on_create_and_redrawn_when_slug_or_level_change(make_link, settings) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="first")
    assert link.qr_payload == f"{settings.SITE_URL}/l/first?s=qr"
    svg, png = link.qr_svg, bytes(link.qr_png)
    link = link_update(link_id=link.pk, data={"slug": "second"})
    assert link.qr_payload == f"{settings.SITE_URL}/l/second?s=qr" and link.qr_svg != svg
    link = link_update(link_id=link.pk, data={"qr_error_correction": "H"})
    assert bytes(link.qr_png) != png
    link.refresh_from_db()
    assert link.qr_error_correction == "H" and link.qr_payload.endswith("/l/second?s=qr")


def test_emptying_the_slug_keeps_the_address(make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="stays")
    assert link_update(link_id=link.pk, data={"slug": "  "}).slug == "stays"


def test_setting_a_cap_later_counts_the_clicks_so_far(make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    for _ in range(3):
        click_record(link_id=link.pk, max_clicks=None, visit=classify(ua.IOS["iPhone Safari"]), referrer="",
                     ip_hash="", from_qr=False)
    link = link_update(link_id=link.pk, data={"max_clicks": 4})
    assert link.capped_clicks == 3
    results = [click_record(link_id=link.pk, max_clicks=4, visit=classify(""), referrer="", ip_hash="",
                            from_qr=False) for _ in range(2)]
    assert results == [True, False]


@pytest.mark.django_db(transaction=True)  # the foreign key is checked at commit
def test_click_record_for_a_deleted_link_records_nothing(make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    link_id = link.pk
    link.delete()
    assert click_record(link_id=link_id, max_clicks=None, visit=classify(""), referrer="", ip_hash="",
                        from_qr=False) is False


def test_click_from_a_known_customer_stores_one_link_clicked_event(make_link, make_customer) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer()
    link = make_link(slug="sale", campaign="spring-2026")
    assert click_record(link_id=link.pk, max_clicks=None, visit=classify(ua.IOS["iPhone Safari"]), referrer="",
                        ip_hash="", from_qr=True, customer_id=customer.pk, delivery_id=9)
    click = Click.objects.get()
    event_id = tasks.click_event_emit(click.pk)
    assert tasks.click_event_emit(click.pk) == event_id  # runs twice, stores once
    event = Event.objects.get()
    assert (event.pk, event.customer_id, event.name) == (event_id, customer.pk, "link_clicked")
    assert event.properties == {"link": "sale", "campaign": "spring-2026", "platform": "ios", "from_qr": True,
                                "click_id": click.pk, "delivery_id": 9}
    assert event.occurred_at == click.clicked_at


def test_no_event_for_an_unknown_customer(make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    click_record(link_id=link.pk, max_clicks=None, visit=classify(""), referrer="", ip_hash="",
                 from_qr=False, customer_id=999_999)
    click = Click.objects.get()
    assert click_event_emit(click_id=click.pk) is None
    assert not Event.objects.exists()


def test_end_to_end_signed_click_then_task_then_timeline(client, make_link, make_customer,  # type: ignore[no-untyped-def]
                                                         django_capture_on_commit_callbacks, monkeypatch) -> None:
    customer = make_customer()
    make_link(slug="flyer", campaign="spring")
    queued: list[tuple] = []
    monkeypatch.setattr("config.queue.async_task", lambda path, *args, **kw: queued.append((path, *args)))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/l/flyer?r={link_reference_sign(customer_id=customer.pk)}",
                   HTTP_USER_AGENT=ua.IOS["iPhone Safari"])
    click = Click.objects.get()
    assert queued == [("links.tasks.click_event_emit", click.pk)]
    tasks.click_event_emit(click.pk)
    kinds = {(e.kind, e.title.split(" ")[0]) for e in customer_timeline(customer.pk)}
    assert kinds == {("click", "Opened"), ("event", "link_clicked")}
