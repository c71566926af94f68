"""Turning campaign entries into planned deliveries, in batches.

Entries move through a campaign's steps. When a step is due for a batch of entries this module checks the
step's condition, applies the campaign cap, assigns the channel order (fixed, fallback, the customer's own,
or their best channel), holds the send until the campaign's window opens in the customer's time zone, and
hands the deliveries to messaging. Every delivery's dedupe key names campaign, customer, entry and step, so
running any of this twice plans nothing twice.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from campaigns.models import Campaign, CampaignEntry, CampaignStep, ChannelStrategy, EntryStatus, StepCondition
from campaigns.timing import next_in_window
from messaging.models import Delivery, DeliveryStatus, MessageTemplate
from messaging.services import DeliveryPlan, deliveries_plan
from preferences.models import Channel, CustomerSettings

DEFAULT_ORDER = [Channel.WEB_PUSH, Channel.SMS, Channel.EMAIL]
BEST_CHANNEL_DAYS = 90


@dataclass(frozen=True)
class Due:
    """An entry whose step `step` is due: what planning needs, without loading the entry model."""

    entry_id: int
    customer_id: int
    entry_key: str
    variant_id: int | None
    in_control: bool
    timezone: str
    data: dict[str, Any]


def dedupe_key(campaign_id: int, customer_id: int, entry_key: str, step: int) -> str:
    return f"campaign:{campaign_id}:customer:{customer_id}:entry:{entry_key}:step:{step}"


def _best_channels(customer_ids: Sequence[int], now: datetime) -> dict[int, list[str]]:
    """Each customer's channels by engagement (opens and clicks per delivery) over the last 90 days."""
    rows = (
        Delivery.objects.filter(customer_id__in=customer_ids, status=DeliveryStatus.SENT,
                                sent_at__gte=now - timedelta(days=BEST_CHANNEL_DAYS))
        .values("customer_id", "channel")
        .annotate(sent=Count("id"),
                  engaged=Count("id", filter=Q(opened_at__isnull=False) | Q(clicked_at__isnull=False)))
    )
    scores: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for row in rows:
        if row["engaged"]:
            scores[row["customer_id"]].append((row["engaged"] / row["sent"], row["channel"]))
    return {c: [ch for _, ch in sorted(s, key=lambda t: (-t[0], t[1]))] for c, s in scores.items()}


def _orders(step: CampaignStep, customer_ids: Sequence[int], now: datetime) -> dict[int, list[str]]:
    """The channel order per customer for this step (one query at most for the whole batch)."""
    listed = list(step.channels or []) or DEFAULT_ORDER
    if step.channel_strategy == ChannelStrategy.FIXED:
        return dict.fromkeys(customer_ids, listed[:1])
    if step.channel_strategy == ChannelStrategy.FALLBACK:
        return dict.fromkeys(customer_ids, listed)
    if step.channel_strategy == ChannelStrategy.CUSTOMER:
        own = dict(CustomerSettings.objects.filter(customer_id__in=customer_ids)
                   .values_list("customer_id", "channel_order"))
        return {c: list(own.get(c) or DEFAULT_ORDER) for c in customer_ids}
    best = _best_channels(customer_ids, now)
    # Best channel first, then the listed order for the rest (and for customers with no history).
    return {c: best.get(c, [])[:1] + [ch for ch in listed if ch not in best.get(c, [])[:1]] for c in customer_ids}


def _condition_failed(campaign: Campaign, step: CampaignStep, due: Sequence[Due]) -> set[int]:
    """Entries whose customer already did what this step's condition rules out (one query)."""
    if step.condition == StepCondition.ALWAYS or step.position == 1:
        return set()
    if step.condition == StepCondition.NOT_CONVERTED:
        return set(CampaignEntry.objects.filter(pk__in=[d.entry_id for d in due], converted_at__isnull=False)
                   .values_list("pk", flat=True))
    mark = "opened_at__isnull" if step.condition == StepCondition.NOT_OPENED else "clicked_at__isnull"
    keys = {dedupe_key(campaign.pk, d.customer_id, d.entry_key, p): d.entry_id
            for d in due for p in range(1, step.position)}
    engaged = Delivery.objects.filter(dedupe_key__in=keys, **{mark: False}).values_list("dedupe_key", flat=True)
    return {keys[k] for k in engaged}


def _capped(campaign: Campaign, due: Sequence[Due], now: datetime) -> set[int]:
    """Customers who already got cap_count messages of this campaign within cap_days (one query)."""
    if not campaign.cap_count or not campaign.cap_days:
        return set()
    rows = (Delivery.objects.filter(campaign_id=campaign.pk, customer_id__in=[d.customer_id for d in due],
                                    created_at__gte=now - timedelta(days=campaign.cap_days))
            .exclude(status__in=[DeliveryStatus.CANCELLED, DeliveryStatus.SUPPRESSED])
            .values("customer_id").annotate(n=Count("id")).filter(n__gte=campaign.cap_count))
    return {r["customer_id"] for r in rows}


def step_plan(*, campaign: Campaign, step: CampaignStep, due: Sequence[Due], now: datetime,
              variant_templates: dict[int, int] | None = None) -> int:
    """Plan this step's deliveries for the due entries; returns how many new deliveries were planned."""
    treated = [d for d in due if not d.in_control]
    if not treated:
        return 0
    skip = _condition_failed(campaign, step, treated)
    capped = _capped(campaign, treated, now)
    orders = _orders(step, [d.customer_id for d in treated], now)
    variant_templates = variant_templates or {}
    plans = []
    for d in treated:
        if d.entry_id in skip or d.customer_id in capped:
            continue
        plans.append(DeliveryPlan(
            customer_id=d.customer_id,
            topic_id=step.template.topic_id,
            template_id=variant_templates.get(d.variant_id or 0, step.template_id),
            channel_order=orders[d.customer_id],
            dedupe_key=dedupe_key(campaign.pk, d.customer_id, d.entry_key, step.position),
            scheduled_at=next_in_window(now, d.timezone, campaign.window_start, campaign.window_end),
            source="campaign", campaign_id=campaign.pk, step_id=step.pk, variant_id=d.variant_id,
            data=d.data, content={},
        ))
    return deliveries_plan(plans=plans)


def variant_templates(campaign: Campaign, step: CampaignStep) -> dict[int, int]:
    """variant id -> template id for variants that override this step's template."""
    keys = {v.pk: v.templates.get(str(step.position)) for v in campaign.variants.all()}
    by_key = dict(MessageTemplate.objects.filter(key__in=[k for k in keys.values() if k])
                  .values_list("key", "pk"))
    return {vid: by_key[k] for vid, k in keys.items() if k and k in by_key}


def next_step_fields(steps: Sequence[CampaignStep], position: int, at: datetime) -> dict[str, Any]:
    """Entry fields after `position` was handled at `at`: the next step and when it is due, or done."""
    following = [s for s in steps if s.position > position]
    if not following:
        return {"next_step": None, "next_step_at": None, "status": EntryStatus.COMPLETED}
    nxt = following[0]
    return {"next_step": nxt.position, "next_step_at": at + timedelta(minutes=nxt.delay_minutes)}


def audience_pages(queryset, size: int, *, after: int = 0) -> Iterable[list[tuple[int, str]]]:  # type: ignore[no-untyped-def]
    """(customer id, time zone) rows of a customer queryset in primary-key pages of `size`.

    Each page is its own short query (keyset pagination), so no cursor stays open across the commits and
    task enqueues made between pages, and memory holds one page at a time.
    """
    while True:
        page = list(queryset.filter(pk__gt=after).order_by("pk").values_list("pk", "timezone")[:size])
        if not page:
            return
        yield page
        after = page[-1][0]
