"""Signed delivery references: what an open pixel, a notification click or a tracked link carries.

A reference names one delivery inside a signature (salt per use), so nobody can mark another delivery
opened by guessing ids. It never expires: an email opened a year later is still that delivery's open.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "messaging.delivery-reference"


class InvalidReference(Exception):
    """Malformed or tampered with."""


def delivery_reference(delivery_id: int) -> str:
    return signing.dumps(delivery_id, salt=_SALT)


def read_delivery_reference(reference: str) -> int:
    """The delivery id inside a reference; raises InvalidReference (never anything else)."""
    try:
        value = signing.loads(reference, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidReference from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidReference
    return value


def open_pixel_url(delivery_id: int) -> str:
    """The 1x1 GIF an email embeds: fetching it marks the delivery opened."""
    return settings.SITE_URL + reverse("messaging:open-pixel", args=[delivery_reference(delivery_id)])


def push_open_url(delivery_id: int) -> str:
    """Where the service worker POSTs a notification click (static/sw.js: data.open_url)."""
    return settings.SITE_URL + reverse("api-push-open") + "?d=" + delivery_reference(delivery_id)
