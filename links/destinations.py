"""Where a link may send people, and how its UTM parameters join the destination's own query string."""

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_url_validator = URLValidator(schemes=["http", "https"])
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def validate_http_url(value: str) -> None:
    """Accept absolute http(s) URLs only.

    A short link is a redirect anyone can trigger, so `javascript:`, `data:`, relative ("/x") and
    protocol-relative ("//evil.example") targets are refused: they would run script or leave our control.
    """
    text = (value or "").strip()
    if text != value or any(ord(c) < 33 for c in text):
        raise ValidationError("Enter the URL without spaces or control characters.", code="invalid_url")
    if urlsplit(text).scheme.lower() not in ("http", "https"):
        raise ValidationError("Only absolute http:// or https:// URLs are allowed.", code="unsafe_url")
    _url_validator(text)


def utm_merge(url: str, utm: Mapping[str, str]) -> str:
    """Return `url` with the non-empty UTM values set, keeping its other parameters, their order and its fragment.

    A UTM key already in the URL is replaced by the link's value: the link's UTM fields are where the marketer
    states the attribution, and two `utm_source` values would be read differently by each analytics tool.
    """
    values = {k: v for k, v in utm.items() if v}
    if not values:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in values]
    query.extend((k, values[k]) for k in UTM_KEYS if k in values)
    return urlunsplit(parts._replace(query=urlencode(query)))
