"""Input and output shapes of the messaging API."""

from typing import Any

from rest_framework import serializers

from messaging import rendering
from messaging.models import CONTENT_FIELDS, URGENCY_CHOICES, Delivery, InboxMessage, MessageTemplate
from preferences.models import Channel, Topic

_OPTION_FIELDS = {"push_ttl", "push_urgency", "replace_key", "keep_in_inbox", "inbox_expiry_hours"}


class MessageInSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=128, help_text="The customer's external_id.")
    template = serializers.SlugField(max_length=100, required=False, help_text="A template key ...")
    content = serializers.DictField(required=False, help_text="... or inline content with the template field "
                                    "names (push_title, email_subject, email_html, sms_text, inbox_title, ...) "
                                    "and options push_ttl, push_urgency, replace_key, keep_in_inbox.")
    topic = serializers.SlugField(max_length=64, required=False,
                                  help_text="Topic key; defaults to the template's topic (required with content).")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False,
                                     max_length=len(Channel.values), help_text="Channels to try in order; "
                                     "empty: the customer's own order.")
    data = serializers.DictField(required=False, help_text="Personalisation data, e.g. the order.")
    idempotency_key = serializers.CharField(max_length=128, help_text="Resending the same key sends nothing new.")
    send_at = serializers.DateTimeField(required=False, help_text="Not before this time (default: now).")

    def validate_content(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = set(value) - set(CONTENT_FIELDS) - _OPTION_FIELDS
        if unknown:
            raise serializers.ValidationError(f"Unknown content fields: {', '.join(sorted(unknown))}.")
        for name in CONTENT_FIELDS:
            if name in value and not isinstance(value[name], str):
                raise serializers.ValidationError({name: "Must be a string."})
        errors = rendering.content_errors(value)
        if errors:
            raise serializers.ValidationError(errors)
        if "push_urgency" in value and value["push_urgency"] not in dict(URGENCY_CHOICES):
            raise serializers.ValidationError({"push_urgency": "very-low, low, normal or high."})
        ttl = value.get("push_ttl", 0)
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 28 * 24 * 3600:
            raise serializers.ValidationError({"push_ttl": "Seconds, a whole number from 0 to 2419200 (28 days)."})
        hours = value.get("inbox_expiry_hours")
        if hours is not None and (not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0):
            raise serializers.ValidationError({"inbox_expiry_hours": "Hours, a whole number > 0, or null."})
        if "keep_in_inbox" in value and not isinstance(value["keep_in_inbox"], bool):
            raise serializers.ValidationError({"keep_in_inbox": "true or false."})
        key = value.get("replace_key", "")
        if key and (not isinstance(key, str) or not _replace_key_ok(key)):
            raise serializers.ValidationError({"replace_key": "1-32 of A-Z a-z 0-9 - _."})
        return value

    def validate_channels(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each channel at most once.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("template")) == bool(attrs.get("content")):
            raise serializers.ValidationError({"template": "Send either a template key or inline content."})
        template = None
        if attrs.get("template"):
            template = MessageTemplate.objects.filter(key=attrs["template"]).first()
            if template is None:
                raise serializers.ValidationError({"template": f"No template {attrs['template']!r}."})
        attrs["template_obj"] = template
        topic_key = attrs.get("topic")
        if topic_key:
            topic = Topic.objects.filter(key=topic_key).first()
            if topic is None:
                raise serializers.ValidationError({"topic": f"No topic {topic_key!r}."})
        elif template is not None:
            topic = template.topic
        else:
            raise serializers.ValidationError({"topic": "Required with inline content."})
        attrs["topic_obj"] = topic
        return attrs


def _replace_key_ok(key: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9_-]{1,32}", key))


class DeliveryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class MessageOutSerializer(serializers.Serializer):
    deliveries = DeliveryRefSerializer(many=True)
    created = serializers.BooleanField(help_text="False when the idempotency key was seen before.")


class DeliveryEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    at = serializers.DateTimeField()
    detail = serializers.CharField()


class DeliveryOutSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")
    topic = serializers.CharField(source="topic.key")
    template = serializers.CharField(source="template.key", allow_null=True, default=None)
    history = DeliveryEventSerializer(source="events", many=True)

    class Meta:
        model = Delivery
        fields = ["id", "customer", "topic", "template", "channel", "status", "suppressed_reason", "attempts",
                  "last_error", "provider_message_id", "source", "scheduled_at", "created_at", "queued_at",
                  "sent_at", "opened_at", "clicked_at", "converted_at", "history"]


class PushSubscriptionKeysSerializer(serializers.Serializer):
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_\-+/=]{16,128}$")
    auth = serializers.RegexField(r"^[A-Za-z0-9_\-+/=]{8,64}$")


class PushSubscriptionInSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=2000)
    keys = PushSubscriptionKeysSerializer()
    user_agent = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    expirationTime = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815 - the browser's name
    customer = serializers.CharField(max_length=128, required=False,
                                     help_text="external_id; only with an API key (a customer token names one).")


class PushOpenInSerializer(serializers.Serializer):
    d = serializers.CharField(max_length=500, required=False, help_text="The signed delivery reference.")
    action = serializers.CharField(max_length=100, required=False, allow_blank=True)


class InboxMessageSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = InboxMessage
        fields = ["id", "title", "body", "image", "url", "created_at", "read_at", "read", "expires_at"]

    def get_read(self, obj: InboxMessage) -> bool:
        return obj.read_at is not None


class InboxListSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    messages = InboxMessageSerializer(many=True)
