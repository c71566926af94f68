"""REST endpoints for customers and events (/api/v1/)."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts.models import Customer
from accounts.services import NotFound, customer_upsert, customers_bulk_upsert, events_ingest
from config.api_errors import BatchValidationError


def _external_id(value: str) -> str:
    if len(value) > 128 or not value.strip():
        raise serializers.ValidationError({"external_id": ["Must be 1 to 128 characters."]})
    return value


def _rows(data: Any, key: str, limit: int, *, single_allowed: bool) -> list[Any]:
    """Accept a list, {key: list} or (when allowed) one object; enforce the batch limit."""
    if isinstance(data, dict) and key in data:
        data = data[key]
    elif isinstance(data, dict) and single_allowed:
        data = [data]
    if not isinstance(data, list):
        raise serializers.ValidationError({key: [f"Expected a list of objects (or {{\"{key}\": [...]}})."]})
    if not data:
        raise serializers.ValidationError({key: ["The list is empty."]})
    if len(data) > limit:
        raise serializers.ValidationError({key: [f"At most {limit:,} per request; got {len(data):,}."]})
    return data


class CustomerDetailApi(APIView):
    @extend_schema(responses=s.CustomerOutSerializer, summary="Get a customer")
    def get(self, request: Request, external_id: str) -> Response:
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            return Response({"error": "not_found", "detail": f"No customer {external_id!r}."},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(s.CustomerOutSerializer(customer).data)

    @extend_schema(request=s.CustomerInSerializer, responses={200: s.CustomerOutSerializer,
                   201: s.CustomerOutSerializer}, summary="Create or update a customer")
    def put(self, request: Request, external_id: str) -> Response:
        return self._write(request, external_id, create=True)

    @extend_schema(request=s.CustomerInSerializer, responses=s.CustomerOutSerializer,
                   summary="Update fields of an existing customer")
    def patch(self, request: Request, external_id: str) -> Response:
        return self._write(request, external_id, create=False)

    def _write(self, request: Request, external_id: str, *, create: bool) -> Response:
        _external_id(external_id)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        data = s.CustomerInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            customer, created = customer_upsert(external_id=external_id, data=data.validated_data, create=create)
        except NotFound:
            return Response({"error": "not_found", "detail": f"No customer {external_id!r}; use PUT to create."},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(s.CustomerOutSerializer(customer).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CustomerBulkApi(APIView):
    @extend_schema(
        request=s.CustomerBulkSerializer, responses=s.BulkResultSerializer, summary="Upsert up to 10,000 customers",
        description="Valid rows are stored; invalid ones are reported in `errors` by index and field. "
        "Rows are upserts like PUT: absent fields keep their value, attributes merge.",
    )
    def post(self, request: Request) -> Response:
        rows = _rows(request.data, "customers", s.MAX_BULK_CUSTOMERS, single_allowed=False)
        valid: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                errors.append({"index": index, "fields": {"non_field_errors": ["Expected a JSON object."]}})
                continue
            serializer = s.CustomerBulkRowSerializer(data=row)
            if serializer.is_valid():
                valid.append(serializer.validated_data)
            else:
                errors.append({"index": index, "fields": serializer.errors})
        result = customers_bulk_upsert(rows=valid)
        return Response({"created": result.created, "updated": result.updated, "errors": errors})


class EventsApi(APIView):
    @extend_schema(
        request=s.EventInSerializer(many=True), responses={202: s.EventsAcceptedSerializer},
        summary="Send one event or a batch of up to 1,000",
        description="The body is one event, a list of events, or {\"events\": [...]}. An invalid batch is "
        "rejected whole (400 with `rows`: index and field errors) and nothing is written.",
        examples=[OpenApiExample("cart abandoned", value=[{
            "external_id": "C42", "name": "cart_abandoned", "properties": {"cart_value": 142},
            "occurred_at": "2026-11-25T12:00:00Z", "idempotency_key": "cart-981"}], request_only=True)],
    )
    def post(self, request: Request) -> Response:
        rows = _rows(request.data, "events", s.MAX_EVENTS, single_allowed=True)
        serializer = s.EventInSerializer(data=rows, many=True)
        if not serializer.is_valid():
            errors = serializer.errors  # DRF 3.18 keys the failing rows by index; older ones list all rows
            pairs = errors.items() if isinstance(errors, dict) else enumerate(errors)
            raise BatchValidationError([{"index": i, "fields": e} for i, e in sorted(pairs) if e])
        result = events_ingest(events=serializer.validated_data)
        return Response({"ids": result.ids, "stored": result.stored, "duplicates": result.duplicates},
                        status=status.HTTP_202_ACCEPTED)
