import pytest
from django.core.exceptions import ValidationError

from accounts.validation import normalize_phone, validate_event_name, validate_phone, validate_timezone


@pytest.mark.parametrize(("raw", "e164"), [("+31 6 12345678", "+31612345678"), ("+1 (212) 555-0123", "+12125550123"),
                                           ("+48 512 345 678", "+48512345678")])
def test_phone_numbers_normalise_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["0612345678", "+31 6", "phone", "+999 123456789", ""])
def test_invalid_phone_numbers_are_rejected(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_model_validator_requires_e164_form():
    validate_phone("+31612345678")
    with pytest.raises(ValidationError):
        validate_phone("+31 6 12345678")


@pytest.mark.parametrize("tz", ["Europe/Amsterdam", "Asia/Tokyo", "America/New_York", "UTC"])
def test_iana_timezones_pass(tz):
    validate_timezone(tz)


@pytest.mark.parametrize("tz", ["CEST", "Europe/Amsterdamm", "", "+02:00"])
def test_unknown_timezones_fail(tz):
    with pytest.raises(ValidationError):
        validate_timezone(tz)


@pytest.mark.parametrize("name", ["Cart", "cart abandoned", "1st_order", "x" * 65, ""])
def test_event_names_are_lowercase_identifiers(name):
    with pytest.raises(ValidationError):
        validate_event_name(name)
