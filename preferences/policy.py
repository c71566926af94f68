"""The send policy: may topic T go to customer X on channel C now, and if not, why and until when.

Messaging calls `decide` for every message it is about to send, so it costs one query keyed on the
customer: their choice for this topic and channel and, for marketing topics, their settings and the recent
sends that decide the frequency caps.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time

from accounts.models import Customer
from preferences.models import Channel, CustomerSettings, Frequency, MarketingSend, Subscription, Topic

__all__ = ["Channel", "Decision", "Reason", "decide"]


class Reason(models.TextChoices):
    NO_CONSENT = "no_consent", "No consent"
    GLOBAL_UNSUBSCRIBE = "global_unsubscribe", "Unsubscribed from all marketing on this channel"
    TOPIC_NOT_ON_CHANNEL = "topic_not_on_channel", "Topic does not use this channel"
    UNREACHABLE = "unreachable", "No address for this channel"
    QUIET_HOURS = "quiet_hours", "Quiet hours"
    FREQUENCY_CAP = "frequency_cap", "Frequency cap"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | None = None
    next_allowed_at: datetime | None = None  # UTC; set for quiet_hours and frequency_cap


ALLOWED = Decision(allowed=True)

# (how many, within how long) per frequency choice; AS_IT_HAPPENS has no personal cap.
FREQUENCY_CAPS: dict[str, tuple[int, timedelta]] = {
    Frequency.DAILY: (1, timedelta(days=1)),
    Frequency.WEEKLY: (3, timedelta(days=7)),
}
_DEFAULT_SETTINGS = CustomerSettings()


def decide(*, customer: Customer, topic: Topic, channel: str, now: datetime | None = None,
           reachable: bool | None = None) -> Decision:
    """Answer whether `topic` may go to `customer` on `channel` at `now` (default: the current time).

    `reachable` None means "judge from the customer's own fields" (email, phone; inbox always; web push
    cannot be known here and counts as reachable); messaging passes it explicitly for web push. The first
    failing check wins, in this order: topic_not_on_channel, global_unsubscribe, no_consent, unreachable,
    quiet_hours, frequency_cap. Quiet hours and caps apply to marketing only; their next_allowed_at is UTC.
    Costs one query (none when the topic does not use the channel).
    """
    now = now or timezone.now()
    if channel not in (topic.channels or []):
        return Decision(False, Reason.TOPIC_NOT_ON_CHANNEL)

    marketing = topic.is_marketing
    facts = _facts(customer.pk, topic.pk, channel, now, marketing=marketing)
    prefs = _settings(facts) if marketing else _DEFAULT_SETTINGS
    if marketing and channel in (prefs.no_marketing_channels or []):
        return Decision(False, Reason.GLOBAL_UNSUBSCRIBE)

    opted_in = facts["opted_in"]
    if not (topic.default_for(channel) if opted_in is None else opted_in):
        return Decision(False, Reason.NO_CONSENT)

    if not (_reachable(customer, channel) if reachable is None else reachable):
        return Decision(False, Reason.UNREACHABLE)
    if not marketing:
        return ALLOWED

    tz = _zone(customer.timezone)
    quiet_end = quiet_hours_end(prefs, now, tz)
    if quiet_end is not None:
        return Decision(False, Reason.QUIET_HOURS, quiet_end)

    capped_until = _cap_end(facts, prefs.frequency)
    if capped_until is not None:
        # The cap may run out at night: the real next chance is then when the quiet hours end.
        return Decision(False, Reason.FREQUENCY_CAP, quiet_hours_end(prefs, capped_until, tz) or capped_until)
    return ALLOWED


_SETTINGS_FIELDS = ("no_marketing_channels", "frequency", "quiet_hours_enabled", "quiet_start", "quiet_end")


def _caps() -> dict[str, tuple[int, timedelta]]:
    """Every cap that may apply, by name: each possible choice of the customer's, and the global one."""
    caps = {str(name): cap for name, cap in FREQUENCY_CAPS.items()}
    if settings.MARKETING_MAX_PER_DAY > 0:
        caps["global"] = (settings.MARKETING_MAX_PER_DAY, timedelta(days=1))
    return caps


@lru_cache(maxsize=8)
def _sql(vendor: str, caps: tuple[tuple[str, int], ...] | None) -> str:
    """The decision's one query; caps None for transactional topics (only the choice is needed).

    Raw SQL because building an equivalent ORM query (a join and several subqueries) costs more Python
    time than the database spends answering it, and this runs for every message sent. Every part is an
    index lookup: the subscription's unique key, the settings' primary key, and per cap an index range scan
    on (customer, sent_at) that picks the count-th newest send in the cap's window: if it exists the cap
    is full until that send leaves the window.
    """
    q = connection.ops.quote_name
    # Only identifiers from model metadata and an integer are formatted in; every value is a parameter.
    choice = (f"SELECT {q('opted_in')} FROM {q(Subscription._meta.db_table)} "  # noqa: S608
              f"WHERE {q('customer_id')} = %s AND {q('topic_id')} = %s AND {q('channel')} = %s")
    if caps is None:
        return choice
    sends = [f"(SELECT {q('sent_at')} FROM {q(MarketingSend._meta.db_table)} WHERE {q('customer_id')} = %s "  # noqa: S608
             f"AND {q('sent_at')} > %s AND {q('sent_at')} <= %s ORDER BY {q('sent_at')} DESC "
             f"LIMIT 1 OFFSET {int(count) - 1})" for _name, count in caps]
    columns = ", ".join([f"({choice})", *(f"s.{q(name)}" for name in _SETTINGS_FIELDS), *sends])
    return (f"SELECT {columns} FROM (SELECT 1 AS one) AS one "  # noqa: S608
            f"LEFT JOIN {q(CustomerSettings._meta.db_table)} AS s ON s.{q('customer_id')} = %s")


def _facts(customer_id: int, topic_id: int, channel: str, now: datetime, *, marketing: bool) -> dict[str, Any]:
    """Everything a decision needs from the database, in one query (see _sql)."""
    choice_params = [customer_id, topic_id, channel]
    if not marketing:
        with connection.cursor() as cursor:
            cursor.execute(_sql(connection.vendor, None), choice_params)
            row = cursor.fetchone()
        return {"opted_in": None if row is None else bool(row[0])}
    caps = _caps()
    params: list[Any] = list(choice_params)
    adapt = connection.ops.adapt_datetimefield_value
    for _count, window in caps.values():
        params += [customer_id, adapt(now - window), adapt(now)]
    params.append(customer_id)
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor, tuple((name, c) for name, (c, _w) in caps.items())), params)
        row = cursor.fetchone()
    opted_in, *prefs, = row[: 1 + len(_SETTINGS_FIELDS)]
    facts: dict[str, Any] = {"opted_in": None if opted_in is None else bool(opted_in)}
    facts["settings"] = None if prefs[1] is None else CustomerSettings(
        no_marketing_channels=json.loads(prefs[0]) if isinstance(prefs[0], str) else prefs[0],
        frequency=prefs[1], quiet_hours_enabled=bool(prefs[2]),
        quiet_start=_time_value(prefs[3]), quiet_end=_time_value(prefs[4]))
    for name, value in zip(caps, row[1 + len(_SETTINGS_FIELDS):], strict=True):
        facts[f"cap_{name}"] = _datetime_value(value)
    return facts


def _time_value(value: Any) -> dtime:
    return value if isinstance(value, dtime) else parse_time(str(value))


def _datetime_value(value: Any) -> datetime | None:
    # SQLite answers text in UTC, PostgreSQL an aware datetime.
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _settings(facts: dict[str, Any]) -> CustomerSettings:
    return facts["settings"] or _DEFAULT_SETTINGS


def _reachable(customer: Customer, channel: str) -> bool:
    if channel == Channel.EMAIL:
        return bool(customer.email) and customer.email_bounced_at is None
    if channel == Channel.SMS:
        return bool(customer.phone)
    return True  # inbox always; web push is only known to messaging (its push subscriptions)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_hours_end(prefs: CustomerSettings, at: datetime, tz: ZoneInfo) -> datetime | None:
    """When `at` falls in the customer's quiet hours: the UTC instant they end; otherwise None.

    The window is local wall-clock time and may cross midnight (21:00-09:00). The end is computed on the
    local calendar, so a DST change during the night moves it by the hour, as the customer would expect.
    """
    start, end = prefs.quiet_start, prefs.quiet_end
    if not prefs.quiet_hours_enabled or start == end:
        return None
    local = at.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return _local_to_utc(end_day, end, tz)


def _local_to_utc(day: date, at: dtime, tz: ZoneInfo) -> datetime:
    # A wall time skipped by a DST jump (02:30 on spring-forward) maps, with fold=0, to the instant just
    # after the jump; a repeated one (fall-back) to its first occurrence. Both are the right "end".
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _cap_end(facts: dict[str, Any], frequency: str) -> datetime | None:
    """When the customer's own cap or the global marketing cap is full: the UTC time a slot frees up."""
    ends = []
    for name, (_count, window) in _caps().items():
        if name not in ("global", frequency):
            continue
        deciding_send = facts.get(f"cap_{name}")
        if deciding_send is not None:
            ends.append(deciding_send + window)
    return max(ends) if ends else None
