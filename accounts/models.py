"""Customers (a light CRM profile), their events, and the API keys of the retailer's systems."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.validation import validate_event_name, validate_locale, validate_phone, validate_timezone


class Customer(models.Model):
    external_id = models.CharField(
        max_length=128, unique=True, help_text="The retailer's CRM id; the API addresses customers by it."
    )
    email = models.EmailField(blank=True)
    email_bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="When mail to this address bounced for good; no email is sent to it until "
        "the address changes.")
    phone = models.CharField(
        max_length=20, blank=True, validators=[validate_phone], help_text="E.164, e.g. +31612345678"
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    locale = models.CharField(max_length=16, blank=True, default="en", validators=[validate_locale])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone],
                                help_text="IANA name, e.g. Europe/Amsterdam")
    birthday = models.DateField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="Free-form profile data from the retailer.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"]), models.Index(fields=["phone"])]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.external_id})" if name else self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Event(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=64, validators=[validate_event_name])
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(help_text="When it happened, by the sender's clock.")
    received_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(
        max_length=128, help_text="Unique per customer: a resent event is stored once."
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            # Key first: ingestion looks stored events up by their keys (see events_ingest).
            models.UniqueConstraint(fields=["idempotency_key", "customer"], name="event_idempotency_per_customer")
        ]
        indexes = [
            # "did customer X do event E within N days" and the customer's timeline
            models.Index(fields=["customer", "name", "occurred_at"], name="event_customer_name_time"),
            # segments over all customers: "who did E within N days"
            models.Index(fields=["name", "occurred_at"], name="event_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    """A key for the retailer's systems. Only its SHA-256 digest is stored; the key is shown once."""

    name = models.CharField(max_length=100, help_text="Which system uses it, e.g. 'webshop'.")
    prefix = models.CharField(max_length=12, editable=False, help_text="The key's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # DRF's IsAuthenticated checks request.user.is_authenticated; the key is the authenticated principal.
    is_authenticated = True
