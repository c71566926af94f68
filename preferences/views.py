"""The customer's own pages: preference center, one-click unsubscribe, double opt-in, export, erasure.

No login: every URL carries a signed token (preferences/tokens.py). Each page renders in the customer's
language (see languages.py) and works as plain HTML forms; nothing needs JavaScript.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import Customer
from preferences import ratelimit, tokens
from preferences.forms import CHANNEL_LABELS, PreferencesForm
from preferences.languages import language_for_request
from preferences.models import Channel, ErasureRecord, Source, Topic
from preferences.selectors import customer_export, customer_settings, preference_grid
from preferences.services import (
    ConsentMeta,
    QuietHours,
    customer_erase,
    double_opt_in_confirm,
    preference_link_send,
    preferences_update,
    subscription_unsubscribe,
)

View = Callable[..., HttpResponse]


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a proxy in front must set it (e.g. gunicorn's forwarded_allow_ips); trusting
    # X-Forwarded-For blindly would let anyone write any IP into the legal record.
    return request.META.get("REMOTE_ADDR") or None


def _meta(request: HttpRequest, source: str) -> ConsentMeta:
    return ConsentMeta(source=source, ip=client_ip(request),
                       user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
                       wording_version=settings.PREFERENCES_WORDING_VERSION)


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, language: str,
          status: int = 200) -> HttpResponse:
    with translation.override(language):
        switch = [(code, name, f"{request.path}?lang={code}") for code, name in settings.LANGUAGES]
        response = render(request, template, {"language": language, "languages": switch, **context},
                          status=status)
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)  # pages about one person: never in a shared cache
    return response


def _rate_limited(view: View) -> View:
    """Per-IP limit on every token page: tokens cannot be guessed, but nobody should get to try."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ratelimit.allow(f"prefs-page:{client_ip(request)}", settings.PREFERENCES_PAGE_HITS_PER_MINUTE, 60):
            return _page(request, "preferences/message.html", {"kind": "throttled"},
                         language=language_for_request(request, None), status=429)
        return view(request, *args, **kwargs)

    return wrapped


def _customer_or_page(request: HttpRequest, token: str,
                      purpose: str) -> tuple[Customer | None, Any, HttpResponse | None]:
    """Resolve a token to its customer, or the page that explains why not."""
    language = language_for_request(request, None)
    try:
        data = tokens.read_token(token, purpose)
    except tokens.ExpiredToken as exc:
        customer = Customer.objects.filter(pk=exc.customer_id).first()
        can_resend = purpose == tokens.PREFERENCES and customer is not None and bool(customer.email)
        return None, None, _page(request, "preferences/message.html",
                                 {"kind": "expired", "can_resend": can_resend,
                                  "resend_url": reverse("preferences:resend", args=[token])},
                                 language=language_for_request(request, customer), status=410)
    except tokens.InvalidToken:
        return None, None, _page(request, "preferences/message.html", {"kind": "invalid"}, language=language,
                                 status=404)
    customer = Customer.objects.filter(pk=data.customer_id).first()
    if customer is None or ErasureRecord.objects.filter(customer_id=customer.pk).exists():
        return None, None, _page(request, "preferences/message.html", {"kind": "gone"}, language=language,
                                 status=410)
    return customer, data, None


@_rate_limited
@require_http_methods(["GET", "POST"])
def center(request: HttpRequest, token: str) -> HttpResponse:
    customer, _data, problem = _customer_or_page(request, token, tokens.PREFERENCES)
    if problem:
        return problem
    language = language_for_request(request, customer)
    with translation.override(language):
        grid = preference_grid(customer.pk, language=language)
        form = PreferencesForm(request.POST or None, grid=grid, prefs=customer_settings(customer.pk))
        if request.method == "POST" and form.is_valid():
            unsubscribe_all = request.POST.get("action") == "unsubscribe_all"
            result = preferences_update(
                customer_id=customer.pk, meta=_meta(request, Source.PREFERENCE_CENTER),
                choices=form.choices(),
                no_marketing_channels=list(Channel.values) if unsubscribe_all else form.no_marketing_channels(),
                channel_order=form.channel_order(), frequency=form.cleaned_data["frequency"],
                quiet_hours=QuietHours(form.cleaned_data["quiet_hours_enabled"], form.cleaned_data["quiet_start"],
                                       form.cleaned_data["quiet_end"]),
                language=language)
            saved = "all" if unsubscribe_all else "1"
            query = f"?lang={language}&saved={saved}" + ("&confirm=1" if result.pending_confirmation else "")
            # Post/redirect/get: a reload does not post again, and the page shows what was stored.
            return HttpResponseRedirect(request.path + query)
        rows = [{"row": row, "cells": [{"cell": c, "field": form[f"t{row.topic.pk}_{c.channel}"] if c.available
                                        else None, "label": CHANNEL_LABELS[c.channel]} for c in row.cells]}
                for row in grid]
    context = {"customer": customer, "form": form, "rows": rows, "token": token,
               "channels": [CHANNEL_LABELS[c] for c in Channel.values],
               "no_marketing_fields": [form[f"no_marketing_{c}"] for c in Channel.values],
               "order_fields": [form[f"order_{n}"] for n in range(1, len(Channel.values) + 1)],
               "saved": request.GET.get("saved"), "confirm_sent": request.GET.get("confirm") == "1",
               "export_url": reverse("preferences:export", args=[token]),
               "erase_url": reverse("preferences:erase", args=[token])}
    return _page(request, "preferences/center.html", context, language=language,
                 status=400 if form.is_bound and form.errors else 200)


@_rate_limited
@require_http_methods(["POST"])
def resend(request: HttpRequest, token: str) -> HttpResponse:
    """Send a fresh link for an expired one (the expired page's button)."""
    try:
        tokens.read_token(token, tokens.PREFERENCES)
        customer_id = None  # still valid: nothing to resend, the page itself works
    except tokens.ExpiredToken as exc:
        customer_id = exc.customer_id
    except tokens.InvalidToken:
        return _page(request, "preferences/message.html", {"kind": "invalid"},
                     language=language_for_request(request, None), status=404)
    if customer_id is None:
        return HttpResponseRedirect(reverse("preferences:center", args=[token]))
    sent = preference_link_send(customer_id=customer_id, ip=client_ip(request))
    customer = Customer.objects.filter(pk=customer_id).first()
    return _page(request, "preferences/message.html", {"kind": "resent" if sent else "resend_limited"},
                 language=language_for_request(request, customer), status=200 if sent else 429)


@_rate_limited
@require_http_methods(["GET"])
def export(request: HttpRequest, token: str) -> HttpResponse:
    customer, _data, problem = _customer_or_page(request, token, tokens.PREFERENCES)
    if problem:
        return problem
    body = json.dumps(customer_export(customer.pk), indent=2, ensure_ascii=False, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    add_never_cache_headers(response)
    return response


@_rate_limited
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, token: str) -> HttpResponse:
    customer, _data, problem = _customer_or_page(request, token, tokens.PREFERENCES)
    if problem:
        return problem
    language = language_for_request(request, customer)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        customer_erase(customer_id=customer.pk, source=Source.PREFERENCE_CENTER)
        return _page(request, "preferences/message.html", {"kind": "erased"}, language=language)
    return _page(request, "preferences/erase.html", {"customer": customer,
                                                      "back_url": reverse("preferences:center", args=[token])},
                 language=language)


def _topic_page(request: HttpRequest, token: str, purpose: str) -> tuple[Customer | None, Topic | None, str,
                                                                         HttpResponse | None]:
    customer, data, problem = _customer_or_page(request, token, purpose)
    if problem:
        return None, None, "", problem
    topic = Topic.objects.filter(pk=data.topic_id).first()
    if topic is None or data.channel not in (topic.channels or []):
        return None, None, "", _page(request, "preferences/message.html", {"kind": "invalid"},
                                     language=language_for_request(request, customer), status=404)
    return customer, topic, data.channel, None


@csrf_exempt  # RFC 8058: mail clients POST here without cookies; the signed token is the authority
@_rate_limited
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET explains and shows a button (link scanners fetch GETs); POST unsubscribes, also one-click."""
    customer, topic, channel, problem = _topic_page(request, token, tokens.UNSUBSCRIBE)
    if problem:
        return problem
    language = language_for_request(request, customer)
    done = False
    if request.method == "POST":
        subscription_unsubscribe(customer_id=customer.pk, topic_id=topic.pk, channel=channel,
                                 meta=_meta(request, Source.UNSUBSCRIBE_LINK))
        done = True
    # No link to the preference center here: unsubscribe links never expire, and minting a fresh
    # preference link from one would make a years-old forwarded email open the customer's data.
    with translation.override(language):
        context = {"topic_name": topic.name_in(language), "channel_label": CHANNEL_LABELS[channel], "done": done}
    return _page(request, "preferences/unsubscribe.html", context, language=language)


@_rate_limited
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in: GET shows a button (so a mail scanner's fetch consents to nothing), POST records it."""
    customer, topic, channel, problem = _topic_page(request, token, tokens.DOUBLE_OPT_IN)
    if problem:
        return problem
    language = language_for_request(request, customer)
    done = False
    if request.method == "POST":
        double_opt_in_confirm(customer_id=customer.pk, topic_id=topic.pk, channel=channel,
                              ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        done = True
    with translation.override(language):
        context = {"topic_name": topic.name_in(language), "channel_label": CHANNEL_LABELS[channel], "done": done}
    return _page(request, "preferences/confirm.html", context, language=language)
