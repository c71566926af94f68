"""Writes for customers, events and API keys. Every function owns its transaction."""

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiKey, Customer, Event
from config.queue import enqueue_on_commit

CUSTOMER_FIELDS = ("email", "phone", "first_name", "last_name", "locale", "timezone", "birthday")
API_KEY_PREFIX = "hub_"
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


class NotFound(Exception):
    """The addressed object does not exist."""


# --- Customers ------------------------------------------------------------------------------------------

def _merge_attributes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `changes` into `current`; a key whose new value is None is removed."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _apply(customer: Customer, data: Mapping[str, Any]) -> None:
    if "email" in data and data["email"] != customer.email:
        customer.email_bounced_at = None  # a new address deserves a try
    for name in CUSTOMER_FIELDS:
        if name in data:
            setattr(customer, name, data[name])
    if "attributes" in data:
        customer.attributes = _merge_attributes(customer.attributes or {}, data["attributes"] or {})


def customer_upsert(*, external_id: str, data: Mapping[str, Any], create: bool = True) -> tuple[Customer, bool]:
    """Create or update one customer from validated `data`; only the fields present change.

    Attributes are merged key by key (None removes a key). With create=False a missing customer raises
    NotFound. Returns (customer, created).
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(external_id=external_id).first()
        created = customer is None
        if created:
            if not create:
                raise NotFound(external_id)
            customer = Customer(external_id=external_id)
        _apply(customer, data)
        customer.save()
    return customer, created


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def customers_bulk_upsert(*, rows: list[Mapping[str, Any]]) -> BulkResult:
    """Upsert validated rows (each with external_id) in a constant number of queries.

    One SELECT loads the existing profiles so attributes can be merged, then one INSERT .. ON CONFLICT
    writes all rows. Later rows for the same external_id win, field by field.
    """
    result = BulkResult()
    if not rows:
        return result
    now = timezone.now()
    with transaction.atomic():
        ids = {row["external_id"] for row in rows}
        existing = {c.external_id: c for c in Customer.objects.filter(external_id__in=ids)}
        result.updated = len(existing)
        result.created = len(ids) - len(existing)
        by_id: dict[str, Customer] = {}
        for row in rows:
            ext = row["external_id"]
            customer = by_id.get(ext)
            if customer is None:
                # A fresh, unsaved copy: the INSERT .. ON CONFLICT must not carry the existing primary key.
                base = existing.get(ext)
                customer = Customer(external_id=ext, created_at=now, attributes={})
                if base is not None:
                    for name in (*CUSTOMER_FIELDS, "attributes", "created_at", "email_bounced_at"):
                        setattr(customer, name, getattr(base, name))
            _apply(customer, row)
            customer.updated_at = now
            by_id[ext] = customer
        Customer.objects.bulk_create(
            list(by_id.values()),
            update_conflicts=True,
            unique_fields=["external_id"],
            update_fields=[*CUSTOMER_FIELDS, "attributes", "updated_at", "email_bounced_at"],
        )
    return result


def customer_email_bounced(*, customer_id: int, address: str) -> bool:
    """Mark the customer's email address as bouncing, if it is still `address`; returns whether it was marked."""
    return bool(Customer.objects.filter(pk=customer_id, email=address, email_bounced_at__isnull=True)
                .update(email_bounced_at=timezone.now()))


# --- Events ---------------------------------------------------------------------------------------------

@dataclass
class IngestResult:
    ids: list[int]
    stored: int
    duplicates: int


def _customer_ids(external_ids: Iterable[str]) -> dict[str, int]:
    """Map external ids to primary keys, creating bare customers for unknown ones."""
    wanted = set(external_ids)
    found = dict(Customer.objects.filter(external_id__in=wanted).values_list("external_id", "id"))
    missing = wanted - found.keys()
    if missing:
        Customer.objects.bulk_create([Customer(external_id=e) for e in missing], ignore_conflicts=True)
        found.update(Customer.objects.filter(external_id__in=missing).values_list("external_id", "id"))
    return found


def events_ingest(*, events: list[Mapping[str, Any]]) -> IngestResult:
    """Store validated events once each and hand the new ones to the event consumers.

    Each event needs external_id, name, properties, occurred_at and may carry idempotency_key; an event
    whose key this customer already sent is not stored again and answers the existing id. The query count
    does not depend on the number of events. Consumers (settings.EVENT_CONSUMERS) get the new ids in one
    task each, after commit.
    """
    now = timezone.now()
    keyed = [(e, e.get("idempotency_key") or uuid.uuid4().hex) for e in events]
    with transaction.atomic():
        customer_ids = _customer_ids(e["external_id"] for e, _ in keyed)
        Event.objects.bulk_create(
            [
                Event(
                    customer_id=customer_ids[e["external_id"]],
                    name=e["name"],
                    properties=e.get("properties") or {},
                    occurred_at=e.get("occurred_at") or now,
                    received_at=now,
                    idempotency_key=key,
                )
                for e, key in keyed
            ],
            ignore_conflicts=True,
        )
        # Filter on the keys alone: the unique index leads with them, so this is one seek per key. Adding
        # customer_id IN (...) would make the planner probe every key x customer pair.
        rows = (
            Event.objects.filter(idempotency_key__in={key for _, key in keyed})
            .order_by()
            .values_list("id", "customer_id", "idempotency_key", "received_at")
        )
        # Rows written by this call carry this call's received_at; older ones are resends.
        stored: dict[tuple[int, str], tuple[int, bool]] = {(c, k): (i, r == now) for i, c, k, r in rows}
        ids = [stored[(customer_ids[e["external_id"]], key)][0] for e, key in keyed]
        new_ids = sorted({i for i, is_new in stored.values() if is_new})
        # To the minute: rewriting every customer row on every batch would cost more than the events insert.
        Customer.objects.filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - LAST_SEEN_RESOLUTION),
            id__in=set(customer_ids.values()),
        ).update(last_seen_at=now)
        if new_ids:
            for consumer in settings.EVENT_CONSUMERS:
                enqueue_on_commit(consumer, new_ids)
    return IngestResult(ids=ids, stored=len(new_ids), duplicates=len(ids) - len(new_ids))


def event_ingest_one(*, external_id: str, name: str, properties: Mapping[str, Any] | None = None,
                     occurred_at: datetime | None = None, idempotency_key: str | None = None) -> int:
    """Store one event (the path other apps use for events they observe, such as link_clicked)."""
    result = events_ingest(events=[{
        "external_id": external_id, "name": name, "properties": properties or {},
        "occurred_at": occurred_at, "idempotency_key": idempotency_key,
    }])
    return result.ids[0]


# --- API keys -------------------------------------------------------------------------------------------

def api_key_digest(raw: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, name: str, created_by_id: int | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value, which is never stored and cannot be shown again."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name, prefix=raw[: len(API_KEY_PREFIX) + 6], digest=api_key_digest(raw), created_by_id=created_by_id
    )
    return key, raw


def api_key_revoke(*, api_key_id: int) -> bool:
    """Revoke a key at once; returns False when it was already revoked."""
    return bool(ApiKey.objects.filter(pk=api_key_id, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once a minute per key so that the API's hot paths do not write on every call."""
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
