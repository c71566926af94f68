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
