"""Messaging data. Phase 1: the browsers' push subscriptions."""

from django.db import models


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
