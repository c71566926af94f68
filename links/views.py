"""Public pages: the short-link redirect (the hottest path of the project), QR images and landing pages."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from links.devices import classify
from links.models import SLUG_RE, LandingPage, Link, Platform
from links.privacy import client_ip, ip_hash
from links.qr import qr_payload, scale_png
from links.references import QR_PARAM, QR_VALUE, REFERENCE_PARAM, link_reference_read
from links.selectors import link_target_get
from links.services import click_record, link_qr_refresh

NO_STORE = "no-store"
QR_PNG_DEFAULT_SIZE = 512
QR_PNG_MIN_SIZE = 64


def _page(request: HttpRequest, template: str, context: dict[str, object], status: int) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = NO_STORE
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "links/not_found.html", {}, 404)


@require_safe
def link_open(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the visitor to their device's destination with a 302 and count the click.

    Never a 301: browsers cache those for good, so later clicks would go uncounted and edits would never
    apply. HEAD answers like GET but counts nothing (link checkers and prefetchers use it). Bots and link
    previews get an Open Graph page and are not counted.
    """
    slug = slug.lower()
    target = link_target_get(slug) if SLUG_RE.match(slug) else None
    if target is None:
        return _not_found(request)
    reason = target.unavailable_reason(timezone.now())
    if reason:
        return _page(request, "links/unavailable.html", {"reason": reason, "target": target}, 410)
    visit = classify(request.META.get("HTTP_USER_AGENT", ""))
    if visit.is_bot:
        return _page(request, "links/preview.html",
                     {"target": target, "short_url": f"{settings.SITE_URL}/l/{target.slug}"}, 200)
    if request.method == "GET":
        reference = link_reference_read(request.GET.get(REFERENCE_PARAM, ""))
        recorded = click_record(
            link_id=target.id, max_clicks=target.max_clicks, visit=visit,
            referrer=request.META.get("HTTP_REFERER", ""), ip_hash=ip_hash(client_ip(request)),
            from_qr=request.GET.get(QR_PARAM) == QR_VALUE,
            customer_id=reference.customer_id if reference else None,
            delivery_id=reference.delivery_id if reference else None,
        )
        if not recorded:
            return _page(request, "links/unavailable.html", {"reason": "used_up", "target": target}, 410)
    if visit.platform == Platform.MAC_OR_IPAD and target.ios_url and target.ios_url != target.fallback_url:
        return _page(request, "links/choose_device.html",
                     {"target": target, "urls": {"ios": target.ios_url, "other": target.fallback_url}}, 200)
    response = HttpResponseRedirect(target.destination(visit.platform))
    response["Cache-Control"] = NO_STORE
    return response


def _qr_link(slug: str) -> Link | None:
    slug = slug.lower()
    if not SLUG_RE.match(slug):
        return None
    link = Link.objects.only("id", "slug", "qr_payload", "qr_svg", "qr_png").filter(slug=slug).first()
    if link is not None and link.qr_payload != qr_payload(link.short_url):
        # SITE_URL changed since the code was drawn: a printed code must point at the address we serve.
        link = link_qr_refresh(link_id=link.pk)
    return link


def _qr_response(request: HttpRequest, body: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    # Short: the code changes when the slug or its error correction does.
    response["Cache-Control"] = "public, max-age=300"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    """The stored SVG (1 mm per module, white background, 4-module quiet zone); ?download=1 for print."""
    link = _qr_link(slug)
    if link is None:
        return _not_found(request)
    return _qr_response(request, link.qr_svg, "image/svg+xml", f"{link.slug}-qr.svg")


@require_safe
def qr_png(request: HttpRequest, slug: str) -> HttpResponse:
    """The stored code as a PNG of at most ?size= pixels (64 to LINKS_QR_PNG_MAX_SIZE, default 512)."""
    raw = request.GET.get("size", "")
    try:
        size = int(raw) if raw else QR_PNG_DEFAULT_SIZE
    except ValueError:
        size = -1
    if not QR_PNG_MIN_SIZE <= size <= settings.LINKS_QR_PNG_MAX_SIZE:
        return HttpResponse(f"size must be a whole number from {QR_PNG_MIN_SIZE} to "
                            f"{settings.LINKS_QR_PNG_MAX_SIZE}.", status=400, content_type="text/plain")
    link = _qr_link(slug)
    if link is None:
        return _not_found(request)
    return _qr_response(request, scale_png(bytes(link.qr_png), size), "image/png", f"{link.slug}-qr-{size}.png")


@require_safe
@xframe_options_sameorigin  # admin previews the page in an iframe
def landing_page(request: HttpRequest, slug: str) -> HttpResponse:
    slug = slug.lower()
    page = LandingPage.objects.filter(slug=slug).first() if SLUG_RE.match(slug) else None
    if page is None or not (page.is_published or request.user.is_staff):
        return _not_found(request)
    return render(request, "links/landing_page.html", {"page": page})


def bench_baseline(request: HttpRequest) -> HttpResponse:
    """A constant redirect through the same middleware, for `python -m bench.links` (BENCH_BASELINE only)."""
    response = HttpResponseRedirect("https://example.com/")
    response["Cache-Control"] = NO_STORE
    return response
