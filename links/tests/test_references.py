from urllib.parse import parse_qs, urlsplit

from django.core import signing

from links.references import Reference, link_reference_read, link_reference_sign, tracked_url


def test_reference_round_trip() -> None:
    assert link_reference_read(link_reference_sign(customer_id=42, delivery_id=7)) == Reference(42, 7)
    assert link_reference_read(link_reference_sign(customer_id=42)) == Reference(42, None)


def test_tampered_or_foreign_signatures_are_ignored() -> None:
    token = link_reference_sign(customer_id=42, delivery_id=7)
    assert link_reference_read(token.replace("42.", "43.", 1)) is None
    assert link_reference_read(signing.Signer().sign("42.7")) is None  # another salt
    assert link_reference_read(signing.Signer(salt="links.reference").sign("x.y")) is None
    for junk in ("", ":", "a" * 500, "42.7"):
        assert link_reference_read(junk) is None


def test_tracked_url_carries_a_readable_reference(make_link, settings) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="news")
    url = tracked_url(link, 5, 11)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{settings.SITE_URL}/l/news"
    assert link_reference_read(parse_qs(parts.query)["r"][0]) == Reference(5, 11)
