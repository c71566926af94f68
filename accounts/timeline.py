"""A customer's timeline: what happened to and with them, newest first, across apps.

Apps that record things about a customer (deliveries, clicks, consent changes) register a source in their
AppConfig.ready(); accounts does not import them, so dependencies keep pointing one way.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "delivery", "click", "consent", ...
    title: str
    detail: str = ""


TimelineSource = Callable[[int, int], list[TimelineEntry]]
_sources: list[TimelineSource] = []


def register_source(source: TimelineSource) -> None:
    """Add `source(customer_id, limit) -> entries` to every customer's timeline."""
    if source not in _sources:
        _sources.append(source)


def customer_timeline(customer_id: int, *, limit: int = 100) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for source in _sources:
        entries.extend(source(customer_id, limit))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def events_source(customer_id: int, limit: int) -> list[TimelineEntry]:
    from accounts.models import Event

    rows = Event.objects.filter(customer_id=customer_id).order_by("-occurred_at")[:limit]
    return [
        TimelineEntry(at=e.occurred_at, kind="event", title=e.name,
                      detail=", ".join(f"{k}={v}" for k, v in (e.properties or {}).items()))
        for e in rows
    ]
