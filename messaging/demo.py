"""Demo templates and inbox messages for `make run` (seed_demo). Idempotent: keys and dedupe keys are fixed."""

from django.db import transaction

from accounts.models import Customer
from messaging.models import Delivery, InboxMessage, MessageTemplate, TemplateTranslation
from messaging.services import InboxDraft, inbox_messages_write
from preferences import tokens
from preferences.demo import topics_ensure

TEMPLATES = [
    {"key": "order-confirmation", "name": "Order confirmation", "topic": "order-updates",
     "push_title": "Thanks {{ customer.first_name }}!", "push_body": "Order {{ data.order_id }} is confirmed.",
     "push_url": "{{ links.inbox }}", "keep_in_inbox": True, "replace_key": "",
     "email_subject": "Your order {{ data.order_id }}",
     "email_html": "<p>Hi {{ customer.first_name }},</p><p>We received order <b>{{ data.order_id }}</b> "
                   "({{ data.total }}).</p>",
     "sms_text": "Order {{ data.order_id }} confirmed. Thank you!",
     "inbox_title": "Order {{ data.order_id }} confirmed", "inbox_body": "We will let you know when it ships.",
     "nl": {"push_title": "Bedankt {{ customer.first_name }}!", "push_body": "Bestelling {{ data.order_id }} is "
            "bevestigd.", "inbox_title": "Bestelling {{ data.order_id }} bevestigd"}},
    {"key": "cart-reminder", "name": "Cart reminder", "topic": "offers",
     "push_title": "Still thinking it over?", "push_body": "Your cart of {{ data.cart_value }} is waiting.",
     "push_urgency": "low", "push_ttl": 6 * 3600, "replace_key": "cart", "keep_in_inbox": True,
     "inbox_expiry_hours": 48, "email_subject": "You left something behind",
     "email_html": "<p>Your cart of {{ data.cart_value }} is waiting, {{ customer.first_name }}.</p>",
     "inbox_title": "Your cart is waiting", "inbox_body": "Complete your order before it expires."},
    {"key": "spring-sale", "name": "Spring sale", "topic": "offers", "replace_key": "offer",
     "push_title": "Spring sale: 20% off", "push_body": "Today only, {{ customer.first_name }}.",
     "email_subject": "Spring sale", "email_html": "<h1>20% off everything</h1>",
     "sms_text": "Spring sale: 20% off today. Reply STOP to opt out.", "inbox_title": "Spring sale: 20% off",
     "inbox_body": "Today only."},
]
INBOX = [("Welcome to your inbox", "Messages we send you are kept here.", ""),
         ("Your order is on its way", "Order A-1001 was shipped today.", ""),
         ("Spring sale: 20% off", "Today only.", "offer")]


def templates_ensure() -> dict[str, MessageTemplate]:
    topics = topics_ensure()
    out = {}
    for spec in TEMPLATES:
        fields = {k: v for k, v in spec.items() if k not in ("key", "topic", "nl")}
        out[spec["key"]], _ = MessageTemplate.objects.update_or_create(
            key=spec["key"], defaults={**fields, "topic": topics[spec["topic"]]})
        if "nl" in spec:
            TemplateTranslation.objects.update_or_create(template=out[spec["key"]], locale="nl", defaults=spec["nl"])
    return out


def load_demo(site_url: str) -> list[str]:
    with transaction.atomic():
        templates_ensure()
        customer = Customer.objects.filter(external_id="demo-0001").first()
        if customer is None:
            return []
        if not InboxMessage.objects.filter(customer=customer).exists() and not Delivery.objects.filter(
                customer=customer).exists():
            inbox_messages_write(drafts=[InboxDraft(customer_id=customer.pk, title=t, body=b, replace_key=k)
                                         for t, b, k in INBOX])
    return [f"Inbox ({customer.external_id}): {tokens.inbox_url(customer.pk, site_url=site_url)}"]
