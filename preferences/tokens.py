"""Signed customer links: the preference center, the inbox, one-click unsubscribe and double opt-in.

A token is a django.core.signing value with a salt per purpose, so a token made for one page never opens
another. It names the customer by primary key inside the signature: no login and nothing guessable.
Messaging builds inbox and unsubscribe URLs with the same functions.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

PREFERENCES = "preferences"
INBOX = "inbox"
UNSUBSCRIBE = "unsubscribe"
DOUBLE_OPT_IN = "double_opt_in"
PURPOSES = (PREFERENCES, INBOX, UNSUBSCRIBE, DOUBLE_OPT_IN)


class InvalidToken(Exception):
    """The token is malformed, tampered with, or made for another purpose."""


class ExpiredToken(Exception):
    """The signature is good but the link is too old; `customer_id` says whose it was."""

    def __init__(self, customer_id: int) -> None:
        super().__init__(customer_id)
        self.customer_id = customer_id


@dataclass(frozen=True)
class TokenData:
    customer_id: int
    topic_id: int | None = None
    channel: str | None = None


def _salt(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose {purpose!r}")
    return f"preferences.link.{purpose}"


def max_age(purpose: str) -> timedelta | None:
    """How long links of this purpose stay valid; None: forever.

    Unsubscribe links never expire: an old newsletter must still let its reader leave (RFC 8058 and the
    ePrivacy rules on marketing email).
    """
    if purpose == UNSUBSCRIBE:
        return None
    if purpose == DOUBLE_OPT_IN:
        return timedelta(days=settings.PREFERENCES_DOUBLE_OPT_IN_MAX_AGE_DAYS)
    return timedelta(days=settings.PREFERENCES_LINK_MAX_AGE_DAYS)


def customer_link_token(customer_id: int, purpose: str, *, topic_id: int | None = None,
                        channel: str | None = None) -> str:
    """A signed token for `purpose` ("preferences", "inbox", "unsubscribe", "double_opt_in").

    Unsubscribe and double opt-in tokens also name the topic and channel they are about.
    """
    payload: list[object] = [customer_id]
    if topic_id is not None:
        payload += [topic_id, channel]
    return signing.dumps(payload, salt=_salt(purpose), compress=True)


def read_token(token: str, purpose: str) -> TokenData:
    """Verify and decode a token; raises InvalidToken or ExpiredToken (never anything else)."""
    salt = _salt(purpose)
    age = max_age(purpose)
    try:
        payload = signing.loads(token, salt=salt, max_age=age)
    except signing.SignatureExpired:
        # The signature itself is genuine, so whose link it was is trustworthy: we may offer a fresh one.
        try:
            payload = signing.loads(token, salt=salt)
        except (signing.BadSignature, ValueError) as exc:
            raise InvalidToken from exc
        data = _data(payload)
        raise ExpiredToken(data.customer_id) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidToken from exc
    return _data(payload)


def _data(payload: object) -> TokenData:
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], int):
        raise InvalidToken
    if len(payload) == 3 and isinstance(payload[1], int) and isinstance(payload[2], str):
        return TokenData(customer_id=payload[0], topic_id=payload[1], channel=payload[2])
    if len(payload) != 1:
        raise InvalidToken
    return TokenData(customer_id=payload[0])


def _absolute(path: str, site_url: str | None) -> str:
    return f"{(settings.SITE_URL if site_url is None else site_url).rstrip('/')}{path}"


def preference_center_url(customer_id: int, *, site_url: str | None = None) -> str:
    token = customer_link_token(customer_id, PREFERENCES)
    return _absolute(reverse("preferences:center", args=[token]), site_url)


def inbox_url(customer_id: int, *, site_url: str | None = None) -> str:
    # The inbox page belongs to messaging; its URL shape (/inbox/<token>/) is agreed in DESIGN.md.
    return _absolute(f"/inbox/{customer_link_token(customer_id, INBOX)}/", site_url)


def unsubscribe_url(customer_id: int, topic_id: int, channel: str, *, site_url: str | None = None) -> str:
    """For List-Unsubscribe (with List-Unsubscribe-Post: List-Unsubscribe=One-Click) and email footers."""
    token = customer_link_token(customer_id, UNSUBSCRIBE, topic_id=topic_id, channel=channel)
    return _absolute(reverse("preferences:unsubscribe", args=[token]), site_url)


def double_opt_in_url(customer_id: int, topic_id: int, channel: str, *, site_url: str | None = None) -> str:
    token = customer_link_token(customer_id, DOUBLE_OPT_IN, topic_id=topic_id, channel=channel)
    return _absolute(reverse("preferences:confirm", args=[token]), site_url)
