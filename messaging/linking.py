"""Links in email content become tracked short links, so a click is counted and attributed to its delivery.

Only http(s) links written in the template are rewritten (not mailto:, tel:, or the footer's own preference,
unsubscribe and pixel links, which are added afterwards). One short link per destination, shared by every
message; the signed reference names the customer and the delivery.
"""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from links.references import tracked_url
from links.services import link_for_destination

HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
BARE_URL = re.compile(r"""https?://[^\s<>"')\]]+""")


def _tracker(customer_id: int, delivery_id: int) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def track(url: str) -> str:
        if url not in cache:
            try:
                cache[url] = tracked_url(link_for_destination(url=url), customer_id, delivery_id)
            except ValidationError:  # not a destination a link may have: leave it as written
                cache[url] = url
        return cache[url]

    return track


def track_links(*, html: str, text: str, customer_id: int, delivery_id: int) -> tuple[str, str]:
    """Return (html, text) with their http(s) links replaced by tracked short links."""
    track = _tracker(customer_id, delivery_id)
    html = HREF.sub(lambda m: f"{m.group(1)}{m.group(2)}{track(m.group(3))}{m.group(2)}", html) if html else html
    text = BARE_URL.sub(lambda m: track(m.group(0)), text) if text else text
    return html, text
