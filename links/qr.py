"""QR codes of short links, drawn once when the link is saved and stored on it (never drawn per request)."""

import io

import qrcode
import qrcode.image.svg
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q

from links.references import QR_PARAM, QR_VALUE

_LEVELS = {"M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
# ISO/IEC 18004 asks for a light margin of at least 4 modules; scanners fail on busy print without it.
QUIET_ZONE = 4


def qr_payload(short_url: str) -> str:
    """What the code encodes: the short URL plus the marker that counts scans apart from clicks."""
    return f"{short_url}?{QR_PARAM}={QR_VALUE}"


def _matrix(payload: str, level: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_LEVELS[level], border=QUIET_ZONE, box_size=10)
    code.add_data(payload)
    code.make(fit=True)
    return code


def render_svg(payload: str, level: str) -> str:
    """One filled path on a white background, 1 mm per module: crisp at any print size."""
    code = _matrix(payload, level)
    code.image_factory = qrcode.image.svg.SvgPathFillImage
    return code.make_image().to_string(encoding="unicode")


def render_png(payload: str, level: str) -> bytes:
    """One pixel per module (quiet zone included); `scale_png` enlarges it without blurring."""
    code = _matrix(payload, level)
    matrix = code.get_matrix()  # includes the border
    size = len(matrix)
    image = Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def scale_png(png: bytes, size: int) -> bytes:
    """The stored code enlarged to at most `size` pixels, by a whole number of pixels per module."""
    image = Image.open(io.BytesIO(png))
    modules = image.width
    factor = max(1, size // modules)
    out = io.BytesIO()
    image.resize((modules * factor, modules * factor), Image.Resampling.NEAREST).save(out, format="PNG",
                                                                                        optimize=True)
    return out.getvalue()
