"""Reads for the admin overview: reach per channel, running campaigns, the last days' engagement."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import Campaign, CampaignStatus
from campaigns.segments import _reachable_q
from messaging.models import Delivery

OVERVIEW_DAYS = 7
OVERVIEW_CACHE_SECONDS = 60


@dataclass
class Overview:
    customers: int
    reachable: dict[str, int]
    running: list[Campaign]
    days: list[date]
    series: dict[str, list[int]]


def overview() -> Overview:
    """Counts over whole tables are cached for a minute so the admin index stays quick on big data."""
    counts = cache.get("campaigns:overview")
    if counts is None:
        today = timezone.now().date()
        days = [today - timedelta(days=n) for n in range(OVERVIEW_DAYS - 1, -1, -1)]
        since = timezone.now() - timedelta(days=OVERVIEW_DAYS)
        series: dict[str, list[int]] = {}
        for label, column in (("sends", "sent_at"), ("opens", "opened_at"), ("clicks", "clicked_at"),
                              ("conversions", "converted_at")):
            per_day = dict(Delivery.objects.filter(**{f"{column}__gte": since}).annotate(day=TruncDate(column))
                           .values("day").annotate(n=Count("id")).values_list("day", "n"))
            series[label] = [per_day.get(d, 0) for d in days]
        counts = {
            "customers": Customer.objects.count(),
            "reachable": {c: Customer.objects.filter(_reachable_q(c)).count() for c in ("web_push", "email", "sms")},
            "days": days, "series": series,
        }
        cache.set("campaigns:overview", counts, OVERVIEW_CACHE_SECONDS)
    running = list(Campaign.objects.filter(status=CampaignStatus.RUNNING).order_by("-launched_at")[:10])
    return Overview(running=running, **counts)
