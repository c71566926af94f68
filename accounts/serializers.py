"""API input and output for customers and events.

Input serializers are plain Serializers, not ModelSerializers: they validate without touching the
database, so validating a 10,000-row batch costs no queries.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import Customer
from accounts.validation import normalize_phone, validate_event_name, validate_locale, validate_timezone
from config.api_errors import drf_validator

MAX_BULK_CUSTOMERS = 10_000
MAX_EVENTS = 1_000




class CustomerInSerializer(serializers.Serializer):
    """Fields of a customer upsert. Absent fields keep their value; null clears a field.

    `attributes` merges key by key into the stored ones; a key set to null is removed.
    """

    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32,
                                  help_text="E.164 with country code, e.g. +31612345678.")
    first_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=150)
    locale = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                   validators=[drf_validator(validate_locale)])
    timezone = serializers.CharField(required=False, max_length=64, validators=[drf_validator(validate_timezone)],
                                     help_text="IANA time zone, e.g. Europe/Amsterdam.")
    birthday = serializers.DateField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False, child=serializers.JSONField(allow_null=True))

    def validate_phone(self, value: str | None) -> str:
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        values = super().to_internal_value(data)
        for name in ("email", "first_name", "last_name"):
            if name in values and values[name] is None:
                values[name] = ""
        return values


class CustomerBulkRowSerializer(CustomerInSerializer):
    external_id = serializers.CharField(max_length=128)


class CustomerBulkSerializer(serializers.Serializer):
    customers = serializers.ListField(child=serializers.JSONField(), max_length=MAX_BULK_CUSTOMERS,
                                      allow_empty=False)


class CustomerOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["external_id", "email", "phone", "first_name", "last_name", "locale", "timezone", "birthday",
                  "attributes", "created_at", "updated_at", "last_seen_at"]
        read_only_fields = fields


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField(),
                                   help_text="Rows not stored: {index, fields: {field: [reasons]}}.")


class EventInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=128, help_text="The customer's id in your CRM; unknown "
                                        "customers are created.")
    name = serializers.CharField(max_length=64, validators=[drf_validator(validate_event_name)])
    properties = serializers.DictField(required=False, default=dict)
    occurred_at = serializers.DateTimeField(required=False, default=None, allow_null=True,
                                            help_text="When it happened (ISO 8601); defaults to now.")
    idempotency_key = serializers.CharField(required=False, allow_null=True, max_length=128,
                                            help_text="Resending an event with the same key for the same "
                                            "customer stores it once and answers the existing id.")


class EventsAcceptedSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="Stored ids, in request order.")
    stored = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events already stored under their idempotency key.")
