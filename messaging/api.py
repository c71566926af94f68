"""REST endpoints: transactional messages, deliveries, push subscriptions and the inbox for the retailer's app."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.models import ApiKey, Customer
from messaging import serializers as s
from messaging import tracking
from messaging.authentication import CustomerTokenAuthentication
from messaging.models import Delivery, DeliveryEvent
from messaging.selectors import inbox_unread_count, inbox_visible
from messaging.services import (
    delivery_mark_opened,
    inbox_message_archive,
    inbox_message_mark_read,
    message_send,
    push_subscription_save,
)

INBOX_PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # larger ids in a URL would overflow PostgreSQL's bigint: they simply do not exist


def _not_found(what: str) -> Response:
    return Response({"error": "not_found", "detail": what}, status=status.HTTP_404_NOT_FOUND)


def _object(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
    return request.data


class MessagesApi(APIView):
    @extend_schema(
        request=s.MessageInSerializer, responses={202: s.MessageOutSerializer},
        summary="Send a transactional message",
        description="Planned at once and sent within seconds, through the customer's consent and channel "
        "order. Resending the same idempotency_key returns the same delivery and sends nothing again.",
        examples=[OpenApiExample("order confirmation", request_only=True, value={
            "customer": "C42", "template": "order-confirmation", "channels": ["web_push", "email"],
            "data": {"order_id": "A-1001", "total": "42.50"}, "idempotency_key": "order-A-1001-confirmation"})])
    def post(self, request: Request) -> Response:
        serializer = s.MessageInSerializer(data=_object(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = Customer.objects.filter(external_id=data["customer"]).first()
        if customer is None:
            raise serializers.ValidationError({"customer": [f"No customer {data['customer']!r}."]})
        template = data["template_obj"]
        delivery, created = message_send(
            customer_id=customer.pk, topic_id=data["topic_obj"].pk, idempotency_key=data["idempotency_key"],
            template_id=template.pk if template else None, content=data.get("content"),
            channel_order=data.get("channels"), data=data.get("data"), scheduled_at=data.get("send_at"))
        return Response({"deliveries": [{"id": delivery.pk, "status": delivery.status}], "created": created},
                        status=status.HTTP_202_ACCEPTED)


class DeliveryDetailApi(APIView):
    @extend_schema(responses=s.DeliveryOutSerializer, summary="A delivery's status and history")
    def get(self, request: Request, pk: int) -> Response:
        if pk > MAX_ID:
            return _not_found(f"No delivery {pk}.")
        delivery = (Delivery.objects.select_related("customer", "topic", "template")
                    .prefetch_related(Prefetch("events", queryset=DeliveryEvent.objects.order_by("at", "id")))
                    .filter(pk=pk).first())
        if delivery is None:
            return _not_found(f"No delivery {pk}.")
        return Response(s.DeliveryOutSerializer(delivery).data)


class _CustomerOrApiKey(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return isinstance(request.user, ApiKey | Customer)


class PushSubscriptionsApi(APIView):
    authentication_classes = [CustomerTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [_CustomerOrApiKey]

    @extend_schema(request=s.PushSubscriptionInSerializer, responses={201: None},
                   summary="Store a browser's push subscription",
                   description="The browser posts its PushSubscription JSON with `Authorization: Customer "
                   "<token>` (static/js/push-subscribe.js); a retailer's server may instead use its API key and "
                   "name the customer.")
    def post(self, request: Request) -> Response:
        serializer = s.PushSubscriptionInSerializer(data=_object(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if isinstance(request.user, Customer):
            customer = request.user
        else:
            customer = Customer.objects.filter(external_id=data.get("customer") or "").first()
            if customer is None:
                raise serializers.ValidationError({"customer": ["Name an existing customer's external_id."]})
        sub = push_subscription_save(customer_id=customer.pk, endpoint=data["endpoint"],
                                     p256dh=data["keys"]["p256dh"], auth=data["keys"]["auth"],
                                     user_agent=data.get("user_agent") or request.META.get("HTTP_USER_AGENT", ""))
        return Response({"id": sub.pk}, status=status.HTTP_201_CREATED)


class PushOpenApi(APIView):
    """The service worker reports a notification click. The signed reference is the authority: no login."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=s.PushOpenInSerializer, responses={204: None}, auth=[],
                   parameters=[OpenApiParameter("d", str, description="The signed delivery reference.")],
                   summary="Report a notification click as an open")
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        serializer = s.PushOpenInSerializer(data={"d": request.query_params.get("d") or body.get("d") or "",
                                                  "action": body.get("action") or ""})
        serializer.is_valid(raise_exception=True)
        try:
            delivery_id = tracking.read_delivery_reference(serializer.validated_data["d"])
        except tracking.InvalidReference:
            return _not_found("Unknown delivery reference.")
        delivery_mark_opened(delivery_id=delivery_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


_CUSTOMER_PARAM = OpenApiParameter("customer", str, required=True, description="The customer's external_id.")


def _inbox_customer(request: Request) -> Customer:
    external_id = request.query_params.get("customer") or (
        request.data.get("customer") if isinstance(request.data, dict) else None)
    customer = Customer.objects.filter(external_id=str(external_id or "")).first() if external_id else None
    if customer is None:
        raise serializers.ValidationError({"customer": ["Name an existing customer's external_id."]})
    return customer


class InboxApi(APIView):
    @extend_schema(parameters=[_CUSTOMER_PARAM, OpenApiParameter("page", int)], responses=s.InboxListSerializer,
                   summary="A customer's inbox, newest first (for the retailer's app)")
    def get(self, request: Request) -> Response:
        customer = _inbox_customer(request)
        paginator = Paginator(inbox_visible(customer.pk), INBOX_PAGE_SIZE)
        page = paginator.get_page(request.query_params.get("page"))
        return Response({"unread_count": inbox_unread_count(customer.pk), "count": paginator.count,
                         "page": page.number, "pages": paginator.num_pages,
                         "messages": s.InboxMessageSerializer(page.object_list, many=True).data})


class InboxUnreadApi(APIView):
    @extend_schema(parameters=[_CUSTOMER_PARAM], responses={200: {"type": "object", "properties": {
        "unread_count": {"type": "integer"}}}}, summary="How many unread messages (the badge)")
    def get(self, request: Request) -> Response:
        return Response({"unread_count": inbox_unread_count(_inbox_customer(request).pk)})


class InboxReadApi(APIView):
    @extend_schema(parameters=[_CUSTOMER_PARAM], request=None, responses={204: None},
                   summary="Mark an inbox message read")
    def post(self, request: Request, pk: int) -> Response:
        customer = _inbox_customer(request)
        if pk > MAX_ID or not inbox_visible(customer.pk).filter(pk=pk).exists():
            return _not_found(f"No message {pk} in this inbox.")
        inbox_message_mark_read(customer_id=customer.pk, message_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InboxArchiveApi(APIView):
    @extend_schema(parameters=[_CUSTOMER_PARAM], request=None, responses={204: None},
                   summary="Archive an inbox message")
    def post(self, request: Request, pk: int) -> Response:
        customer = _inbox_customer(request)
        if pk > MAX_ID or not inbox_visible(customer.pk).filter(pk=pk).exists():
            return _not_found(f"No message {pk} in this inbox.")
        inbox_message_archive(customer_id=customer.pk, message_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
