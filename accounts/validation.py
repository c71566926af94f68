"""Validators and normalisers for customer contact data, shared by models, serializers and forms."""

import re
import zoneinfo
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EVENT_NAME_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError(_("Unknown time zone %(value)r: use an IANA name such as Europe/Amsterdam."),
                              code="invalid_timezone", params={"value": value})


def normalize_phone(value: str) -> str:
    """Return the number in E.164 (+31612345678) or raise ValidationError.

    Numbers must carry their country code: a retailer's CRM serves several countries, so no region is assumed.
    """
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Not a phone number in E.164 form (+ country code and number, e.g. +31612345678)."),
            code="invalid_phone",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("%(value)s is not a valid phone number."), code="invalid_phone",
                              params={"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    if value and normalize_phone(value) != value:
        raise ValidationError(_("Store phone numbers in E.164 form, e.g. +31612345678."), code="not_e164")


def validate_event_name(value: str) -> None:
    if not EVENT_NAME_RE.match(value):
        raise ValidationError(
            _("Event names are lowercase identifiers: a letter, then letters, digits, '_', '.', ':' or '-' "
              "(at most 64), e.g. cart_abandoned."),
            code="invalid_event_name",
        )


def validate_locale(value: str) -> None:
    if value and not LOCALE_RE.match(value):
        raise ValidationError(_("Use a language code such as 'en', 'nl' or 'de-AT'."), code="invalid_locale")
