"""Segments: audiences defined by rules that compile to one SQL query (see campaigns/segments.py)."""

from django.db import models


class Match(models.TextChoices):
    ALL = "all", "all of these rules"
    ANY = "any", "any of these rules"


class Segment(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL,
                             help_text="How the top-level rules and groups combine.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SegmentGroup(models.Model):
    """One level of nesting: a group's rules combine by its own match, then count as one top-level rule."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=100, help_text="A label to pick this group on rules, e.g. 'Big spenders'.")
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ANY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["segment", "name"], name="segment_group_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_match_display()})"


class RuleKind(models.TextChoices):
    PROFILE = "profile", "profile field"
    ATTRIBUTE = "attribute", "attribute"
    CREATED = "created", "created within N days"
    LAST_SEEN = "last_seen", "last seen within N days"
    EVENT = "event", "did event"
    CLICKED_LINK = "clicked_link", "clicked link (slug in value)"
    RECEIVED = "received", "received campaign"
    OPENED = "opened", "opened campaign"
    NOT_OPENED = "not_opened", "received campaign but did not open it"
    REACHABLE = "reachable", "reachable on channel (channel in field)"
    OPTED_IN = "opted_in", "opted in to topic on channel (channel in field)"


class Operator(models.TextChoices):
    EQ = "eq", "="
    NE = "ne", "≠"
    CONTAINS = "contains", "contains"
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"
    IN = "in", "is one of (comma-separated)"
    IS_SET = "is_set", "is set"
    IS_NOT_SET = "is_not_set", "is not set"


class ValueType(models.TextChoices):
    TEXT = "text", "text"
    NUMBER = "number", "number"
    DATE = "date", "date (YYYY-MM-DD)"


class SegmentRule(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="rules")
    group = models.ForeignKey(SegmentGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="rules",
                              help_text="Leave empty for a top-level rule.")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=RuleKind.choices, default=RuleKind.PROFILE)
    negate = models.BooleanField(default=False, help_text="Invert the rule: did NOT do the event, NOT created "
                                 "within, NOT seen within.")
    # profile field or attribute key, compared with operator and value
    field = models.CharField(max_length=64, blank=True,
                             help_text="Profile field (email, locale, timezone, birthday, ...) or attribute key.")
    operator = models.CharField(max_length=12, choices=Operator.choices, default=Operator.EQ)
    value = models.CharField(max_length=500, blank=True)
    value_type = models.CharField(max_length=8, choices=ValueType.choices, default=ValueType.TEXT)
    # events
    event_name = models.CharField(max_length=64, blank=True)
    event_filters = models.JSONField(
        default=list, blank=True,
        help_text='Property filters, e.g. [{"key": "cart_value", "op": "gt", "value": 100}].',
    )
    within_days = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means ever.")
    campaign = models.ForeignKey("Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 help_text="For received / opened / did not open.")
    topic = models.ForeignKey("preferences.Topic", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", help_text="For opted in.")
    min_count = models.PositiveIntegerField(default=1, help_text="At least this many times.")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        from campaigns.segments import rule_describe

        return rule_describe(self)

    def clean(self) -> None:
        from campaigns.segments import rule_validate

        if self.group_id and self.segment_id and self.group.segment_id != self.segment_id:
            from django.core.exceptions import ValidationError

            raise ValidationError({"group": "Pick a group of this segment."})
        rule_validate(self)


# --- Campaigns ------------------------------------------------------------------------------------------

class CampaignKind(models.TextChoices):
    BROADCAST = "broadcast", "Broadcast (to a segment, now or scheduled)"
    TRIGGERED = "triggered", "Triggered (by an event)"
    LIFECYCLE = "lifecycle", "Lifecycle (daily: inactivity, birthday, anniversary)"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class LifecycleKind(models.TextChoices):
    INACTIVE = "inactive", "Inactive for N days"
    BIRTHDAY = "birthday", "Birthday"
    ANNIVERSARY = "anniversary", "Signup anniversary"


class Campaign(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=CampaignKind.choices, default=CampaignKind.BROADCAST)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT,
                              editable=False)
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.PROTECT,
                                help_text="Audience. Empty means every customer.")
    # broadcast
    send_at = models.DateTimeField(null=True, blank=True, help_text="Broadcast: when to send; empty = at launch.")
    local_send_time = models.TimeField(
        null=True, blank=True, help_text="Broadcast: send at this local time in each customer's time zone "
        "(on the day of send_at, or the next such time after launch).")
    # triggered
    trigger_event = models.CharField(max_length=64, blank=True, help_text="Triggered: e.g. cart_abandoned.")
    trigger_filters = models.JSONField(default=list, blank=True,
                                       help_text='e.g. [{"key": "cart_value", "op": "gt", "value": 100}]')
    exception_events = models.JSONField(
        default=list, blank=True, help_text='Events that cancel what is still pending, e.g. ["order_placed"].')
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    window_start = models.TimeField(null=True, blank=True, help_text="Send window start, customer's local time.")
    window_end = models.TimeField(null=True, blank=True, help_text="Send window end, customer's local time.")
    reentry_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Re-eligibility: empty = once ever; N = again N days after entering.")
    cap_count = models.PositiveIntegerField(null=True, blank=True,
                                            help_text="Campaign frequency cap: at most this many messages ...")
    cap_days = models.PositiveIntegerField(null=True, blank=True, help_text="... per this many days.")
    # lifecycle
    lifecycle = models.CharField(max_length=16, choices=LifecycleKind.choices, blank=True)
    inactive_days = models.PositiveIntegerField(null=True, blank=True)
    local_hour = models.PositiveSmallIntegerField(default=9, help_text="Lifecycle: the customer's local hour.")
    # experiment and goal
    control_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Hold-out: this share of the audience is never sent, to measure uplift.")
    goal_event = models.CharField(max_length=64, blank=True, help_text="Conversion goal, e.g. order_placed.")
    goal_filters = models.JSONField(default=list, blank=True)
    attribution_days = models.PositiveIntegerField(default=3)

    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True, editable=False)
    fanout_done_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class StepCondition(models.TextChoices):
    ALWAYS = "always", "always"
    NOT_OPENED = "not_opened", "only if not opened yet"
    NOT_CLICKED = "not_clicked", "only if not clicked yet"
    NOT_CONVERTED = "not_converted", "only if not converted yet"


class ChannelStrategy(models.TextChoices):
    FIXED = "fixed", "a fixed channel (the first listed)"
    FALLBACK = "fallback", "the listed order, falling back when unreachable"
    CUSTOMER = "customer", "the customer's own channel order"
    BEST = "best", "best channel (most engagement over 90 days)"


class CampaignStep(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=1)
    template = models.ForeignKey("messaging.MessageTemplate", on_delete=models.PROTECT)
    delay_minutes = models.PositiveIntegerField(
        default=0, help_text="After the trigger (step 1) or the previous step.")
    condition = models.CharField(max_length=16, choices=StepCondition.choices, default=StepCondition.ALWAYS)
    channel_strategy = models.CharField(max_length=16, choices=ChannelStrategy.choices,
                                        default=ChannelStrategy.FALLBACK)
    channels = models.JSONField(default=list, blank=True, help_text='e.g. ["web_push", "sms", "email"]')

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [models.UniqueConstraint(fields=["campaign", "position"], name="campaign_step_position")]

    def __str__(self) -> str:
        return f"step {self.position}"


class Variant(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=50)
    weight = models.PositiveSmallIntegerField(default=1)
    templates = models.JSONField(
        default=dict, blank=True,
        help_text='Template per step for this variant, e.g. {"1": "cart-reminder-b"}; other steps use the '
        "step's template.")

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="variant_name_per_campaign")]

    def __str__(self) -> str:
        return self.name


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled by an exception event"
    EXITED = "exited", "Exited (campaign stopped)"


class CampaignEntry(models.Model):
    """One customer's pass through a campaign: their variant (or the control group) and the next step due."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="campaign_entries")
    entry_key = models.CharField(max_length=64, help_text="'once', or the day of entry when re-eligible.")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL)
    in_control = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=EntryStatus.choices, default=EntryStatus.ACTIVE)
    entered_at = models.DateTimeField()
    trigger_event_id = models.BigIntegerField(null=True, blank=True)
    next_step = models.PositiveSmallIntegerField(null=True, blank=True)
    next_step_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer", "entry_key"],
                                               name="one_entry_per_key")]
        indexes = [models.Index(fields=["status", "next_step_at"], name="entry_due"),
                   models.Index(fields=["customer", "campaign", "status"], name="entry_customer")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id}"
