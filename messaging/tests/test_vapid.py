"""VAPID keys: the command, the development key file, and the settings checks."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from messaging.channels.vapid import generate_vapid_keys, public_key_of, vapid_keys
from messaging.checks import check_messaging_settings


def test_generate_vapid_keys_prints_a_matching_pair() -> None:
    out = StringIO()
    call_command("generate_vapid_keys", stdout=out)

    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    assert public_key_of(lines["VAPID_PRIVATE_KEY"]) == lines["VAPID_PUBLIC_KEY"]


def test_keys_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    pair = generate_vapid_keys()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = pair.private_key, ""
    settings.VAPID_SUBJECT = "mailto:ops@shop.example"

    keys = vapid_keys()

    assert keys.public_key == pair.public_key and keys.subject == "mailto:ops@shop.example"


def test_development_keys_are_generated_once_into_a_file(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG, settings.VAPID_PRIVATE_KEY = True, ""
    settings.VAPID_DEV_KEY_FILE = tmp_path / "var" / "vapid.json"

    first, second = vapid_keys(), vapid_keys()

    assert first == second
    stored = json.loads(settings.VAPID_DEV_KEY_FILE.read_text())
    assert stored["public_key"] == first.public_key == public_key_of(stored["private_key"])


def test_production_without_keys_is_a_configuration_error(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG, settings.VAPID_PRIVATE_KEY = False, ""

    with pytest.raises(ImproperlyConfigured):
        vapid_keys()
    assert [p.id for p in check_messaging_settings()] == ["messaging.W001"]


def test_check_catches_a_public_key_of_another_pair(settings) -> None:  # type: ignore[no-untyped-def]
    settings.VAPID_PRIVATE_KEY = generate_vapid_keys().private_key
    settings.VAPID_PUBLIC_KEY = generate_vapid_keys().public_key
    settings.VAPID_SUBJECT = "mailto:ops@shop.example"

    assert [p.id for p in check_messaging_settings()] == ["messaging.E002"]


def test_check_catches_a_bad_subject_and_sms_backend(settings) -> None:  # type: ignore[no-untyped-def]
    settings.VAPID_PRIVATE_KEY = generate_vapid_keys().private_key
    settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_SUBJECT = "ops@shop.example"
    settings.SMS_BACKEND = "messaging.channels.sms.NoSuchBackend"

    assert [p.id for p in check_messaging_settings()] == ["messaging.E003", "messaging.E004"]
