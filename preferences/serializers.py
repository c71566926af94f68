"""API input and output for a customer's preferences and links."""

from typing import Any

from rest_framework import serializers

from preferences.models import Channel, Frequency, Topic
from preferences.selectors import customer_settings, preference_grid

channel_field = serializers.ChoiceField(choices=Channel.choices)


class QuietHoursSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    start = serializers.TimeField(format="%H:%M", help_text="Local time, HH:MM.")
    end = serializers.TimeField(format="%H:%M")


class ConsentProofSerializer(serializers.Serializer):
    """What the customer's own request carried, forwarded by your site: stored as proof of consent."""

    ip = serializers.IPAddressField(required=False, allow_null=True)
    user_agent = serializers.CharField(required=False, allow_blank=True, max_length=400)
    wording_version = serializers.CharField(required=False, allow_blank=True, max_length=32)


class PreferencesPatchSerializer(serializers.Serializer):
    topics = serializers.DictField(
        required=False, child=serializers.DictField(child=serializers.BooleanField()),
        help_text='{"offers": {"email": true, "sms": false}}: topic key -> channel -> opted in.')
    no_marketing_channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices),
                                                  required=False, max_length=len(Channel.values))
    channel_order = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False,
                                          max_length=len(Channel.values),
                                          help_text="Preferred channels for transactional topics, first first.")
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    quiet_hours = QuietHoursSerializer(required=False)
    consent = ConsentProofSerializer(required=False)

    def validate_topics(self, value: dict[str, dict[str, bool]]) -> dict[tuple[int, str], bool]:
        topics = {t.key: t for t in Topic.objects.filter(key__in=list(value))}
        errors: dict[str, list[str]] = {}
        choices: dict[tuple[int, str], bool] = {}
        for key, channels in value.items():
            topic = topics.get(key)
            if topic is None:
                errors[key] = ["Unknown topic."]
                continue
            for channel, opted_in in channels.items():
                if channel not in (topic.channels or []):
                    errors.setdefault(key, []).append(f"This topic is not sent by {channel!r}; it uses "
                                                      f"{', '.join(topic.channels) or 'no channel'}.")
                else:
                    choices[(topic.pk, channel)] = opted_in
        if errors:
            raise serializers.ValidationError(errors)
        return choices

    def validate_channel_order(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Name each channel at most once.")
        return value


def preferences_data(customer_id: int, external_id: str) -> dict[str, Any]:
    prefs = customer_settings(customer_id)
    return {
        "external_id": external_id,
        "topics": [
            {"key": row.topic.key, "kind": row.topic.kind, "name": row.name,
             "channels": {c.channel: {"opted_in": c.opted_in, "source": c.source,
                                      "updated_at": c.updated_at.isoformat() if c.updated_at else None}
                          for c in row.cells if c.available}}
            for row in preference_grid(customer_id, shown_only=False)
        ],
        "no_marketing_channels": prefs.no_marketing_channels,
        "channel_order": prefs.channel_order,
        "frequency": prefs.frequency,
        "quiet_hours": {"enabled": prefs.quiet_hours_enabled, "start": prefs.quiet_start.strftime("%H:%M"),
                        "end": prefs.quiet_end.strftime("%H:%M")},
    }


class PreferencesOutSerializer(serializers.Serializer):
    """Documents the shape of preferences_data (the schema); the view returns the dict directly."""

    external_id = serializers.CharField()
    topics = serializers.ListField(child=serializers.DictField(), help_text=(
        "[{key, kind, name, channels: {channel: {opted_in, source, updated_at}}}]; source 'default' means "
        "the customer never chose and the topic's default applies."))
    no_marketing_channels = serializers.ListField(child=serializers.CharField())
    channel_order = serializers.ListField(child=serializers.CharField())
    frequency = serializers.CharField()
    quiet_hours = QuietHoursSerializer()
    pending_confirmation = serializers.ListField(child=serializers.DictField(), required=False, help_text=(
        "Opt-ins waiting for the customer's email confirmation (double opt-in topics), after PATCH."))


class LinksOutSerializer(serializers.Serializer):
    preference_center_url = serializers.URLField()
    inbox_url = serializers.URLField()
    expires_at = serializers.DateTimeField()
