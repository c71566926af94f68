"""API input and output for links."""

from typing import Any

from rest_framework import serializers

from config.api_errors import drf_validator
from links.destinations import validate_http_url
from links.models import LandingPage, Link, QrErrorCorrection, validate_slug
from links.services import normalize_slug


def _url(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                 validators=[drf_validator(validate_http_url)], **kwargs)


class LinkInSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                 help_text="Custom slug (case-insensitive); omit for a random one.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    image_url = _url(help_text="Preview image (Open Graph).")
    ios_url = _url()
    android_url = _url()
    default_url = _url()
    landing_page = serializers.SlugRelatedField(slug_field="slug", queryset=LandingPage.objects.all(),
                                                required=False, allow_null=True)
    utm_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=100, required=False, allow_blank=True)
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, default=True)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    max_clicks = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2_000_000_000)
    qr_error_correction = serializers.ChoiceField(choices=QrErrorCorrection.choices, required=False,
                                                  default=QrErrorCorrection.M)

    def validate_slug(self, value: str) -> str:
        value = normalize_slug(value)
        if value:
            drf_validator(validate_slug)(value)
            if Link.objects.filter(slug=value).exists():
                raise serializers.ValidationError("This short link is already taken.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("default_url") and not attrs.get("landing_page"):
            raise serializers.ValidationError({"default_url": ["Set a default destination or a landing page."]})
        start, end = attrs.get("valid_from"), attrs.get("valid_until")
        if start and end and end <= start:
            raise serializers.ValidationError({"valid_until": ["Must be after valid_from."]})
        return attrs


class LinkOutSerializer(serializers.ModelSerializer):
    short_url = serializers.CharField()
    qr_svg_url = serializers.SerializerMethodField()
    qr_png_url = serializers.SerializerMethodField()
    landing_page = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Link
        fields = ["slug", "title", "short_url", "qr_svg_url", "qr_png_url", "ios_url", "android_url",
                  "default_url", "landing_page", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                  "utm_content", "campaign", "is_active", "valid_from", "valid_until", "max_clicks",
                  "qr_error_correction", "created_at"]

    def get_qr_svg_url(self, obj: Link) -> str:
        return f"{obj.short_url}/qr.svg"

    def get_qr_png_url(self, obj: Link) -> str:
        return f"{obj.short_url}/qr.png"


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    clicks = serializers.IntegerField()


class LinkStatsSerializer(serializers.Serializer):
    slug = serializers.CharField()
    days = serializers.IntegerField()
    total = serializers.IntegerField()
    by_day = DayCountSerializer(many=True)
    by_device = serializers.DictField(child=serializers.IntegerField())
    by_source = serializers.DictField(child=serializers.IntegerField())
