"""Demo segments and campaigns for `make run` (idempotent: looked up by name)."""

from django.urls import reverse

from campaigns.models import Campaign, CampaignStatus, CampaignStep, Segment, SegmentRule, Variant
from campaigns.services import campaign_launch
from messaging.demo import templates_ensure


def load_demo(site_url: str) -> list[str]:
    templates = templates_ensure()
    segment, created = Segment.objects.get_or_create(
        name="Big carts this month", defaults={"description": "Abandoned a cart over 100 in the last 30 days."})
    if created:
        SegmentRule.objects.create(segment=segment, kind="event", event_name="cart_abandoned", within_days=30,
                                   event_filters=[{"key": "cart_value", "op": "gt", "value": 100}])
    cart, created = Campaign.objects.get_or_create(name="Abandoned cart", defaults={
        "kind": "triggered", "trigger_event": "cart_abandoned",
        "trigger_filters": [{"key": "cart_value", "op": "gt", "value": 100}],
        "exception_events": ["order_placed"], "window_start": "09:00", "window_end": "21:00",
        "reentry_days": 7, "control_percent": 10, "goal_event": "order_placed", "attribution_days": 3})
    if created:
        CampaignStep.objects.create(campaign=cart, position=1, template=templates["cart-reminder"],
                                    delay_minutes=30, channel_strategy="fallback", channels=["web_push", "email"])
        CampaignStep.objects.create(campaign=cart, position=2, template=templates["cart-reminder"],
                                    delay_minutes=24 * 60, condition="not_converted", channel_strategy="customer")
        Variant.objects.create(campaign=cart, name="A")
        Variant.objects.create(campaign=cart, name="B")
    if cart.status == CampaignStatus.DRAFT:
        campaign_launch(campaign_id=cart.pk)
    spring, created = Campaign.objects.get_or_create(name="Spring sale", defaults={
        "kind": "broadcast", "segment": segment, "control_percent": 5})
    if created:
        CampaignStep.objects.create(campaign=spring, position=1, template=templates["spring-sale"],
                                    channel_strategy="best", channels=["web_push", "email", "sms"])
    admin = f"{site_url}{reverse('admin:campaigns_campaign_changelist')}"
    return [f"Campaigns:  {admin}  (\"Abandoned cart\" is running; \"Spring sale\" is a draft to dry-run)"]
