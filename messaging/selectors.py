"""Reads for messaging that are more than one line: inbox lists, delivery history, timeline and export."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.timeline import TimelineEntry
from messaging.models import Delivery, DeliveryStatus, InboxMessage


def inbox_visible(customer_id: int) -> QuerySet[InboxMessage]:
    """The customer's inbox: not archived, not expired, newest first (replaced ones no longer exist)."""
    now = timezone.now()
    return (InboxMessage.objects.filter(customer_id=customer_id, archived_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("-created_at", "-id"))


def inbox_unread_count(customer_id: int) -> int:
    return inbox_visible(customer_id).filter(read_at__isnull=True).count()


def delivery_history(delivery: Delivery) -> list[dict[str, Any]]:
    return [{"status": e.status, "at": e.at, "detail": e.detail} for e in delivery.events.all()]


def _title(d: Delivery) -> str:
    what = d.template.key if d.template_id else "inline message"
    where = f" by {d.channel}" if d.channel else ""
    label = DeliveryStatus(d.status).label.lower()
    if d.status == DeliveryStatus.SUPPRESSED:
        return f"{what}: suppressed ({d.suppressed_reason})"
    return f"{what}{where}: {label}"


def deliveries_timeline_source(customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer's deliveries on their timeline, with why nothing was sent when it was suppressed."""
    rows = (Delivery.objects.filter(customer_id=customer_id).select_related("template")
            .prefetch_related("events").order_by("-created_at")[:limit])
    entries = []
    for d in rows:
        events = list(d.events.all())
        detail = events[-1].detail if events else ""
        if d.campaign_id:
            detail = f"campaign {d.campaign_id}" + (f": {detail}" if detail else "")
        entries.append(TimelineEntry(at=d.sent_at or (events[-1].at if events else d.created_at), kind="delivery",
                                     title=_title(d), detail=detail))
    return entries


def deliveries_export(customer_id: int) -> list[dict[str, Any]]:
    """The export section "deliveries" (GDPR Art. 20): what we sent, or did not, and why."""
    rows = Delivery.objects.filter(customer_id=customer_id).select_related("template", "topic").order_by("created_at")
    return [{"id": d.pk, "topic": d.topic.key, "template": d.template.key if d.template_id else None,
             "channel": d.channel, "status": d.status, "suppressed_reason": d.suppressed_reason,
             "created_at": d.created_at, "sent_at": d.sent_at, "opened_at": d.opened_at, "clicked_at": d.clicked_at,
             "data": d.data} for d in rows.iterator(chunk_size=1000)]


def inbox_export(customer_id: int) -> list[dict[str, Any]]:
    return [{"title": m.title, "body": m.body, "url": m.url, "created_at": m.created_at, "read_at": m.read_at,
             "archived_at": m.archived_at} for m in InboxMessage.objects.filter(customer_id=customer_id)]


def push_subscriptions_export(customer_id: int) -> list[dict[str, Any]]:
    from messaging.models import PushSubscription

    return [{"user_agent": s.user_agent, "active": s.active, "created_at": s.created_at}
            for s in PushSubscription.objects.filter(customer_id=customer_id)]
