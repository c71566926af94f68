import pytest
from django.core.exceptions import ValidationError

from links.destinations import utm_merge, validate_http_url

UTM = {"utm_source": "flyer", "utm_medium": "print", "utm_campaign": "spring", "utm_term": "", "utm_content": ""}


def test_utm_keeps_the_destinations_query_and_fragment() -> None:
    merged = utm_merge("https://shop.example.com/p?id=7&color=red#reviews", UTM)
    assert merged == ("https://shop.example.com/p?id=7&color=red&utm_source=flyer&utm_medium=print"
                      "&utm_campaign=spring#reviews")


def test_utm_on_a_url_without_query_keeps_the_fragment() -> None:
    assert utm_merge("https://a.example/x#top", UTM) == (
        "https://a.example/x?utm_source=flyer&utm_medium=print&utm_campaign=spring#top")


def test_links_utm_replaces_the_same_key_and_keeps_blank_and_repeated_params() -> None:
    merged = utm_merge("https://a.example/?utm_source=old&tag=a&tag=b&empty=", UTM)
    assert merged == ("https://a.example/?tag=a&tag=b&empty=&utm_source=flyer&utm_medium=print"
                      "&utm_campaign=spring")


def test_no_utm_leaves_the_url_untouched() -> None:
    url = "https://a.example/x?b=2&a=1#f"
    assert utm_merge(url, dict.fromkeys(UTM, "")) == url


def test_utm_values_are_encoded() -> None:
    assert utm_merge("https://a.example/", {"utm_campaign": "spring & summer"}) == (
        "https://a.example/?utm_campaign=spring+%26+summer")


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative/path",
    "relative", "//evil.example/path", "ftp://files.example/x", "https:/missing-slash", " https://a.example/",
    "https://a.example/\nSet-Cookie:x", "vbscript:msgbox", "itms-apps://apps.apple.com/app/id1", "",
])
def test_unsafe_destinations_are_rejected(url: str) -> None:
    with pytest.raises(ValidationError):
        validate_http_url(url)


@pytest.mark.parametrize("url", ["https://apps.apple.com/app/id123", "http://127.0.0.1:8000/p/x?a=1#b"])
def test_http_urls_are_accepted(url: str) -> None:
    validate_http_url(url)
