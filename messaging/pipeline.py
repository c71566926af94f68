"""The send pipeline for one batch of deliveries: claim, decide, render, send, record.

    send_batch(delivery_ids=[...])  (the body of tasks.deliveries_send)

1. Claim: queued -> sending with a fresh claim token (a conditional UPDATE): rows another task holds, or
   that were already sent, are skipped, so a task that runs twice sends nothing twice.
2. Decide (preferences.policy.decide) on each candidate channel in order; a "no" falls back to the next
   channel, quiet hours defer the whole delivery, a frequency cap suppresses it. Every "no" is kept.
3. Render the chosen channel's content in the sandbox (rendering.py).
4. Send, outside any transaction: web pushes of the whole batch concurrently (send_many on the process's
   shared transport), emails over one SMTP connection, SMS through the configured backend.
5. Record every outcome through services.deliveries_record, grouped: sent, retry later (exponential
   backoff, Retry-After honoured), failed, suppressed, deferred.
"""

import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Customer
from accounts.services import customer_email_bounced
from messaging import rendering, tracking
from messaging.channels.base import EmailMessage, PushMessage, Result, SendError, SmsMessage
from messaging.channels.email import EmailTransport, unsubscribe_headers
from messaging.channels.sms import sms_backend
from messaging.channels.webpush import PushTarget, webpush_transport
from messaging.linking import track_links
from messaging.models import Delivery, DeliveryStatus, PushSubscription
from messaging.services import (
    InboxDraft,
    Outcome,
    deliveries_record,
    deliveries_transition,
    push_subscription_deactivate,
)
from preferences import tokens
from preferences.languages import language_for_customer
from preferences.models import Channel, CustomerSettings
from preferences.policy import Reason, decide

logger = logging.getLogger(__name__)

NO_CHANNEL = "no_channel"
NO_CONTENT = "no_content"
_WHOLE_DELIVERY = {Reason.QUIET_HOURS, Reason.FREQUENCY_CAP}  # about the customer, not the channel


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try after `attempts` tries: base * 2^(attempts-1), capped, and never less
    than the provider's Retry-After."""
    delay = min(settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1),
                settings.MESSAGING_RETRY_MAX_SECONDS)
    return max(float(delay), retry_after or 0.0)


def candidate_channels(delivery: Delivery, prefs: CustomerSettings | None) -> list[str]:
    """The delivery's channel order; when it has none, the customer's own order, then the topic's other
    channels (the inbox last), limited to channels the topic uses."""
    topic_channels = list(delivery.topic.channels or [])
    if delivery.channel_order:
        return [c for c in dict.fromkeys(delivery.channel_order) if c in Channel.values]
    own = list(prefs.channel_order) if prefs and prefs.channel_order else [Channel.WEB_PUSH, Channel.SMS,
                                                                            Channel.EMAIL]
    rest = sorted((c for c in topic_channels if c not in own), key=lambda c: c == Channel.INBOX)
    return [c for c in [*own, *rest] if c in topic_channels]


@dataclass
class _Job:
    delivery: Delivery
    channel: str = ""
    rendered: rendering.Rendered | None = None
    outcome: Outcome | None = None
    subscriptions: list[PushSubscription] = field(default_factory=list)


def _options(delivery: Delivery) -> dict[str, Any]:
    """Per-message push and inbox options, from the template or the inline content."""
    t, c = delivery.template, delivery.content or {}
    if t is not None:
        return {"ttl": t.push_ttl, "urgency": t.push_urgency, "replace_key": t.replace_key,
                "keep_in_inbox": t.keep_in_inbox, "inbox_expiry_hours": t.inbox_expiry_hours}
    return {"ttl": int(c.get("push_ttl") or 24 * 3600), "urgency": str(c.get("push_urgency") or "normal"),
            "replace_key": str(c.get("replace_key") or ""), "keep_in_inbox": bool(c.get("keep_in_inbox")),
            "inbox_expiry_hours": c.get("inbox_expiry_hours")}


def send_batch(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """Send the queued deliveries among `delivery_ids` that this call manages to claim; returns how many.

    `now` is the policy's clock (quiet hours, caps); tests pass it, tasks leave it to the real time.
    """
    token = uuid.uuid4().hex
    claimed = deliveries_transition(delivery_ids=delivery_ids, source=DeliveryStatus.QUEUED,
                                    target=DeliveryStatus.SENDING, new_token=token, history=False,
                                    attempts=F("attempts") + 1)
    if not claimed:
        return 0
    deliveries = list(Delivery.objects.filter(pk__in=claimed, claim_token=token)
                      .select_related("customer", "topic", "template")
                      .prefetch_related("template__translations"))
    subscriptions, prefs = _reach({d.customer_id for d in deliveries})
    now = now or timezone.now()
    jobs = [_decide(_Job(d), subscriptions.get(d.customer_id, []), prefs.get(d.customer_id), now)
            for d in deliveries]
    for job in jobs:
        if job.outcome is None:
            _render(job)
    _send(jobs)
    deliveries_record(claim_token=token, outcomes=[j.outcome for j in jobs if j.outcome is not None])
    return len(claimed)


def _reach(customer_ids: set[int]) -> tuple[dict[int, list[PushSubscription]], dict[int, CustomerSettings]]:
    """Active push subscriptions and preference settings of a batch of customers (two queries)."""
    subscriptions: dict[int, list[PushSubscription]] = defaultdict(list)
    for sub in PushSubscription.objects.filter(customer_id__in=customer_ids, active=True):
        subscriptions[sub.customer_id].append(sub)
    return subscriptions, CustomerSettings.objects.in_bulk(list(customer_ids))


@dataclass(frozen=True)
class Route:
    """Where a delivery would go now: a channel, or a deferral until a time, or suppression with a reason."""

    channel: str = ""
    deferred_until: datetime | None = None
    reason: str = ""


def delivery_routes(*, deliveries: list[Delivery], now: datetime | None = None) -> list[Route]:
    """Decide, without sending or saving, what the pipeline would do with these (unsaved) deliveries now.

    The same decision the send path makes (consent, reachability, fallback, quiet hours, caps), for a
    campaign's dry run. Each delivery needs customer_id, topic and channel_order.
    """
    now = now or timezone.now()
    customers = Customer.objects.in_bulk({d.customer_id for d in deliveries})
    subscriptions, prefs = _reach(set(customers))
    routes = []
    for d in deliveries:
        d.customer = customers[d.customer_id]
        job = _decide(_Job(d), subscriptions.get(d.customer_id, []), prefs.get(d.customer_id), now)
        if job.outcome is None:
            routes.append(Route(channel=job.channel))
        elif job.outcome.target == DeliveryStatus.SCHEDULED:
            routes.append(Route(deferred_until=job.outcome.at))
        else:
            routes.append(Route(reason=job.outcome.reason))
    return routes


def _decide(job: _Job, subscriptions: list[PushSubscription], prefs: CustomerSettings | None,
            now: datetime) -> _Job:
    d = job.delivery
    candidates = candidate_channels(d, prefs)
    if not candidates:
        job.outcome = Outcome(d.pk, DeliveryStatus.SUPPRESSED, reason=NO_CHANNEL,
                              detail="No channel of the topic is in the channel order.")
        return job
    noes: list[tuple[str, str]] = []
    for channel in candidates:
        reachable = bool(subscriptions) if channel == Channel.WEB_PUSH else None
        decision = decide(customer=d.customer, topic=d.topic, channel=channel, now=now, reachable=reachable)
        if decision.allowed:
            job.channel = channel
            job.subscriptions = subscriptions if channel == Channel.WEB_PUSH else []
            return job
        if decision.reason == Reason.QUIET_HOURS and decision.next_allowed_at:
            job.outcome = Outcome(d.pk, DeliveryStatus.SCHEDULED, at=decision.next_allowed_at, counts_attempt=False,
                                  detail=f"quiet hours: deferred to {decision.next_allowed_at:%Y-%m-%d %H:%M} UTC")
            return job
        noes.append((channel, str(decision.reason)))
        if decision.reason in _WHOLE_DELIVERY:
            break
    # A cap speaks for the customer whatever the channel; otherwise the preferred channel's "no" is the reason.
    reason = noes[-1][1] if noes[-1][1] in _WHOLE_DELIVERY else noes[0][1]
    job.outcome = Outcome(d.pk, DeliveryStatus.SUPPRESSED, reason=reason,
                          detail="; ".join(f"{c}: {r}" for c, r in noes))
    return job


def _render(job: _Job) -> None:
    d = job.delivery
    customer: Customer = d.customer
    raw = rendering.content_for(template=d.template, content=d.content, locale=customer.locale)
    context = rendering.build_context(customer=customer, data=d.data, topic=d.topic, channel=job.channel)
    try:
        job.rendered = rendering.render_content(raw, context, fields=rendering.CHANNEL_FIELDS[job.channel])
    except rendering.RenderError as exc:
        job.outcome = Outcome(d.pk, DeliveryStatus.FAILED, channel=job.channel, error=f"template error: {exc}")
        return
    if not job.rendered.has(job.channel):
        job.outcome = Outcome(d.pk, DeliveryStatus.FAILED, channel=job.channel,
                              error=f"{NO_CONTENT}: the message has no {job.channel} content")


# --- sending --------------------------------------------------------------------------------------------

def _sent(job: _Job, provider_id: str | None, *, inbox: bool = False) -> Outcome:
    d = job.delivery
    options = _options(d)
    draft = None
    if inbox or (job.channel == Channel.WEB_PUSH and options["keep_in_inbox"]):
        r = job.rendered
        assert r is not None
        hours = options["inbox_expiry_hours"]
        draft = InboxDraft(customer_id=d.customer_id, topic_id=d.topic_id, delivery_id=d.pk,
                           title=r.inbox_title or r.push_title, body=r.inbox_body or r.push_body,
                           url=r.inbox_url or r.push_url, image=r.inbox_image or r.push_image,
                           replace_key=options["replace_key"],
                           expires_at=timezone.now() + timedelta(hours=float(hours)) if hours else None)
    marketing = (d.customer_id, d.topic_id) if d.topic.is_marketing else None
    return Outcome(d.pk, DeliveryStatus.SENT, channel=job.channel, provider_message_id=provider_id or "",
                   inbox=draft, marketing=marketing)


def _failed(job: _Job, errors: list[SendError]) -> Outcome:
    """A retry later while attempts remain and some error is retryable; otherwise failed."""
    d = job.delivery
    reason = "; ".join(dict.fromkeys(e.reason for e in errors))[:2000]
    retryable = [e for e in errors if not e.permanent]
    if retryable and d.attempts < settings.MESSAGING_MAX_ATTEMPTS:
        retry_after = max((e.retry_after or 0.0) for e in retryable)
        at = timezone.now() + timedelta(seconds=retry_delay(d.attempts, retry_after))
        return Outcome(d.pk, DeliveryStatus.SCHEDULED, at=at, error=reason,
                       detail=f"attempt {d.attempts} failed, retry at {at:%H:%M:%S}: {reason}")
    if job.channel == Channel.EMAIL and any(e.address_unreachable for e in errors):
        # A hard bounce: the address is marked so that no later message tries it, and this one falls back.
        customer_email_bounced(customer_id=d.customer_id, address=d.customer.email)
        if d.attempts < settings.MESSAGING_MAX_ATTEMPTS:
            return Outcome(d.pk, DeliveryStatus.SCHEDULED, at=timezone.now(), error=reason,
                           detail=f"email address bounced, trying the next channel: {reason}")
    if errors and all(e.deactivate_subscription for e in errors) and d.attempts < settings.MESSAGING_MAX_ATTEMPTS:
        # Every subscription is gone: the next try finds web push unreachable and falls back.
        return Outcome(d.pk, DeliveryStatus.SCHEDULED, at=timezone.now(), error=reason,
                       detail=f"push subscription gone, trying the next channel: {reason}")
    return Outcome(d.pk, DeliveryStatus.FAILED, channel=job.channel, error=reason)


def _send(jobs: list[_Job]) -> None:
    pending = [j for j in jobs if j.outcome is None]
    by_channel: dict[str, list[_Job]] = defaultdict(list)
    for job in pending:
        by_channel[job.channel].append(job)
    if by_channel.get(Channel.WEB_PUSH):
        _send_push(by_channel[Channel.WEB_PUSH])
    if by_channel.get(Channel.EMAIL):
        _send_email(by_channel[Channel.EMAIL])
    if by_channel.get(Channel.SMS):
        _send_sms(by_channel[Channel.SMS])
    for job in by_channel.get(Channel.INBOX, []):
        job.outcome = _sent(job, None, inbox=True)


def push_message(delivery: Delivery, rendered: rendering.Rendered) -> PushMessage:
    options = _options(delivery)
    topic = options["replace_key"]
    return PushMessage(title=rendered.push_title, body=rendered.push_body, url=rendered.push_url,
                       icon=rendered.push_icon, image=rendered.push_image, ttl=options["ttl"],
                       urgency=options["urgency"], topic=topic,
                       data={"open_url": tracking.push_open_url(delivery.pk), **({"tag": topic} if topic else {})})


def _send_push(jobs: list[_Job]) -> None:
    items: list[tuple[PushTarget, PushMessage]] = []
    owners: list[tuple[_Job, PushSubscription]] = []
    for job in jobs:
        try:
            message = push_message(job.delivery, job.rendered)  # type: ignore[arg-type]
        except ValueError as exc:
            job.outcome = Outcome(job.delivery.pk, DeliveryStatus.FAILED, channel=job.channel, error=str(exc))
            continue
        for sub in job.subscriptions:
            items.append((PushTarget(sub.endpoint, sub.p256dh, sub.auth), message))
            owners.append((job, sub))
    results = webpush_transport().send_many(items) if items else []
    per_job: dict[int, list[Result | SendError]] = defaultdict(list)
    ok_subs: list[int] = []
    for (job, sub), result in zip(owners, results, strict=True):
        per_job[id(job)].append(result)
        if isinstance(result, SendError) and result.deactivate_subscription:
            push_subscription_deactivate(subscription_id=sub.pk, reason=result.reason)
        elif isinstance(result, Result):
            ok_subs.append(sub.pk)
    if ok_subs:
        PushSubscription.objects.filter(pk__in=ok_subs).update(last_success_at=timezone.now())
    for job in jobs:
        if job.outcome is not None:
            continue
        results_of = per_job.get(id(job), [])
        accepted = [r for r in results_of if isinstance(r, Result)]
        if accepted:
            job.outcome = _sent(job, accepted[0].provider_id)  # one browser got it: never push it again
        else:
            job.outcome = _failed(job, [r for r in results_of if isinstance(r, SendError)])


def email_message(delivery: Delivery, rendered: rendering.Rendered) -> EmailMessage:
    """The email with its footer (preference link; unsubscribe link on marketing), the open pixel, and on
    marketing List-Unsubscribe (https one-click and mailto) with List-Unsubscribe-Post (RFC 8058)."""
    customer, topic = delivery.customer, delivery.topic
    language = language_for_customer(customer)
    unsubscribe = tokens.unsubscribe_url(customer.pk, topic.pk, Channel.EMAIL) if topic.is_marketing else ""
    context = {"preferences_url": tokens.preference_center_url(customer.pk), "unsubscribe_url": unsubscribe,
               "pixel_url": tracking.open_pixel_url(delivery.pk), "topic_name": topic.name_in(language)}
    with translation.override(language):
        html_footer = render_to_string("messaging/email/footer.html", context)
        text_footer = render_to_string("messaging/email/footer.txt", context)
    html, text = track_links(html=rendered.email_html, text=rendered.email_text, customer_id=customer.pk,
                             delivery_id=delivery.pk)
    if html:
        html = html.replace("</body>", html_footer + "</body>") if "</body>" in html else html + html_footer
    headers = unsubscribe_headers(url=unsubscribe, mailto=unsubscribe_mailto()) if unsubscribe else {}
    return EmailMessage(to=customer.email, subject=rendered.email_subject, text=text + text_footer,
                        html=html, headers=headers)


def unsubscribe_mailto() -> str:
    """MESSAGING_UNSUBSCRIBE_MAILTO, else the sender's own address (someone reads it), asking to unsubscribe."""
    address = settings.MESSAGING_UNSUBSCRIBE_MAILTO or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return f"{address}?subject=unsubscribe" if address else ""


def _send_email(jobs: list[_Job]) -> None:
    from django.core.mail import get_connection

    connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
    transport = EmailTransport(connection=connection)
    try:
        # Opened here, the backend keeps one SMTP session for the whole batch instead of one per email.
        connection.open()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is retried later
        for job in jobs:
            job.outcome = _failed(job, [SendError(f"SMTP connection failed: {exc}", permanent=False)])
        return
    try:
        for job in jobs:
            try:
                result = transport.send(email_message(job.delivery, job.rendered))  # type: ignore[arg-type]
            except SendError as exc:
                job.outcome = _failed(job, [exc])
                # The session may be broken after an error; a fresh one for the rest of the batch.
                connection.close()
                # If reopening fails, send_messages opens a connection per message itself.
                with contextlib.suppress(Exception):
                    connection.open()
            else:
                job.outcome = _sent(job, result.provider_id)
    finally:
        connection.close()


def _send_sms(jobs: list[_Job]) -> None:
    try:
        backend = sms_backend()
    except (ImportError, ValueError) as exc:  # misconfigured: retry once an operator fixes it
        for job in jobs:
            job.outcome = _failed(job, [SendError(f"SMS backend: {exc}", permanent=False)])
        return
    for job in jobs:
        try:
            result = backend.send(SmsMessage(to=job.delivery.customer.phone,
                                             text=job.rendered.sms_text))  # type: ignore[union-attr]
        except SendError as exc:
            job.outcome = _failed(job, [exc])
        else:
            job.outcome = _sent(job, result.provider_id)
