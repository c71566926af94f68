"""Reads for links: the cached redirect target (the hot path), click statistics and timeline rows."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from links.destinations import utm_merge
from links.models import Click, Link, Platform

_MISSING = "-"  # cached for unknown slugs too, so a scan of random paths does not reach the database
_MISSING_SECONDS = 30


@dataclass(frozen=True)
class LinkTarget:
    """What the redirect needs to know about a link, with UTM parameters already merged into each URL."""

    id: int
    slug: str
    title: str
    description: str
    image_url: str
    ios_url: str  # empty: use fallback_url
    android_url: str
    fallback_url: str  # the default destination or the landing page
    campaign: str
    is_active: bool
    valid_from: datetime | None
    valid_until: datetime | None
    max_clicks: int | None

    def unavailable_reason(self, now: datetime) -> str | None:
        """Why the link does not redirect now ("inactive", "not_yet", "expired"), or None when it does."""
        if not self.is_active:
            return "inactive"
        if self.valid_from and now < self.valid_from:
            return "not_yet"
        if self.valid_until and now >= self.valid_until:
            return "expired"
        return None

    def destination(self, platform: str) -> str:
        if platform == Platform.IOS and self.ios_url:
            return self.ios_url
        if platform == Platform.ANDROID and self.android_url:
            return self.android_url
        return self.fallback_url


def link_cache_key(slug: str) -> str:
    # The version changes with LinkTarget's fields: a deploy must not unpickle an older shape from Redis.
    return f"links:target:v1:{slug}"


def link_target_build(link: Link) -> LinkTarget:
    utm = link.utm
    fallback = f"/p/{link.landing_page.slug}" if link.landing_page_id else link.default_url
    return LinkTarget(
        id=link.pk, slug=link.slug, title=link.title, description=link.description, image_url=link.image_url,
        ios_url=utm_merge(link.ios_url, utm) if link.ios_url else "",
        android_url=utm_merge(link.android_url, utm) if link.android_url else "",
        fallback_url=utm_merge(fallback, utm), campaign=link.campaign, is_active=link.is_active,
        valid_from=link.valid_from, valid_until=link.valid_until, max_clicks=link.max_clicks,
    )


def link_target_get(slug: str) -> LinkTarget | None:
    """The link with this (lower-case) slug from the cache, or from the database once per cache period."""
    key = link_cache_key(slug)
    cached = cache.get(key)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    link = Link.objects.select_related("landing_page").defer("qr_svg", "qr_png").filter(slug=slug).first()
    if link is None:
        cache.set(key, _MISSING, _MISSING_SECONDS)
        return None
    target = link_target_build(link)
    cache.set(key, target, settings.LINKS_CACHE_SECONDS)
    return target


def links_with_stats(queryset: QuerySet[Link]) -> QuerySet[Link]:
    """Annotate clicks total, per platform, QR vs direct and the last click, in the same single query."""
    return queryset.annotate(
        clicks_total=Count("clicks"),
        clicks_ios=Count("clicks", filter=Q(clicks__platform=Platform.IOS)),
        clicks_android=Count("clicks", filter=Q(clicks__platform=Platform.ANDROID)),
        clicks_desktop=Count("clicks", filter=Q(clicks__platform__in=[Platform.DESKTOP, Platform.MAC_OR_IPAD])),
        clicks_other=Count("clicks", filter=Q(clicks__platform=Platform.OTHER)),
        clicks_qr=Count("clicks", filter=Q(clicks__from_qr=True)),
        clicks_direct=Count("clicks", filter=Q(clicks__from_qr=False)),
        last_click_at=Max("clicks__clicked_at"),
    )


def link_clicks_by_day(*, link_id: int, days: int, today: date | None = None) -> list[tuple[date, int]]:
    """Clicks per UTC day for the last `days` days up to today, days without clicks included as 0."""
    today = today or timezone.now().astimezone(UTC).date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    rows = (Click.objects.filter(link_id=link_id, clicked_at__gte=since)
            .annotate(day=TruncDate("clicked_at", tzinfo=UTC)).values("day").annotate(n=Count("id"))
            .values_list("day", "n"))
    counts = dict(rows)
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


def link_stats(*, link_id: int, days: int) -> dict[str, object]:
    """Counts by day (last `days`), by platform and by source (qr/direct), over all time for the latter two."""
    clicks = Click.objects.filter(link_id=link_id)
    by_platform = dict(clicks.values("platform").annotate(n=Count("id")).values_list("platform", "n"))
    by_source = dict(clicks.values("from_qr").annotate(n=Count("id")).values_list("from_qr", "n"))
    return {
        "total": sum(by_platform.values()),
        "by_day": [{"date": d.isoformat(), "clicks": n} for d, n in link_clicks_by_day(link_id=link_id, days=days)],
        "by_device": {p.value: by_platform.get(p.value, 0) for p in Platform},
        "by_source": {"qr": by_source.get(True, 0), "direct": by_source.get(False, 0)},
    }


def link_recent_clicks(*, link_id: int, limit: int = 50) -> list[Click]:
    return list(Click.objects.filter(link_id=link_id).order_by("-clicked_at")[:limit])
