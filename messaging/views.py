"""The customer's web inbox, the service worker at the site root, and the email open pixel.

The inbox is entered through a signed link (/inbox/<token>/, preferences.tokens purpose INBOX); the token
is then kept in the session, so the list, message and archive URLs carry no secret and can be shared in
the browser's history safely.
"""

import base64
import contextlib
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer
from messaging import tracking
from messaging.channels.vapid import vapid_keys
from messaging.selectors import inbox_unread_count, inbox_visible
from messaging.services import delivery_mark_opened, inbox_message_archive, inbox_message_mark_read
from preferences import ratelimit, tokens
from preferences.languages import language_for_request
from preferences.views import client_ip

SESSION_KEY = "messaging.inbox_token"
PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # larger ids would overflow PostgreSQL's bigint: such a message does not exist
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _page(request: HttpRequest, template: str, context: dict, *, language: str, status: int = 200) -> HttpResponse:
    with translation.override(language):
        switch = [(code, name, f"{request.path}?lang={code}") for code, name in settings.LANGUAGES]
        response = render(request, template, {"language": language, "languages": switch, **context}, status=status)
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response


def _problem(request: HttpRequest, kind: str, status: int) -> HttpResponse:
    return _page(request, "messaging/inbox_message.html", {"kind": kind},
                 language=language_for_request(request, None), status=status)


def _customer(request: HttpRequest) -> tuple[Customer | None, str]:
    """The customer whose inbox token the session holds (re-verified: an expired link ends the session)."""
    token = request.session.get(SESSION_KEY)
    if not token:
        return None, ""
    try:
        data = tokens.read_token(token, tokens.INBOX)
    except (tokens.InvalidToken, tokens.ExpiredToken):
        request.session.pop(SESSION_KEY, None)
        return None, ""
    return Customer.objects.filter(pk=data.customer_id).first(), token


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link: remember the token in the session, then show the inbox without it in the URL."""
    if not ratelimit.allow(f"inbox-enter:{client_ip(request)}", settings.PREFERENCES_PAGE_HITS_PER_MINUTE, 60):
        return _problem(request, "throttled", 429)
    try:
        data = tokens.read_token(token, tokens.INBOX)
    except tokens.ExpiredToken:
        return _problem(request, "expired", 410)
    except tokens.InvalidToken:
        return _problem(request, "invalid", 404)
    if not Customer.objects.filter(pk=data.customer_id).exists():
        return _problem(request, "invalid", 404)
    request.session.cycle_key()  # a fresh session id for whoever holds the link now
    request.session[SESSION_KEY] = token
    query = f"?lang={request.GET['lang']}" if request.GET.get("lang") else ""
    return HttpResponseRedirect(reverse("messaging:inbox") + query)


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    customer, token = _customer(request)
    if customer is None:
        return _problem(request, "no_session", 403)
    language = language_for_request(request, customer)
    paginator = Paginator(inbox_visible(customer.pk), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    try:
        public_key = vapid_keys().public_key
    except Exception:  # noqa: BLE001 - no VAPID keys configured: the page works without the push button
        public_key = ""
    context = {"customer": customer, "page": page, "unread": inbox_unread_count(customer.pk),
               "vapid_public_key": public_key, "customer_token": token}
    return _page(request, "messaging/inbox.html", context, language=language)


@require_GET
def message(request: HttpRequest, pk: int) -> HttpResponse:
    customer, _token = _customer(request)
    if customer is None:
        return _problem(request, "no_session", 403)
    item = inbox_visible(customer.pk).filter(pk=pk).first() if pk <= MAX_ID else None
    if item is None:
        raise Http404
    inbox_message_mark_read(customer_id=customer.pk, message_id=item.pk)
    return _page(request, "messaging/inbox_detail.html", {"item": item},
                 language=language_for_request(request, customer))


@require_POST
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    customer, _token = _customer(request)
    if customer is None:
        return _problem(request, "no_session", 403)
    if pk <= MAX_ID:
        inbox_message_archive(customer_id=customer.pk, message_id=pk)
    return HttpResponseRedirect(reverse("messaging:inbox") + "?archived=1")


@lru_cache(maxsize=1)
def _service_worker_source() -> bytes:
    path = finders.find("sw.js")
    if not path:
        raise Http404
    with open(path, "rb") as f:
        return f.read()


@require_http_methods(["GET", "HEAD"])
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/sw.js at the site root, so its scope can be the whole site (and the header allows it)."""
    response = HttpResponse(_service_worker_source(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # browsers must see a new worker soon after a deploy
    return response


@require_GET
def open_pixel(request: HttpRequest, reference: str) -> HttpResponse:
    """The email's 1x1 GIF: marks the delivery opened (the first time). A bad reference still gets a GIF."""
    with contextlib.suppress(tracking.InvalidReference):
        delivery_mark_opened(delivery_id=tracking.read_delivery_reference(reference))
    response = HttpResponse(PIXEL, content_type="image/gif")
    add_never_cache_headers(response)
    return response
