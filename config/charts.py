"""Inline SVG charts for admin pages: no script, no CDN, readable without colour (each series is labelled)."""

from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

COLOURS = ["#1f6feb", "#d97706", "#15803d", "#9333ea"]


def line_chart(days: Sequence[date], series: dict[str, Sequence[int]], *, label: str, width: int = 640,
               height: int = 160) -> SafeString:
    """One polyline per series over `days`, with a legend and a <title> per point for the exact figure."""
    if not days:
        return format_html('<p class="help">{}: nothing yet.</p>', label)
    peak = max((max(values, default=0) for values in series.values()), default=0) or 1
    step = width / max(len(days) - 1, 1)

    def point(i: int, n: int) -> tuple[str, str]:
        return f"{i * step:.1f}", f"{height - 4 - n * (height - 8) / peak:.1f}"

    lines = []
    for (name, values), colour in zip(series.items(), COLOURS, strict=False):
        coords = " ".join(",".join(point(i, n)) for i, n in enumerate(values))
        dots = format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} {}: {}</title></circle>',
                                ((*point(i, n), colour, days[i].isoformat(), name, n) for i, n in enumerate(values)))
        lines.append(format_html('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>{}',
                                 colour, coords, dots))
    legend = format_html_join(" ", '<span style="color:{}">&#9632;</span> {} ({})',
                              ((c, name, sum(v)) for (name, v), c in zip(series.items(), COLOURS, strict=False)))
    return format_html(
        '<figure style="margin:0"><svg role="img" aria-label="{}" viewBox="-4 0 {} {}" width="{}" height="{}" '
        'style="background:#f6f8fa;border:1px solid #d0d7de">{}</svg>'
        '<figcaption class="help">{}: {} to {} (UTC). {}</figcaption></figure>',
        label, width + 8, height, width + 8, height, format_html_join("", "{}", ((line,) for line in lines)),
        label, days[0].isoformat(), days[-1].isoformat(), legend)
