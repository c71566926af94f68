"""Messaging data: push subscriptions, templates, deliveries with their status history, and the inbox.

Only messaging/services.py writes these rows. A Delivery is background work with a state (STYLE rule 5):
the row, not the queue, is the source of truth, and its dedupe key makes the database refuse a second copy
of one logical message.
"""

from django.db import models
from django.utils import timezone

from preferences.models import Channel


class PushSubscription(models.Model):
    """One browser's web push subscription for one customer (the PushSubscription JSON the browser gives).

    The endpoint is unique through its SHA-256 (endpoint_hash): endpoints reach 2,000 characters, beyond what
    some databases index. A subscription the push service reports gone (404/410) is deactivated, never reused.
    """

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=2000)
    endpoint_hash = models.CharField(max_length=64, unique=True, editable=False,
                                     help_text="SHA-256 of the endpoint; the database keeps endpoints unique by it.")
    p256dh = models.CharField(max_length=128, help_text="The browser's ECDH public key, base64url.")
    auth = models.CharField(max_length=64, help_text="The browser's auth secret, base64url.")
    user_agent = models.CharField(max_length=512, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "active"], name="pushsub_customer_active")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.endpoint[:60]}"


# --- Templates ------------------------------------------------------------------------------------------

URGENCY_CHOICES = [("very-low", "very low"), ("low", "low"), ("normal", "normal"), ("high", "high")]

# The content fields a template, a translation and a delivery's inline content share (rendering.py reads them).
CONTENT_FIELDS = (
    "push_title", "push_body", "push_url", "push_image", "push_icon",
    "email_subject", "email_html", "email_text",
    "sms_text",
    "inbox_title", "inbox_body", "inbox_url", "inbox_image",
)


class ContentFields(models.Model):
    """Per-channel content, each a Django template over the sandboxed context of rendering.py."""

    push_title = models.CharField(max_length=200, blank=True)
    push_body = models.TextField(blank=True)
    push_url = models.CharField(max_length=1000, blank=True, help_text="Opened when the notification is clicked.")
    push_image = models.CharField(max_length=1000, blank=True)
    push_icon = models.CharField(max_length=1000, blank=True)
    email_subject = models.CharField(max_length=300, blank=True)
    email_html = models.TextField(blank=True, help_text="HTML part; the footer with the preference link is added.")
    email_text = models.TextField(blank=True, help_text="Plain-text part; made from the HTML when left empty.")
    sms_text = models.TextField(blank=True)
    inbox_title = models.CharField(max_length=200, blank=True)
    inbox_body = models.TextField(blank=True)
    inbox_url = models.CharField(max_length=1000, blank=True)
    inbox_image = models.CharField(max_length=1000, blank=True)

    class Meta:
        abstract = True


class MessageTemplate(ContentFields):
    key = models.SlugField(max_length=100, unique=True, help_text="Stable id used by the API and campaigns.")
    name = models.CharField(max_length=200)
    topic = models.ForeignKey("preferences.Topic", on_delete=models.PROTECT, related_name="message_templates")
    default_locale = models.CharField(max_length=16, default="en",
                                      help_text="Used when the customer's locale has no translation.")
    push_ttl = models.PositiveIntegerField(default=24 * 3600,
                                           help_text="Seconds the push service keeps it for an offline browser.")
    push_urgency = models.CharField(max_length=8, choices=URGENCY_CHOICES, default="normal")
    replace_key = models.CharField(
        max_length=32, blank=True,
        help_text="Makes it replaceable: a newer message with the same key replaces a pending push (web push "
        "Topic header) and the older inbox message. 1-32 of A-Z a-z 0-9 - _.")
    keep_in_inbox = models.BooleanField(default=False, help_text="Also keep a push in the customer's inbox.")
    inbox_expiry_hours = models.PositiveIntegerField(null=True, blank=True,
                                                     help_text="Inbox copies disappear after this many hours.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name or self.key


class TemplateTranslation(ContentFields):
    """The template in another locale; an empty field falls back to the template's default-locale content."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(max_length=16, help_text="e.g. nl, de, pl, sv")

    class Meta:
        ordering = ["template", "locale"]
        constraints = [models.UniqueConstraint(fields=["template", "locale"], name="template_translation_locale")]

    def __str__(self) -> str:
        return f"{self.template_id}/{self.locale}"


# --- Deliveries -----------------------------------------------------------------------------------------

class DeliveryStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"  # waits for scheduled_at (also a deferred or retried one)
    QUEUED = "queued", "Queued"  # claimed by the dispatcher, a send task is on the broker
    SENDING = "sending", "Sending"  # claimed by a send task
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"  # the policy said no; suppressed_reason says why
    CANCELLED = "cancelled", "Cancelled"  # an exception event or a stopped campaign withdrew it before sending


S = DeliveryStatus
# The one table of allowed status changes (applied by services.deliveries_transition).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.QUEUED, S.CANCELLED, S.SUPPRESSED}),
    # queued -> queued: the sweep re-enqueues a row whose task was lost
    S.QUEUED: frozenset({S.SENDING, S.QUEUED, S.CANCELLED}),
    # sending -> scheduled: deferred (quiet hours) or a retry later; sending -> queued: the sweep
    S.SENDING: frozenset({S.SENT, S.FAILED, S.SUPPRESSED, S.SCHEDULED, S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED}),  # retried by a marketer
    S.SENT: frozenset(),
    S.SUPPRESSED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


class DeliverySource(models.TextChoices):
    API = "api", "Transactional API"
    CAMPAIGN = "campaign", "Campaign"
    TEST = "test", "Test send"


class Delivery(models.Model):
    """One message to one customer on one channel (the channel is chosen at send time from channel_order)."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="deliveries")
    topic = models.ForeignKey("preferences.Topic", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="deliveries")
    content = models.JSONField(default=dict, blank=True,
                               help_text="Inline content (transactional API), same keys as a template's fields.")
    data = models.JSONField(default=dict, blank=True, help_text="Personalisation context: event properties etc.")
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True,
                               help_text="The channel used; blank until the policy chose one.")
    channel_order = models.JSONField(default=list, blank=True,
                                     help_text="Channels to try in order; empty: the customer's own order.")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SCHEDULED)
    suppressed_reason = models.CharField(max_length=32, blank=True,
                                         help_text="preferences Reason values, or no_channel.")
    scheduled_at = models.DateTimeField(default=timezone.now, help_text="Not sent before this time.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=16, choices=DeliverySource.choices, default=DeliverySource.API)
    # Plain ids, no foreign keys: campaigns depends on messaging, never the other way round.
    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    step_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    variant_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=255, unique=True,
                                  help_text="One delivery per logical message, guaranteed by the database.")
    # Who holds the row now: set by the conditional UPDATE that claims it, so a batch claim can read back
    # exactly the rows it won (the same query on SQLite and PostgreSQL).
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="delivery_due"),  # the dispatcher
            models.Index(fields=["campaign_id", "status"], name="delivery_campaign_status"),  # results
            models.Index(fields=["customer", "created_at"], name="delivery_customer_time"),  # timeline
            models.Index(fields=["status", "claimed_at"], name="delivery_claimed"),  # the sweep
            models.Index(fields=["claim_token"], name="delivery_claim_token"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} to {self.customer_id} ({self.status})"


class DeliveryEvent(models.Model):
    """A delivery's status history: one row per status change, with what caused it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["delivery", "at"], name="delivery_event_time")]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.status}"


# --- Inbox ----------------------------------------------------------------------------------------------

class InboxMessage(models.Model):
    """A message in the customer's web inbox. A newer message with the same replace_key replaces the older
    one (it is deleted), so an expired offer is overwritten, not stacked."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="inbox_messages")
    topic = models.ForeignKey("preferences.Topic", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    delivery = models.ForeignKey(Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    image = models.CharField(max_length=1000, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    replace_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "archived_at", "created_at"], name="inbox_customer_list"),
            models.Index(fields=["customer", "replace_key"], name="inbox_customer_replace"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.title}"
