"""Every stored QR code decodes back to its URL with a real decoder (zxing-cpp)."""

import io
import re

import cairosvg
import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from links.qr import QUIET_ZONE


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("level", ["M", "Q", "H"])
def test_svg_decodes_to_the_short_url_with_qr_marker(client: Client, make_link, settings, level: str) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="scan-me", qr_error_correction=level)
    response = client.get("/l/scan-me/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    png = cairosvg.svg2png(bytestring=response.content, output_width=600)
    assert _decode(Image.open(io.BytesIO(png))) == [f"{settings.SITE_URL}/l/scan-me?s=qr"]


@pytest.mark.parametrize("size", [64, 512, 2048])
def test_png_decodes_to_the_short_url_at_every_size(client: Client, make_link, settings, size: int) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="png-code")
    response = client.get(f"/l/png-code/qr.png?size={size}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.width == image.height <= size
    assert _decode(image.convert("L").resize((600, 600), Image.Resampling.NEAREST)) == [
        f"{settings.SITE_URL}/l/png-code?s=qr"]


def test_quiet_zone_is_at_least_four_modules_and_level_m_is_default(make_link) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    assert link.qr_error_correction == "M"
    image = Image.open(io.BytesIO(bytes(link.qr_png))).convert("L")  # one pixel per module
    border = [image.getpixel((x, y)) for x in range(image.width) for y in range(QUIET_ZONE)]
    assert QUIET_ZONE >= 4 and set(border) == {255}
    viewbox = re.search(r'viewBox="0 0 (\d+) (\d+)"', link.qr_svg)
    assert viewbox and int(viewbox.group(1)) == image.width
    assert re.search(r'width="\d+mm"', link.qr_svg)  # physical size for print


def test_svg_download_for_print(client: Client, make_link) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="printme")
    response = client.get("/l/printme/qr.svg?download=1")
    assert response["Content-Disposition"] == 'attachment; filename="printme-qr.svg"'


@pytest.mark.parametrize("size", ["0", "63", "2049", "abc", "1e3", "-5", "99999999999999999999"])
def test_png_size_outside_the_limits_is_a_400(client: Client, make_link, size: str) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="limits")
    assert client.get(f"/l/limits/qr.png?size={size}").status_code == 400


def test_qr_of_unknown_slug_is_404(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/l/nothing/qr.svg").status_code == 404
    assert client.get("/l/nothing/qr.png").status_code == 404


def test_qr_is_redrawn_when_site_url_changed(client: Client, make_link, settings) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="moved")
    settings.SITE_URL = "https://go.shop.example"
    png = cairosvg.svg2png(bytestring=client.get("/l/moved/qr.svg").content, output_width=600)
    assert _decode(Image.open(io.BytesIO(png))) == ["https://go.shop.example/l/moved?s=qr"]
