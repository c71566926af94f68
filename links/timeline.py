"""Clicks in a customer's timeline (registered in LinksConfig.ready)."""

from accounts.timeline import TimelineEntry
from links.models import Click


def clicks_source(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = (Click.objects.filter(customer_id=customer_id).select_related("link").only(
        "clicked_at", "platform", "from_qr", "delivery_id", "link__slug", "link__title", "link__campaign")
        .order_by("-clicked_at")[:limit])
    entries = []
    for click in rows:
        detail = [click.get_platform_display(), "QR scan" if click.from_qr else "click"]
        if click.link.campaign:
            detail.append(f"campaign={click.link.campaign}")
        if click.delivery_id:
            detail.append(f"delivery={click.delivery_id}")
        entries.append(TimelineEntry(at=click.clicked_at, kind="click",
                                     title=f"Opened /l/{click.link.slug} ({click.link.title})",
                                     detail=", ".join(detail)))
    return entries
