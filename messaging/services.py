"""Writes for messaging. Every function owns its transaction (STYLE rule 2).

Deliveries change status only through `deliveries_transition`, which applies the one transition table
(models.TRANSITIONS) with a conditional UPDATE and writes the history rows in the same transaction.
Sending itself lives in messaging/pipeline.py; it records every outcome through the functions here.
"""

import hashlib
import itertools
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.queue import enqueue_on_commit
from messaging.models import (
    TRANSITIONS,
    Delivery,
    DeliveryEvent,
    DeliverySource,
    DeliveryStatus,
    InboxMessage,
    PushSubscription,
)

SEND_TASK = "messaging.tasks.deliveries_send"


class InvalidTransition(Exception):
    """A status change the transition table does not allow (e.g. cancelling a sent delivery)."""


# --- Push subscriptions ---------------------------------------------------------------------------------

def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def push_subscription_save(*, customer_id: int, endpoint: str, p256dh: str, auth: str,
                           user_agent: str = "") -> PushSubscription:
    """Store a browser's subscription, or refresh the one with the same endpoint (upsert by endpoint).

    A re-subscribing browser gets fresh keys and becomes active again; an endpoint seen under another
    customer moves to this one (the endpoint belongs to the browser, and someone else now uses it).
    One INSERT .. ON CONFLICT, so two concurrent saves of one endpoint cannot make two rows.
    """
    digest = endpoint_hash(endpoint)
    now = timezone.now()
    with transaction.atomic():
        PushSubscription.objects.bulk_create(
            [PushSubscription(customer_id=customer_id, endpoint=endpoint, endpoint_hash=digest, p256dh=p256dh,
                              auth=auth, user_agent=user_agent[:512], active=True, created_at=now, updated_at=now,
                              deactivated_at=None, deactivation_reason="")],
            update_conflicts=True,
            unique_fields=["endpoint_hash"],
            update_fields=["customer", "p256dh", "auth", "user_agent", "active", "updated_at", "deactivated_at",
                           "deactivation_reason"],
        )
        return PushSubscription.objects.get(endpoint_hash=digest)


def push_subscription_deactivate(*, subscription_id: int, reason: str) -> bool:
    """Stop using a subscription (the push service said 404/410, or the browser unsubscribed).

    Returns False when it was already inactive; the first reason is kept.
    """
    return bool(
        PushSubscription.objects.filter(pk=subscription_id, active=True).update(
            active=False, deactivated_at=timezone.now(), deactivation_reason=reason[:255], updated_at=timezone.now()
        )
    )


# --- Delivery status: the one function that applies the transition table -------------------------------

def _check(source: str, target: str) -> None:
    if target not in TRANSITIONS[source]:
        raise InvalidTransition(f"A {source} delivery cannot become {target}.")


def deliveries_transition(*, delivery_ids: Iterable[int], source: str, target: str, detail: str = "",
                          claim_token: str | None = None, new_token: str | None = None, history: bool = True,
                          **fields: Any) -> list[int]:
    """Move the deliveries that are still in `source` to `target`, setting `fields`; returns the ids moved.

    The UPDATE is conditional on the current status (and on `claim_token` when given, so only the claim's
    holder can record its outcome): rows someone else moved meanwhile are left alone and not returned.
    One DeliveryEvent per moved row is written in the same transaction, unless `history` is False: the
    routine claims (due -> queued, queued -> sending) leave no rows, since queued_at and attempts already say
    it and a broadcast would otherwise write three history rows per message. The moved rows get `new_token` (a
    fresh one by default) as their claim token: the holder's proof when it records the outcome. Raises
    InvalidTransition when the table does not allow source -> target.
    """
    _check(source, target)
    ids = list(delivery_ids)
    if not ids:
        return []
    now = timezone.now()
    token = new_token or uuid.uuid4().hex
    with transaction.atomic():
        qs = Delivery.objects.filter(pk__in=ids, status=source)
        if claim_token is not None:
            qs = qs.filter(claim_token=claim_token)
        # The new token marks exactly the rows this UPDATE won; reading them back needs no RETURNING.
        moved = qs.update(status=target, claim_token=token, claimed_at=now, **fields)
        if not moved:
            return []
        won = list(Delivery.objects.filter(pk__in=ids, claim_token=token).values_list("pk", flat=True))
        if history:
            DeliveryEvent.objects.bulk_create([DeliveryEvent(delivery_id=pk, status=target, at=now, detail=detail)
                                               for pk in won])
    return won


def _claim(queryset: QuerySet[Delivery], *, source: str, target: str, limit: int, detail: str,
           history: bool = True, **fields: Any) -> list[int]:
    """Claim up to `limit` rows of `queryset` (all in `source`) for `target`; returns the ids won.

    PostgreSQL: SELECT .. FOR UPDATE SKIP LOCKED, so concurrent dispatchers pick disjoint rows without
    waiting. SQLite has one writer at a time (transactions start IMMEDIATE), so the select and the
    conditional UPDATE inside one transaction cannot interleave with another claim.
    """
    with transaction.atomic():
        qs = queryset.filter(status=source).order_by("scheduled_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.values_list("pk", flat=True)[:limit])
        return deliveries_transition(delivery_ids=ids, source=source, target=target, detail=detail,
                                     history=history, **fields)


def deliveries_claim_due(*, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to `limit` scheduled deliveries that are due (scheduled_at <= now) for sending: -> queued.

    Enqueues one send task for the claimed batch after commit; returns the ids.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = _claim(Delivery.objects.filter(scheduled_at__lte=now), source=DeliveryStatus.SCHEDULED,
                     target=DeliveryStatus.QUEUED, limit=limit, detail="due", history=False, queued_at=now)
        if ids:
            enqueue_on_commit(SEND_TASK, ids)
    return ids


def deliveries_requeue_stuck(*, older_than: timedelta, limit: int) -> list[int]:
    """Heal rows whose task was lost: queued or sending for longer than `older_than` -> queued again,
    with a fresh send task per batch. `older_than` must exceed the task timeout (see checks.py), so a
    task that is still running is never swept from under itself."""
    cutoff = timezone.now() - older_than
    requeued: list[int] = []
    for status in (DeliveryStatus.SENDING, DeliveryStatus.QUEUED):
        while True:
            with transaction.atomic():
                ids = _claim(Delivery.objects.filter(claimed_at__lt=cutoff), source=status,
                             target=DeliveryStatus.QUEUED, limit=limit,
                             detail=f"re-queued by the sweep: {status} since before {cutoff:%H:%M:%S}",
                             queued_at=timezone.now())
                if ids:
                    enqueue_on_commit(SEND_TASK, ids)
            requeued += ids
            if len(ids) < limit:
                break
    return requeued


# --- Planning -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryPlan:
    """One logical message to plan. `dedupe_key` names it: planning it again creates nothing.

    `channel_order` empty: the customer's own order (see pipeline.candidate_channels). `scheduled_at` None:
    now. `content` is inline content with template field names, used when `template_id` is None.
    """

    customer_id: int
    topic_id: int
    dedupe_key: str
    template_id: int | None = None
    channel_order: list[str] = field(default_factory=list)
    scheduled_at: datetime | None = None
    source: str = DeliverySource.CAMPAIGN
    campaign_id: int | None = None
    step_id: int | None = None
    variant_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    content: dict[str, Any] = field(default_factory=dict)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def deliveries_plan(*, plans: Iterable[DeliveryPlan]) -> int:
    """Create a delivery per plan whose dedupe key is new; returns how many were new.

    Consumes `plans` in chunks (settings.MESSAGING_PLAN_CHUNK, one transaction each), so an audience of any
    size is never held in memory. Duplicates are dropped by the database (INSERT .. ON CONFLICT DO NOTHING
    on dedupe_key), so planning twice, or concurrently, is safe. Deliveries due now are inserted queued and
    handed to send tasks after commit, one task per batch of ids (settings.MESSAGING_SEND_BATCH); later
    ones wait for the dispatcher (tasks.deliveries_dispatch).
    """
    created = 0
    batch = settings.MESSAGING_SEND_BATCH
    for chunk in _chunks(plans, settings.MESSAGING_PLAN_CHUNK):
        now = timezone.now()
        # Rows this call inserts carry its token: one query then tells which plans were new (the others hit
        # an existing dedupe key) and which of those are queued. Due ones are born queued (and claimed, so
        # the sweep heals them if their task is lost) instead of being inserted and then claimed.
        token = uuid.uuid4().hex
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [Delivery(customer_id=p.customer_id, topic_id=p.topic_id, template_id=p.template_id,
                          channel_order=list(p.channel_order), scheduled_at=p.scheduled_at or now, source=p.source,
                          campaign_id=p.campaign_id, step_id=p.step_id, variant_id=p.variant_id, data=p.data,
                          content=p.content, dedupe_key=p.dedupe_key[:255], created_at=now, claim_token=token,
                          **({"status": DeliveryStatus.QUEUED, "queued_at": now, "claimed_at": now}
                             if (p.scheduled_at or now) <= now else {}))
                 for p in chunk],
                ignore_conflicts=True)
            new = list(Delivery.objects.filter(claim_token=token).values_list("pk", "status"))
            created += len(new)
            queued = [pk for pk, status in new if status == DeliveryStatus.QUEUED]
            for start in range(0, len(queued), batch):
                enqueue_on_commit(SEND_TASK, queued[start:start + batch])
    return created


def deliveries_cancel(*, customer_id: int, campaign_id: int, detail: str = "cancelled") -> int:
    """Withdraw the customer's deliveries of a campaign that are still scheduled; returns how many.

    Queued or later ones are not touched: their send task has them (or has sent them).
    """
    ids = Delivery.objects.filter(customer_id=customer_id, campaign_id=campaign_id,
                                  status=DeliveryStatus.SCHEDULED).values_list("pk", flat=True)
    return len(deliveries_transition(delivery_ids=list(ids), source=DeliveryStatus.SCHEDULED,
                                     target=DeliveryStatus.CANCELLED, detail=detail))


def deliveries_retry(*, delivery_ids: Iterable[int]) -> int:
    """Send failed deliveries again (an admin action): failed -> queued, attempts reset; returns how many."""
    with transaction.atomic():
        ids = deliveries_transition(delivery_ids=delivery_ids, source=DeliveryStatus.FAILED,
                                    target=DeliveryStatus.QUEUED, detail="retried by a marketer",
                                    attempts=0, queued_at=timezone.now(), next_attempt_at=None)
        for chunk in _chunks(ids, settings.MESSAGING_SEND_BATCH):
            enqueue_on_commit(SEND_TASK, chunk)
    return len(ids)


def deliveries_cancel_scheduled(*, delivery_ids: Iterable[int], detail: str = "cancelled in admin") -> int:
    """Cancel these deliveries where they are still scheduled (an admin action); returns how many."""
    return len(deliveries_transition(delivery_ids=delivery_ids, source=DeliveryStatus.SCHEDULED,
                                     target=DeliveryStatus.CANCELLED, detail=detail))


# --- Engagement: the first time wins --------------------------------------------------------------------

def _mark(delivery_id: int, field_name: str, at: datetime | None) -> bool:
    return bool(Delivery.objects.filter(Q(pk=delivery_id) & Q(**{f"{field_name}__isnull": True}))
                .update(**{field_name: at or timezone.now()}))


def delivery_mark_opened(*, delivery_id: int, at: datetime | None = None) -> bool:
    """Record the first open (notification click, email pixel, inbox read). True only the first time."""
    return _mark(delivery_id, "opened_at", at)


def delivery_mark_clicked(*, delivery_id: int, at: datetime | None = None) -> bool:
    """Record the first click on a tracked link. A click implies an open, so opened_at is set if empty."""
    with transaction.atomic():
        first = _mark(delivery_id, "clicked_at", at)
        _mark(delivery_id, "opened_at", at)
    return first


def delivery_mark_converted(*, delivery_id: int, at: datetime | None = None) -> bool:
    """Record the first conversion (the campaign's goal event within its window). True only the first time."""
    return _mark(delivery_id, "converted_at", at)


# --- Inbox ----------------------------------------------------------------------------------------------

def inbox_message_mark_read(*, customer_id: int, message_id: int) -> bool:
    """Mark one of the customer's messages read (and its delivery opened). False when not theirs or read."""
    now = timezone.now()
    with transaction.atomic():
        message = InboxMessage.objects.filter(pk=message_id, customer_id=customer_id).first()
        if message is None or message.read_at is not None:
            return False
        InboxMessage.objects.filter(pk=message_id, read_at__isnull=True).update(read_at=now)
        if message.delivery_id:
            _mark(message.delivery_id, "opened_at", now)
    return True


def inbox_message_archive(*, customer_id: int, message_id: int) -> bool:
    """Archive one of the customer's messages (it leaves the list). False when not theirs or archived."""
    now = timezone.now()
    return bool(InboxMessage.objects.filter(pk=message_id, customer_id=customer_id, archived_at__isnull=True)
                .update(archived_at=now, read_at=Coalesce("read_at", Value(now))))


@dataclass(frozen=True)
class InboxDraft:
    customer_id: int
    title: str
    body: str = ""
    url: str = ""
    image: str = ""
    topic_id: int | None = None
    delivery_id: int | None = None
    replace_key: str = ""
    expires_at: datetime | None = None


def inbox_messages_write(*, drafts: list[InboxDraft]) -> int:
    """Put messages in customers' inboxes; a message with a replace key replaces the customer's older
    message(s) with that key (deleted in the same transaction). Returns how many were written."""
    if not drafts:
        return 0
    now = timezone.now()
    by_key: dict[str, set[int]] = {}
    for d in drafts:
        if d.replace_key:
            by_key.setdefault(d.replace_key, set()).add(d.customer_id)
    with transaction.atomic():
        for key, customer_ids in by_key.items():
            InboxMessage.objects.filter(replace_key=key, customer_id__in=customer_ids).delete()
        InboxMessage.objects.bulk_create(
            [InboxMessage(customer_id=d.customer_id, topic_id=d.topic_id, delivery_id=d.delivery_id,
                          title=d.title[:200], body=d.body, url=d.url[:1000], image=d.image[:1000],
                          replace_key=d.replace_key[:64], expires_at=d.expires_at, created_at=now)
             for d in drafts],
            batch_size=2000)
    return len(drafts)


# --- Recording send outcomes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed delivery; the pipeline makes these, deliveries_record applies them.

    target SENT (channel, provider_message_id, inbox draft, marketing), FAILED (error), SUPPRESSED
    (reason), or SCHEDULED (at: a retry or a deferral; `counts_attempt` False for a deferral).
    """

    delivery_id: int
    target: str
    detail: str = ""
    channel: str = ""
    provider_message_id: str = ""
    reason: str = ""
    error: str = ""
    at: datetime | None = None
    counts_attempt: bool = True
    inbox: InboxDraft | None = None
    marketing: tuple[int, int] | None = None  # (customer_id, topic_id) for the frequency-cap ledger


def deliveries_record(*, claim_token: str, outcomes: list[Outcome]) -> int:
    """Apply send outcomes to deliveries still held under `claim_token`; returns how many were applied.

    Rows whose claim was lost (the sweep re-queued them after a stall) are skipped: their new holder
    decides. Outcomes alike are applied together: one UPDATE per group, not per row.
    """
    from django.db.models import F

    from preferences.services import marketing_send_record

    groups: dict[tuple[Any, ...], list[Outcome]] = {}
    for o in outcomes:
        key = (o.target, o.detail, o.channel, o.reason, o.error, o.at, o.counts_attempt)
        groups.setdefault(key, []).append(o)
    applied = 0
    now = timezone.now()
    with transaction.atomic():
        for (target, detail, channel, reason, error, at, counts), items in groups.items():
            fields: dict[str, Any] = {}
            if target == DeliveryStatus.SENT:
                fields = {"channel": channel, "sent_at": now, "last_error": "", "next_attempt_at": None}
            elif target == DeliveryStatus.FAILED:
                fields = {"last_error": error, "channel": channel}
            elif target == DeliveryStatus.SUPPRESSED:
                fields = {"suppressed_reason": reason, "channel": ""}
            elif target == DeliveryStatus.SCHEDULED:
                fields = {"scheduled_at": at or now, "next_attempt_at": at if counts else None, "channel": ""}
                if error:
                    fields["last_error"] = error
                if not counts:
                    fields["attempts"] = F("attempts") - 1
            won = set(deliveries_transition(delivery_ids=[o.delivery_id for o in items], source=DeliveryStatus.SENDING,
                                            target=target, detail=detail or error, claim_token=claim_token,
                                            **fields))
            applied += len(won)
            if target != DeliveryStatus.SENT or not won:
                continue
            done = [o for o in items if o.delivery_id in won]
            with_ids = [Delivery(pk=o.delivery_id, provider_message_id=o.provider_message_id[:255])
                        for o in done if o.provider_message_id]
            if with_ids:
                Delivery.objects.bulk_update(with_ids, ["provider_message_id"])
            inbox_messages_write(drafts=[o.inbox for o in done if o.inbox is not None])
            for o in done:
                if o.marketing:
                    marketing_send_record(customer_id=o.marketing[0], topic_id=o.marketing[1], channel=channel,
                                          sent_at=now)
    return applied


# --- GDPR erasure (registered with preferences.privacy in apps.py) ---------------------------------------

def push_subscriptions_erase(customer_id: int) -> int:
    return PushSubscription.objects.filter(customer_id=customer_id).delete()[0]


def inbox_messages_erase(customer_id: int) -> int:
    return InboxMessage.objects.filter(customer_id=customer_id).delete()[0]


def delivery_data_erase(customer_id: int) -> int:
    """Deliveries stay (campaign results count them) without their personal data: content and event data."""
    return Delivery.objects.filter(customer_id=customer_id).update(data={}, content={}, last_error="")


# --- Single messages: the transactional API and admin test sends ---------------------------------------

def message_send(*, customer_id: int, topic_id: int, idempotency_key: str, template_id: int | None = None,
                 content: dict[str, Any] | None = None, channel_order: list[str] | None = None,
                 data: dict[str, Any] | None = None, scheduled_at: datetime | None = None,
                 source: str = DeliverySource.API) -> tuple[Delivery, bool]:
    """Plan one message; the idempotency key (per customer) is its dedupe key, so a resent request returns
    the delivery made the first time. Returns (delivery, created). Due now, it is handed to a send task on
    commit: it goes out within seconds."""
    key = f"{source}:{customer_id}:{idempotency_key}"
    created = deliveries_plan(plans=[DeliveryPlan(
        customer_id=customer_id, topic_id=topic_id, template_id=template_id, content=content or {},
        channel_order=list(channel_order or []), data=data or {}, dedupe_key=key, scheduled_at=scheduled_at,
        source=source)])
    return Delivery.objects.get(dedupe_key=key[:255]), bool(created)


def template_test_send(*, template_id: int, customer_id: int, channel: str | None = None) -> Delivery:
    """Send a template to one customer now ("send a test to this customer" in admin), through the same
    policy and channels as any message. Every press is a new test message."""
    from messaging.models import MessageTemplate

    template = MessageTemplate.objects.get(pk=template_id)
    delivery, _ = message_send(customer_id=customer_id, topic_id=template.topic_id, template_id=template_id,
                               idempotency_key=uuid.uuid4().hex, channel_order=[channel] if channel else [],
                               data={"test": True}, source=DeliverySource.TEST)
    return delivery
