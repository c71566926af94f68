"""Writes for messaging. Every function owns its transaction (STYLE rule 2)."""

import hashlib

from django.db import transaction
from django.utils import timezone

from messaging.models import PushSubscription


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
