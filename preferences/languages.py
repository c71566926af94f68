"""Which of our languages a customer's page and emails use."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from accounts.models import Customer


def supported(code: str | None) -> str | None:
    """Our language for a code such as 'de-AT' or 'sv_SE', or None when we do not have it."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.replace("_", "-").lower())[:2]
    except LookupError:
        return None


def language_for_customer(customer: Customer) -> str:
    return supported(customer.locale) or settings.LANGUAGE_CODE


def language_for_request(request: HttpRequest, customer: Customer | None) -> str:
    """The language switch (?lang=) first, then the customer's locale, then Accept-Language."""
    return (supported(request.GET.get("lang") or request.POST.get("lang"))
            or (supported(customer.locale) if customer else None)
            or supported(translation.get_language_from_request(request))
            or settings.LANGUAGE_CODE)
