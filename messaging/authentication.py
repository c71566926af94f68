"""`Authorization: Customer <token>`: a browser acting for one customer (static/js/push-subscribe.js).

The token is the customer's signed inbox token (preferences.tokens, purpose INBOX), the one the inbox page
puts on its "turn on notifications" button; the authenticated principal is the Customer.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import Customer
from preferences import tokens


class CustomerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Customer"

    def authenticate(self, request: Request) -> tuple[Customer, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Customer <token>'.")
        try:
            data = tokens.read_token(header[1].decode(), tokens.INBOX)
        except (UnicodeDecodeError, tokens.InvalidToken) as exc:
            raise exceptions.AuthenticationFailed("Invalid customer token.") from exc
        except tokens.ExpiredToken as exc:
            raise exceptions.AuthenticationFailed("The customer token has expired.") from exc
        customer = Customer.objects.filter(pk=data.customer_id).first()
        if customer is None:
            raise exceptions.AuthenticationFailed("Unknown customer.")
        return customer, header[1].decode()

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="customer"'


class CustomerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "messaging.authentication.CustomerTokenAuthentication"
    name = "customerToken"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Customer <token>`: the customer's signed inbox token (a browser acting for them)."}
