"""Dry run: for the campaign's first step, who would get it on which channel, and who would not and why.

It walks the audience in batches through the same pieces the launch uses (assignment, channel strategy,
campaign cap) and the same routing the send pipeline applies (messaging.pipeline.delivery_route), without
writing anything, so its counts are what the launch then does at this moment.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from campaigns.assignment import assign
from campaigns.models import Campaign, CampaignKind
from campaigns.planning import Due, _capped, _orders, audience_pages
from campaigns.tasks import _audience
from messaging.models import Delivery
from messaging.pipeline import delivery_routes

BATCH = 1_000


@dataclass
class DryRun:
    audience: int = 0
    control: int = 0
    capped: int = 0
    by_channel: Counter = field(default_factory=Counter)
    suppressed: Counter = field(default_factory=Counter)
    deferred: int = 0
    note: str = ""

    @property
    def would_send(self) -> int:
        return sum(self.by_channel.values())


def campaign_dry_run(*, campaign: Campaign) -> DryRun:
    report = DryRun()
    steps = list(campaign.steps.select_related("template", "template__topic"))
    if not steps:
        report.note = "The campaign has no steps yet."
        return report
    step = steps[0]
    if campaign.kind != CampaignKind.BROADCAST:
        report.note = ("For a triggered or lifecycle campaign this is everyone who could enter now; who does "
                       "depends on their events and dates.")
    variants = list(campaign.variants.all())
    now = timezone.now()
    for batch in audience_pages(_audience(campaign), BATCH):
        report.audience += len(batch)
        due = []
        for customer_id, tz in batch:
            in_control, variant_id = assign(campaign.pk, customer_id, campaign.control_percent, variants)
            if in_control:
                report.control += 1
                continue
            due.append(Due(entry_id=0, customer_id=customer_id, entry_key="once", variant_id=variant_id,
                           in_control=False, timezone=tz, data={}))
        capped = _capped(campaign, due, now)
        report.capped += len(capped)
        due = [d for d in due if d.customer_id not in capped]
        orders = _orders(step, [d.customer_id for d in due], now)
        deliveries = [Delivery(customer_id=d.customer_id, topic=step.template.topic,
                               channel_order=orders[d.customer_id]) for d in due]
        for route in delivery_routes(deliveries=deliveries, now=now):
            if route.channel:
                report.by_channel[route.channel] += 1
            elif route.deferred_until:
                report.deferred += 1
            else:
                report.suppressed[route.reason] += 1
    return report
