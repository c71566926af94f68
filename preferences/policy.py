"""The send policy: may topic T go to customer X on channel C now, and if not, why and until when.

Messaging calls `decide` for every message it is about to send, so it costs at most 3 queries (the
customer's choice for this topic and channel, their settings, their recent marketing sends) and fewer for
transactional topics, which skip the marketing-only checks.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone

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
LEDGER_WINDOW = timedelta(days=7)  # the longest cap window; older sends never matter
_DEFAULT_SETTINGS = CustomerSettings()


def decide(*, customer: Customer, topic: Topic, channel: str, now: datetime | None = None,
           reachable: bool | None = None) -> Decision:
    """Answer whether `topic` may go to `customer` on `channel` at `now` (default: the current time).

    `reachable` None means "judge from the customer's own fields" (email, phone; inbox always; web push
    cannot be known here and counts as reachable); messaging passes it explicitly for web push. The first
    failing check wins, in this order: topic_not_on_channel, global_unsubscribe, no_consent, unreachable,
    quiet_hours, frequency_cap. Quiet hours and caps apply to marketing only; their next_allowed_at is UTC.
    """
    now = now or timezone.now()
    if channel not in (topic.channels or []):
        return Decision(False, Reason.TOPIC_NOT_ON_CHANNEL)

    marketing = topic.is_marketing
    prefs = (CustomerSettings.objects.filter(customer_id=customer.pk).first() or _DEFAULT_SETTINGS) \
        if marketing else _DEFAULT_SETTINGS
    if marketing and channel in (prefs.no_marketing_channels or []):
        return Decision(False, Reason.GLOBAL_UNSUBSCRIBE)

    opted_in = (Subscription.objects.filter(customer_id=customer.pk, topic_id=topic.pk, channel=channel)
                .values_list("opted_in", flat=True).first())
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

    capped_until = _cap_end(customer.pk, prefs.frequency, now)
    if capped_until is not None:
        # The cap may run out at night: the real next chance is then when the quiet hours end.
        return Decision(False, Reason.FREQUENCY_CAP, quiet_hours_end(prefs, capped_until, tz) or capped_until)
    return ALLOWED


def _reachable(customer: Customer, channel: str) -> bool:
    if channel == Channel.EMAIL:
        return bool(customer.email)
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


def _cap_end(customer_id: int, frequency: str, now: datetime) -> datetime | None:
    """When the customer's own cap or the global marketing cap blocks a send now: when it ends."""
    caps = []
    if frequency in FREQUENCY_CAPS:
        caps.append(FREQUENCY_CAPS[frequency])
    global_per_day = settings.MARKETING_MAX_PER_DAY
    if global_per_day > 0:
        caps.append((global_per_day, timedelta(days=1)))
    if not caps:
        return None
    limit = max(n for n, _ in caps)
    # One query, bounded by the largest cap: the newest sends are all any rolling window needs.
    recent = list(MarketingSend.objects.filter(customer_id=customer_id, sent_at__gt=now - LEDGER_WINDOW,
                                               sent_at__lte=now)
                  .order_by("-sent_at").values_list("sent_at", flat=True)[:limit])
    ends = []
    for count, window in caps:
        in_window = [s for s in recent if s > now - window]
        if len(in_window) >= count:
            # Rolling window: a slot frees up when the count-th newest send leaves the window.
            ends.append(in_window[count - 1] + window)
    return max(ends) if ends else None
