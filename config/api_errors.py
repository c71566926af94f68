"""One shape for every API error, so a client can always find the field and the reason.

    {"error": "invalid", "detail": "...", "fields": {"timezone": ["Unknown time zone 'Mars/Base'."]}}

Batch endpoints add "rows": [{"index": 3, "fields": {...}}]. Anything that would have been a 500 because of
the client's input (a body too large, a malformed header) is answered as a 4xx here as well.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


class BatchValidationError(exceptions.ValidationError):
    """A batch rejected whole: `rows` holds each failing row's index and its field errors."""

    def __init__(self, rows: list[dict[str, Any]], detail: str = "The batch was rejected; nothing was stored.") -> None:
        super().__init__(detail)
        self.rows = rows
        self.message = detail


def drf_validator(validator):  # type: ignore[no-untyped-def]
    """Wrap a Django validator so that DRF reports its message on the field."""

    def run(value: Any) -> None:
        try:
            validator(value)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc

    return run


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException("The request body is too large.")
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    if isinstance(exc, BatchValidationError):
        return Response(
            {"error": "invalid", "detail": exc.message, "rows": exc.rows}, status=status.HTTP_400_BAD_REQUEST
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {"error": _CODES.get(response.status_code, "error")}
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = "The request has invalid fields."
        if isinstance(data, dict):
            body["fields"] = data
        else:
            body["fields"] = {"non_field_errors": data}
    elif isinstance(data, dict) and "detail" in data:
        body["detail"] = str(data["detail"])
    else:
        body["detail"] = data
    response.data = body
    return response
