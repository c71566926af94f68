"""The signed reference that ties a click to a customer (and a delivery) in personalised links.

messaging adds it to every short link in a message with `tracked_url`. Its own signing salt keeps it from being
swapped with any other signed value of the project. A missing or tampered reference is not an error: the
click is counted, unattributed.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing

from links.models import Link

REFERENCE_PARAM = "r"
QR_PARAM = "s"
QR_VALUE = "qr"
_SIGNER = signing.Signer(salt="links.reference")


@dataclass(frozen=True)
class Reference:
    customer_id: int
    delivery_id: int | None


def link_reference_sign(*, customer_id: int, delivery_id: int | None = None) -> str:
    """Return a URL-safe token for `?r=`, e.g. "42.7:Vj5...". Not secret (the ids are readable), only unforgeable."""
    return _SIGNER.sign(f"{int(customer_id)}.{'' if delivery_id is None else int(delivery_id)}")


def link_reference_read(token: str) -> Reference | None:
    """The reference in `token`, or None when it is missing, malformed or its signature does not match."""
    if not token or len(token) > 200:
        return None
    try:
        customer, _, delivery = _SIGNER.unsign(token).partition(".")
        return Reference(customer_id=int(customer), delivery_id=int(delivery) if delivery else None)
    except (signing.BadSignature, ValueError):
        return None


def tracked_url(link: Link, customer_id: int, delivery_id: int | None = None) -> str:
    """The absolute short URL of `link` carrying a signed reference to the customer and delivery."""
    token = link_reference_sign(customer_id=customer_id, delivery_id=delivery_id)
    return f"{link.short_url}?{urlencode({REFERENCE_PARAM: token})}"
