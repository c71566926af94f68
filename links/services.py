"""Writes for links: create and edit links (with their QR codes), record clicks, landing pages.

Every function owns its transaction. Edits clear the link's cached redirect target, so the next click uses them.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Customer
from accounts.services import event_ingest_one
from config.queue import enqueue_on_commit
from links import qr
from links.devices import Visit
from links.models import RANDOM_SLUG_LENGTH, SLUG_ALPHABET, Click, LandingPage, Link
from links.rendering import markdown_to_safe_html
from links.selectors import link_cache_key
from links.spool import spool

# The fields a marketer (admin form) or a client (API) may set.
LINK_FIELDS = (
    "slug", "title", "description", "image_url", "ios_url", "android_url", "default_url", "landing_page",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "campaign", "is_active",
    "valid_from", "valid_until", "max_clicks", "qr_error_correction",
)
LINK_CLICKED = "link_clicked"
_SLUG_ATTEMPTS = 8


def random_slug() -> str:
    # 31 characters ** 7 = 27 billion slugs: collisions are rare, and a retry covers them.
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(RANDOM_SLUG_LENGTH))


def normalize_slug(value: str | None) -> str:
    return (value or "").strip().lower()


def _apply(link: Link, data: Mapping[str, Any]) -> None:
    for name in LINK_FIELDS:
        if name in data:
            value = data[name]
            if name == "slug":
                value = normalize_slug(value)
            elif isinstance(value, str):
                value = value.strip()
            setattr(link, name, value)


def _draw_qr(link: Link) -> None:
    payload = qr.qr_payload(link.short_url)
    link.qr_payload = payload
    link.qr_svg = qr.render_svg(payload, link.qr_error_correction)
    link.qr_png = qr.render_png(payload, link.qr_error_correction)


def _forget(*slugs: str) -> None:
    cache.delete_many([link_cache_key(s) for s in slugs if s])


def _slug_taken() -> ValidationError:
    return ValidationError({"slug": ["This short link is already taken."]})


def link_create(*, data: Mapping[str, Any], created_by_id: int | None = None) -> Link:
    """Create a link from validated `data` (LINK_FIELDS) with its QR codes drawn and stored.

    Without a slug a random one is chosen. Raises ValidationError for invalid fields or a taken slug.
    """
    custom = bool(normalize_slug(data.get("slug")))
    for _ in range(_SLUG_ATTEMPTS):
        link = Link(created_by_id=created_by_id)
        _apply(link, data)
        if not custom:
            link.slug = random_slug()
        link.full_clean(exclude=["qr_png"])
        _draw_qr(link)
        try:
            with transaction.atomic():
                link.save(force_insert=True)
        except IntegrityError as exc:
            if custom:
                raise _slug_taken() from exc
            continue
        # Clears an "unknown slug" marker that a click before the link existed may have cached.
        transaction.on_commit(lambda slug=link.slug: _forget(slug))
        return link
    raise _slug_taken()


TRACKED_TITLE = "Tracked link in messages"


def link_for_destination(*, url: str) -> Link:
    """The tracked link that stands for `url` in messages, made on first use (one per destination)."""
    link = Link.objects.filter(title=TRACKED_TITLE, default_url=url, is_active=True).order_by("pk").first()
    return link or link_create(data={"title": TRACKED_TITLE, "default_url": url})


def link_update(*, link_id: int, data: Mapping[str, Any]) -> Link:
    """Apply validated `data` to a link; redraw its QR codes when their content or settings changed.

    Raises Link.DoesNotExist or ValidationError (invalid fields, slug taken).
    """
    try:
        with transaction.atomic():
            link = Link.objects.select_for_update().get(pk=link_id)
            old_slug, old_max = link.slug, link.max_clicks
            _apply(link, data)
            link.slug = link.slug or old_slug  # an emptied slug field keeps the link's address
            link.full_clean(exclude=["qr_png"])
            if link.max_clicks is not None and old_max is None:
                # The cap counter is only kept while a cap is set: start it from the clicks so far.
                link.capped_clicks = Click.objects.filter(link_id=link.pk).count()
            if link.qr_payload != qr.qr_payload(link.short_url) or "qr_error_correction" in data:
                _draw_qr(link)
            link.save()
    except IntegrityError as exc:
        raise _slug_taken() from exc
    # After commit (admin wraps its save in a transaction): a click in between must not re-cache the old row.
    transaction.on_commit(lambda: _forget(old_slug, link.slug))
    return link


def link_qr_refresh(*, link_id: int) -> Link:
    """Redraw a link's QR codes, e.g. after SITE_URL changed. Raises Link.DoesNotExist."""
    with transaction.atomic():
        link = Link.objects.select_for_update().get(pk=link_id)
        _draw_qr(link)
        link.save(update_fields=["qr_payload", "qr_svg", "qr_png", "updated_at"])
    return link


def links_delete(*, link_ids: list[int]) -> int:
    """Delete links with their clicks; their cached targets go too."""
    slugs = list(Link.objects.filter(pk__in=link_ids).values_list("slug", flat=True))
    with transaction.atomic():
        deleted, _ = Link.objects.filter(pk__in=link_ids).delete()
    transaction.on_commit(lambda: _forget(*slugs))
    return deleted


def click_record(*, link_id: int, max_clicks: int | None, visit: Visit, referrer: str, ip_hash: str,
                 from_qr: bool, customer_id: int | None = None, delivery_id: int | None = None) -> bool:
    """Record one human click, the only write on the redirect's path; False when nothing was recorded.

    A plain click goes to the click spool when LINKS_CLICK_SPOOL is on (one append to a local file, stored in a
    batch within a second). A click on a capped link is a conditional UPDATE of the counter plus an INSERT; an
    attributed one is an INSERT that queues its link_clicked event after commit. Nothing is recorded (False)
    when the link is over its maximum or no longer exists.
    """
    referrer = referrer[:500]
    if settings.LINKS_CLICK_SPOOL and max_clicks is None and customer_id is None:
        spool.append({"link_id": link_id, "at": timezone.now().isoformat(),
                      "platform": visit.platform, "device": visit.device, "os": visit.os, "browser": visit.browser,
                      "referrer": referrer, "ip_hash": ip_hash, "from_qr": from_qr})
        return True
    click = Click(link_id=link_id, platform=visit.platform, device=visit.device, os=visit.os,
                  browser=visit.browser, referrer=referrer, ip_hash=ip_hash, from_qr=from_qr,
                  customer_id=customer_id, delivery_id=delivery_id)
    try:
        with transaction.atomic():
            if max_clicks is not None and not Link.objects.filter(
                    pk=link_id, capped_clicks__lt=max_clicks).update(capped_clicks=F("capped_clicks") + 1):
                return False
            click.save(force_insert=True)
            if customer_id is not None:
                enqueue_on_commit("links.tasks.click_event_emit", click.pk)
    except IntegrityError:  # the link was deleted while its target was still cached
        return False
    return True


def click_event_emit(*, click_id: int) -> int | None:
    """Store the link_clicked event of an attributed click through the events path; returns the event id.

    Idempotent: the idempotency key is the click's, so running it twice stores one event. None when the click
    or its customer no longer exists.
    """
    click = Click.objects.select_related("link").filter(pk=click_id, customer_id__isnull=False).first()
    if click is None:
        return None
    external_id = Customer.objects.filter(pk=click.customer_id).values_list("external_id", flat=True).first()
    if external_id is None:
        return None
    properties = {"link": click.link.slug, "campaign": click.link.campaign, "platform": click.platform,
                  "from_qr": click.from_qr, "click_id": click.pk}
    if click.delivery_id is not None:
        properties["delivery_id"] = click.delivery_id
    return event_ingest_one(external_id=external_id, name=LINK_CLICKED, properties=properties,
                            occurred_at=click.clicked_at, idempotency_key=f"{LINK_CLICKED}:{click.pk}")


def landing_page_save(*, page: LandingPage) -> LandingPage:
    """Validate and save a landing page with its body rendered to safe HTML; links pointing to it are refreshed.

    Raises ValidationError.
    """
    page.slug = normalize_slug(page.slug)
    page.full_clean()
    page.body_html = markdown_to_safe_html(page.body)
    with transaction.atomic():
        page.save()
        slugs = list(page.links.values_list("slug", flat=True)) if page.pk else []
    transaction.on_commit(lambda: _forget(*slugs))
    return page
