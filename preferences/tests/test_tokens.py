import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing

from preferences import tokens


def test_token_round_trip_per_purpose():
    token = tokens.customer_link_token(42, tokens.PREFERENCES)
    assert tokens.read_token(token, tokens.PREFERENCES) == tokens.TokenData(customer_id=42)


def test_token_of_one_purpose_does_not_open_another():
    token = tokens.customer_link_token(42, tokens.INBOX)
    with pytest.raises(tokens.InvalidToken):
        tokens.read_token(token, tokens.PREFERENCES)


@pytest.mark.parametrize("token", ["", "abc", "WzFd:1xW:forged", "x" * 500, "%00", "WzFd::"])
def test_garbage_is_invalid_not_an_error(token):
    with pytest.raises(tokens.InvalidToken):
        tokens.read_token(token, tokens.PREFERENCES)


def test_tampered_payload_is_invalid():
    token = tokens.customer_link_token(42, tokens.PREFERENCES)
    other = tokens.customer_link_token(43, tokens.PREFERENCES)
    forged = other.split(":")[0] + ":" + ":".join(token.split(":")[1:])
    with pytest.raises(tokens.InvalidToken):
        tokens.read_token(forged, tokens.PREFERENCES)


def test_expired_token_says_whose_it_was(settings):
    settings.PREFERENCES_LINK_MAX_AGE_DAYS = 90
    # A token signed 91 days ago: same format as customer_link_token, older timestamp.
    token = _sign_at([7], "preferences.link.preferences", days_ago=91)
    with pytest.raises(tokens.ExpiredToken) as exc:
        tokens.read_token(token, tokens.PREFERENCES)
    assert exc.value.customer_id == 7


def test_unsubscribe_tokens_never_expire():
    token = _sign_at([7, 3, "email"], "preferences.link.unsubscribe", days_ago=3000)
    assert tokens.read_token(token, tokens.UNSUBSCRIBE) == tokens.TokenData(7, 3, "email")


def test_url_builders_use_site_url(settings):
    settings.SITE_URL = "https://hub.example.com"
    assert tokens.inbox_url(5).startswith("https://hub.example.com/inbox/")
    assert tokens.preference_center_url(5).startswith("https://hub.example.com/preferences/")
    assert tokens.unsubscribe_url(5, 1, "email").startswith("https://hub.example.com/u/")


def _sign_at(payload, salt, *, days_ago):  # type: ignore[no-untyped-def]
    then = time.time() - timedelta(days=days_ago).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=then):
        return signing.dumps(payload, salt=salt, compress=True)
