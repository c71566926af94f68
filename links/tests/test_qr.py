"""Every stored QR code decodes back to its URL with a real decoder (zxing-cpp)."""

import io
import re

import pytest
import zxingcpp
from django.test import Client
from PIL import Image, ImageDraw

from links.qr import QUIET_ZONE

try:  # cairosvg needs the system's libcairo; without it the test draws the SVG's squares itself
    import cairosvg
except (ImportError, OSError):
    cairosvg = None

PIXELS = 600


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def _svg_pixels(svg: bytes) -> Image.Image:
    """Render the SVG: with cairosvg when it is there, else from its viewBox and its path of unit squares."""
    if cairosvg is not None:
        return Image.open(io.BytesIO(cairosvg.svg2png(bytestring=svg, output_width=PIXELS)))
    text = svg.decode()
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', text).group(1))
    scale = PIXELS // size
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H\d+V\d+H\d+z", text):
        draw.rectangle([int(x) * scale, int(y) * scale, (int(x) + 1) * scale - 1, (int(y) + 1) * scale - 1], fill=0)
    return image


@pytest.mark.parametrize("level", ["M", "Q", "H"])
def test_svg_decodes_to_the_short_url_with_qr_marker(client: Client, make_link, settings, level: str) -> None:  # type: ignore[no-untyped-def]
    make_link(slug="scan-me", qr_error_correction=level)
    response = client.get("/l/scan-me/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert _decode(_svg_pixels(response.content)) == [f"{settings.SITE_URL}/l/scan-me?s=qr"]


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


def test_svg_fallback_renderer_agrees_with_the_code(make_link, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="fallback", qr_error_correction="Q")
    monkeypatch.setattr(f"{__name__}.cairosvg", None)
    assert _decode(_svg_pixels(link.qr_svg.encode())) == [f"{settings.SITE_URL}/l/fallback?s=qr"]


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
    assert _decode(_svg_pixels(client.get("/l/moved/qr.svg").content)) == ["https://go.shop.example/l/moved?s=qr"]
