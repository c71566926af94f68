"""REST endpoints for links (/api/v1/links/)."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from links import serializers as s
from links.models import Link
from links.selectors import link_stats
from links.services import link_create

MAX_STATS_DAYS = 365


class LinkCreateApi(APIView):
    @extend_schema(
        request=s.LinkInSerializer, responses={201: s.LinkOutSerializer}, summary="Create a short link",
        description="Returns the short URL and the URLs of its QR codes (SVG and PNG, `?size=` for the PNG). "
        "Destinations must be absolute http(s) URLs; a default destination or a landing page is required.",
        examples=[OpenApiExample("app download", request_only=True, value={
            "title": "Spring flyer", "ios_url": "https://apps.apple.com/app/id123",
            "android_url": "https://play.google.com/store/apps/details?id=com.shop",
            "default_url": "https://shop.example.com/app", "utm_source": "flyer", "utm_medium": "print",
            "campaign": "spring-2026"})],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        data = s.LinkInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = link_create(data=data.validated_data)
        return Response(s.LinkOutSerializer(link).data, status=status.HTTP_201_CREATED)


class LinkStatsApi(APIView):
    @extend_schema(
        responses=s.LinkStatsSerializer, summary="Click counts of a link",
        parameters=[OpenApiParameter("days", int, description=f"Days in by_day, 1 to {MAX_STATS_DAYS} (default "
                                     "30), ending today (UTC). by_device and by_source count all clicks.")],
    )
    def get(self, request: Request, slug: str) -> Response:
        raw = request.query_params.get("days", "30")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_STATS_DAYS:
            raise serializers.ValidationError({"days": [f"A whole number from 1 to {MAX_STATS_DAYS}."]})
        link = Link.objects.filter(slug=slug.lower()[:64]).only("id", "slug").first()
        if link is None:
            return Response({"error": "not_found", "detail": f"No link {slug!r}."}, status=status.HTTP_404_NOT_FOUND)
        days = int(raw)
        return Response({"slug": link.slug, "days": days, **link_stats(link_id=link.pk, days=days)})
