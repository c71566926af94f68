"""Topics, each customer's choices per topic and channel, their settings, and the proof of consent.

The policy (preferences/policy.py) reads these on every send; the only writers are preferences/services.py.
"""

from datetime import time

from django.db import models
from django.utils import timezone

from accounts.models import Customer

LANGUAGES = ("en", "nl", "de", "pl", "sv")


class Channel(models.TextChoices):
    WEB_PUSH = "web_push", "Web push"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    INBOX = "inbox", "Inbox"


class TopicKind(models.TextChoices):
    TRANSACTIONAL = "transactional", "Transactional"
    MARKETING = "marketing", "Marketing"


class Source(models.TextChoices):
    DEFAULT = "default", "Default"  # never stored in the consent log: the topic's default, nobody chose it
    PREFERENCE_CENTER = "preference_center", "Preference center"
    UNSUBSCRIBE_LINK = "unsubscribe_link", "Unsubscribe link"
    API = "api", "API"
    IMPORT = "import", "Import"
    ADMIN = "admin", "Admin"
    DOUBLE_OPT_IN = "double_opt_in", "Double opt-in"
    ERASURE = "erasure", "Erasure"


class Frequency(models.TextChoices):
    AS_IT_HAPPENS = "as_it_happens", "As it happens"
    DAILY = "daily", "At most 1 a day"
    WEEKLY = "weekly", "At most 3 a week"


def _channel_list_validator(value: object) -> None:
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or any(v not in Channel.values for v in value) or len(set(value)) != len(value):
        raise ValidationError(f"A list of distinct channels out of {', '.join(Channel.values)}.")


class Topic(models.Model):
    """What a message is about. Transactional topics may be on by default; marketing needs an opt-in."""

    key = models.SlugField(max_length=64, unique=True, help_text="Stable id used by the API and by campaigns.")
    kind = models.CharField(max_length=16, choices=TopicKind.choices)
    # One field per language rather than a JSON blob: admin edits them as plain inputs, and a missing
    # translation falls back to English (see name_in).
    name_en = models.CharField("name (English)", max_length=100)
    name_nl = models.CharField("name (Dutch)", max_length=100, blank=True)
    name_de = models.CharField("name (German)", max_length=100, blank=True)
    name_pl = models.CharField("name (Polish)", max_length=100, blank=True)
    name_sv = models.CharField("name (Swedish)", max_length=100, blank=True)
    description_en = models.CharField("description (English)", max_length=300, blank=True)
    description_nl = models.CharField("description (Dutch)", max_length=300, blank=True)
    description_de = models.CharField("description (German)", max_length=300, blank=True)
    description_pl = models.CharField("description (Polish)", max_length=300, blank=True)
    description_sv = models.CharField("description (Swedish)", max_length=300, blank=True)
    channels = models.JSONField(default=list, validators=[_channel_list_validator],
                                help_text='Channels this topic may use, e.g. ["email", "web_push"].')
    default_channels = models.JSONField(
        default=list, blank=True, validators=[_channel_list_validator],
        help_text="Channels a customer is opted in to until they choose. Only honoured for transactional "
        "topics: marketing always needs an explicit opt-in.")
    double_opt_in = models.BooleanField(
        default=False, help_text="Opting in by email sends a confirmation link first (marketing topics).")
    shown_on_page = models.BooleanField(default=True, help_text="Listed on the customer's preference page.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name_en

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        extra = set(self.default_channels or []) - set(self.channels or [])
        if extra:
            raise ValidationError({"default_channels": f"Not channels of this topic: {', '.join(sorted(extra))}."})
        if self.kind == TopicKind.MARKETING and self.default_channels:
            raise ValidationError({"default_channels": "Marketing topics need an explicit opt-in: no defaults."})

    @property
    def is_marketing(self) -> bool:
        return self.kind == TopicKind.MARKETING

    def default_for(self, channel: str) -> bool:
        return self.kind == TopicKind.TRANSACTIONAL and channel in (self.default_channels or [])

    def name_in(self, language: str) -> str:
        return getattr(self, f"name_{language[:2]}", "") or self.name_en

    def description_in(self, language: str) -> str:
        return getattr(self, f"description_{language[:2]}", "") or self.description_en


class Subscription(models.Model):
    """A customer's current choice for one topic on one channel. No row: the topic's default applies."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    opted_in = models.BooleanField()
    source = models.CharField(max_length=32, choices=Source.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "topic", "channel"],
                                               name="subscription_customer_topic_channel")]
        # "who is opted in to topic T on channel C" (segments, the admin filter)
        indexes = [models.Index(fields=["topic", "channel", "opted_in"], name="subscription_topic_channel")]

    def __str__(self) -> str:
        return f"{self.topic.key}/{self.channel}: {'in' if self.opted_in else 'out'}"


def _default_channel_order() -> list[str]:
    return [Channel.WEB_PUSH, Channel.SMS, Channel.EMAIL]


class CustomerSettings(models.Model):
    """Per-customer settings; a customer without a row has the defaults below."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True,
                                    related_name="preference_settings")
    no_marketing_channels = models.JSONField(
        default=list, blank=True, validators=[_channel_list_validator],
        help_text="Channels on which the customer gets no marketing at all, whatever the topic.")
    channel_order = models.JSONField(default=_default_channel_order, validators=[_channel_list_validator],
                                     help_text="Preferred channel order for transactional topics.")
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.AS_IT_HAPPENS)
    quiet_hours_enabled = models.BooleanField(default=True)
    quiet_start = models.TimeField(default=time(21, 0), help_text="Local time, in the customer's time zone.")
    quiet_end = models.TimeField(default=time(9, 0))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "customer settings"
        verbose_name_plural = "customer settings"

    def __str__(self) -> str:
        return f"settings of customer {self.customer_id}"


class ConsentRecord(models.Model):
    """Append-only proof of every consent change. Rows are only ever inserted (services.py).

    topic is null for a change that covers all marketing on a channel ("no marketing by SMS").
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_records")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=32, choices=Source.choices)
    # The customer's IP and user agent as their request gave them: legal proof of consent. Kept while the
    # record is (see README "Consent IP retention"), cleared on erasure and by consent_ip_purge.
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    wording_version = models.CharField(max_length=32, blank=True,
                                       help_text="Version of the text the customer saw when choosing.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "created_at"], name="consent_customer_time")]

    def __str__(self) -> str:
        what = self.topic.key if self.topic_id else "all marketing"
        return f"{'granted' if self.granted else 'revoked'} {what}/{self.channel}"


class MarketingSend(models.Model):
    """Ledger of marketing messages sent, written by messaging through marketing_send_record.

    The frequency caps count from it; it lives here so that preferences never imports messaging.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "sent_at"], name="marketing_send_customer_time")]

    def __str__(self) -> str:
        return f"{self.topic_id}/{self.channel} @ {self.sent_at:%Y-%m-%d %H:%M}"


class ErasureRecord(models.Model):
    """That a customer's personal data was erased (GDPR Art. 17), with the anonymous counts kept."""

    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    erased_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=32, choices=Source.choices)
    counts = models.JSONField(default=dict, help_text="What was erased or kept, as anonymous counts.")

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"erasure of customer {self.customer_id} at {self.erased_at:%Y-%m-%d %H:%M}"
