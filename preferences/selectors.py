"""Reads for the preference page, the API, admin and the data export."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import Customer, Event
from accounts.timeline import TimelineEntry
from preferences import privacy
from preferences.models import Channel, ConsentRecord, CustomerSettings, Source, Subscription, Topic


@dataclass(frozen=True)
class Cell:
    channel: str
    available: bool  # the topic uses this channel
    opted_in: bool
    source: str  # "default" when the customer never chose
    updated_at: Any = None


@dataclass(frozen=True)
class TopicRow:
    topic: Topic
    name: str
    description: str
    cells: list[Cell]


def customer_settings(customer_id: int) -> CustomerSettings:
    """The customer's settings, or unsaved defaults when they never changed any."""
    return CustomerSettings.objects.filter(customer_id=customer_id).first() or CustomerSettings(
        customer_id=customer_id)


def preference_grid(customer_id: int, *, language: str = "en", shown_only: bool = True) -> list[TopicRow]:
    """Every topic with the customer's state on each channel, in topic order (2 queries)."""
    topics = Topic.objects.all()
    if shown_only:
        topics = topics.filter(shown_on_page=True)
    chosen = {(s.topic_id, s.channel): s for s in Subscription.objects.filter(customer_id=customer_id)}
    rows = []
    for topic in topics:
        cells = []
        for channel in Channel.values:
            sub = chosen.get((topic.pk, channel))
            available = channel in (topic.channels or [])
            if sub is not None:
                cells.append(Cell(channel, available, available and sub.opted_in, sub.source, sub.updated_at))
            else:
                cells.append(Cell(channel, available, available and topic.default_for(channel), Source.DEFAULT))
        rows.append(TopicRow(topic, topic.name_in(language), topic.description_in(language), cells))
    return rows


def customers_opted_in(topic: Topic, channel: str) -> QuerySet[Customer]:
    """Customers opted in to `topic` on `channel`, counting the topic's default for those who never chose."""
    if channel not in (topic.channels or []):
        return Customer.objects.none()
    subs = Subscription.objects.filter(customer=OuterRef("pk"), topic=topic, channel=channel)
    if topic.default_for(channel):
        return Customer.objects.filter(~Exists(subs.filter(opted_in=False)))
    return Customer.objects.filter(Exists(subs.filter(opted_in=True)))


def consent_timeline_source(customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer's consent changes for their admin timeline (registered in PreferencesConfig.ready)."""
    rows = ConsentRecord.objects.filter(customer_id=customer_id).select_related("topic")[:limit]
    return [
        TimelineEntry(at=r.created_at, kind="consent",
                      title=f"{'granted' if r.granted else 'revoked'}: "
                            f"{r.topic.name_en if r.topic_id else 'all marketing'} by {r.channel}",
                      detail=f"source {r.source}" + (f", wording {r.wording_version}" if r.wording_version else ""))
        for r in rows
    ]


# --- Data export (GDPR Art. 20) -------------------------------------------------------------------------

def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def _profile(customer_id: int) -> dict[str, Any]:
    c = Customer.objects.get(pk=customer_id)
    return {"external_id": c.external_id, "email": c.email, "phone": c.phone, "first_name": c.first_name,
            "last_name": c.last_name, "locale": c.locale, "timezone": c.timezone, "birthday": _iso(c.birthday),
            "attributes": c.attributes, "created_at": _iso(c.created_at), "last_seen_at": _iso(c.last_seen_at)}


def _events(customer_id: int) -> list[dict[str, Any]]:
    return [{"name": e.name, "properties": e.properties, "occurred_at": _iso(e.occurred_at)}
            for e in Event.objects.filter(customer_id=customer_id).iterator()]


def _preferences(customer_id: int) -> dict[str, Any]:
    prefs = customer_settings(customer_id)
    return {
        "topics": {row.topic.key: {c.channel: c.opted_in for c in row.cells if c.available}
                   for row in preference_grid(customer_id, shown_only=False)},
        "no_marketing_channels": prefs.no_marketing_channels, "channel_order": prefs.channel_order,
        "frequency": prefs.frequency,
        "quiet_hours": {"enabled": prefs.quiet_hours_enabled, "start": prefs.quiet_start.strftime("%H:%M"),
                        "end": prefs.quiet_end.strftime("%H:%M")},
    }


def _consent_records(customer_id: int) -> list[dict[str, Any]]:
    return [{"topic": r.topic.key if r.topic_id else None, "channel": r.channel, "granted": r.granted,
             "source": r.source, "ip": r.ip, "user_agent": r.user_agent, "wording_version": r.wording_version,
             "at": _iso(r.created_at)}
            for r in ConsentRecord.objects.filter(customer_id=customer_id).select_related("topic").order_by(
                "created_at", "id")]


def customer_export(customer_id: int) -> dict[str, Any]:
    """Everything we hold about one customer as JSON-ready data; other apps add sections (privacy.py)."""
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat(), "profile": _profile(customer_id),
                            "events": _events(customer_id), "preferences": _preferences(customer_id),
                            "consent_records": _consent_records(customer_id)}
    for name, section in privacy.export_sections():
        data[name] = section(customer_id)
    return data

