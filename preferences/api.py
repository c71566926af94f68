"""REST endpoints for the retailer's site and app: a customer's preferences and their signed links."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from preferences import serializers as s
from preferences import tokens
from preferences.models import Source, Topic
from preferences.services import ConsentMeta, InvalidChoice, QuietHours, preferences_update


def _customer(external_id: str) -> Customer | None:
    return Customer.objects.filter(external_id=external_id).first()


def _not_found(external_id: str) -> Response:
    return Response({"error": "not_found", "detail": f"No customer {external_id!r}."},
                    status=status.HTTP_404_NOT_FOUND)


class CustomerPreferencesApi(APIView):
    @extend_schema(responses=s.PreferencesOutSerializer, summary="Get a customer's preferences")
    def get(self, request: Request, external_id: str) -> Response:
        customer = _customer(external_id)
        if customer is None:
            return _not_found(external_id)
        return Response(s.preferences_data(customer.pk, customer.external_id))

    @extend_schema(
        request=s.PreferencesPatchSerializer, responses=s.PreferencesOutSerializer,
        summary="Change a customer's preferences (consent source: api)",
        description="Only the fields sent change. Forward the customer's IP, user agent and the version of "
        "the wording they saw in `consent`: it is stored as proof. Opt-ins to double opt-in topics by email "
        "are not applied at once; the customer gets a confirmation email (see `pending_confirmation`).",
        examples=[OpenApiExample("opt in to offers by email", request_only=True, value={
            "topics": {"offers": {"email": True, "sms": False}}, "frequency": "weekly",
            "consent": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "wording_version": "2026-11"}})],
    )
    def patch(self, request: Request, external_id: str) -> Response:
        customer = _customer(external_id)
        if customer is None:
            return _not_found(external_id)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        serializer = s.PreferencesPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        proof = data.get("consent") or {}
        quiet = data.get("quiet_hours")
        try:
            result = preferences_update(
                customer_id=customer.pk,
                meta=ConsentMeta(source=Source.API, ip=proof.get("ip"), user_agent=proof.get("user_agent", ""),
                                 wording_version=proof.get("wording_version") or settings.PREFERENCES_WORDING_VERSION),
                choices=data.get("topics"), no_marketing_channels=data.get("no_marketing_channels"),
                channel_order=data.get("channel_order"), frequency=data.get("frequency"),
                quiet_hours=QuietHours(quiet["enabled"], quiet["start"], quiet["end"]) if quiet else None)
        except InvalidChoice as exc:
            raise serializers.ValidationError({"topics": [str(exc)]}) from exc
        body = s.preferences_data(customer.pk, customer.external_id)
        topic_keys = dict(Topic.objects.filter(pk__in={t for t, _ in result.pending_confirmation})
                          .values_list("pk", "key")) if result.pending_confirmation else {}
        body["pending_confirmation"] = [{"topic": topic_keys[t], "channel": c} for t, c in result.pending_confirmation]
        return Response(body)


class CustomerLinksApi(APIView):
    @extend_schema(request=None, responses={201: s.LinksOutSerializer},
                   summary="Signed links to the customer's preference center and inbox",
                   description="Put them in your own emails, app or account page. They need no login and "
                   "expire after PREFERENCES_LINK_MAX_AGE_DAYS days.")
    def post(self, request: Request, external_id: str) -> Response:
        customer = _customer(external_id)
        if customer is None:
            return _not_found(external_id)
        expires = timezone.now() + tokens.max_age(tokens.PREFERENCES)
        return Response({"preference_center_url": tokens.preference_center_url(customer.pk),
                         "inbox_url": tokens.inbox_url(customer.pk), "expires_at": expires.isoformat()},
                        status=status.HTTP_201_CREATED)
