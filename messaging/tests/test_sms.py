"""SMS: segment counting, the console backend, and the HTTP backend against a local provider."""

import base64
import io
from urllib.parse import parse_qs

import pytest

from messaging.channels.base import SendError, SmsMessage
from messaging.channels.sms import ConsoleSmsBackend, HttpSmsBackend, SmsInfo, sms_backend, sms_segments
from messaging.tests.conftest import ProviderStub

GSM_160 = "a" * 160


@pytest.mark.parametrize(("text", "expected"), [
    ("", SmsInfo(0, "GSM-7", 0)),
    ("Your order shipped", SmsInfo(18, "GSM-7", 1)),
    ("Prijs: €5 [nu]", SmsInfo(17, "GSM-7", 1)),  # €, [ and ] are extension characters: 2 each
    ("Æøå ñ ü É @£$¥", SmsInfo(14, "GSM-7", 1)),  # accented letters of the basic set
    (GSM_160, SmsInfo(160, "GSM-7", 1)),
    (GSM_160 + "a", SmsInfo(161, "GSM-7", 2)),
    ("a" * 306, SmsInfo(306, "GSM-7", 2)),
    ("a" * 307, SmsInfo(307, "GSM-7", 3)),
    ("a" * 159 + "€", SmsInfo(161, "GSM-7", 2)),  # the extension character pushes it over 160
    ("ł" * 70, SmsInfo(70, "UCS-2", 1)),  # Polish ł is not GSM-7
    ("ł" * 71, SmsInfo(71, "UCS-2", 2)),
    ("ł" * 134, SmsInfo(134, "UCS-2", 2)),
    ("ł" * 135, SmsInfo(135, "UCS-2", 3)),
    ("Sale 🎉", SmsInfo(7, "UCS-2", 1)),  # an emoji is two UTF-16 code units
    ("🎉" * 35, SmsInfo(70, "UCS-2", 1)),
    ("🎉" * 35 + "a", SmsInfo(71, "UCS-2", 2)),
])
def test_sms_segments(text: str, expected: SmsInfo) -> None:
    assert sms_segments(text) == expected


def test_console_backend_prints_and_succeeds() -> None:
    out = io.StringIO()

    result = ConsoleSmsBackend(stream=out).send(SmsMessage(to="+31612345678", text="Hi"))

    assert result.provider_id is None
    assert "+31612345678" in out.getvalue() and "Hi" in out.getvalue()


def test_backend_comes_from_the_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "messaging.channels.sms.ConsoleSmsBackend"
    assert isinstance(sms_backend(), ConsoleSmsBackend)


def twilio_style(url: str) -> HttpSmsBackend:
    return HttpSmsBackend(url=f"{url}/2010-04-01/Accounts/AC123/Messages.json", auth="basic", username="AC123",
                          password="secret", body="form", fields={"To": "{to}", "From": "{from}", "Body": "{text}"},
                          id_field="sid", sender="+15005550006")


def messagebird_style(url: str) -> HttpSmsBackend:
    return HttpSmsBackend(url=f"{url}/messages", auth="header", header="Authorization", token="AccessKey live_abc",
                          body="json", fields={"recipients": ["{to}"], "originator": "{from}", "body": "{text}"},
                          id_field="id", sender="Shop")


def test_twilio_style_form_with_basic_auth(sms_provider: ProviderStub) -> None:
    sms_provider.answers.append((201, {}, {"sid": "SM0123", "status": "queued"}))

    result = twilio_style(sms_provider.url).send(SmsMessage(to="+31612345678", text="Code 1234 €"))

    [call] = sms_provider.calls
    assert call.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert call.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:secret").decode()
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(call.body.decode()) == {"To": ["+31612345678"], "From": ["+15005550006"], "Body": ["Code 1234 €"]}
    assert result.provider_id == "SM0123"


def test_messagebird_style_json_with_access_key(sms_provider: ProviderStub) -> None:
    sms_provider.answers.append((201, {}, {"id": "e8077d803532c0b5937c639b60216938", "recipients": {}}))

    result = messagebird_style(sms_provider.url).send(SmsMessage(to="+31612345678", text="Hi {name}"))

    [call] = sms_provider.calls
    assert call.headers["authorization"] == "AccessKey live_abc"
    assert call.json() == {"recipients": ["+31612345678"], "originator": "Shop", "body": "Hi {name}"}
    assert result.provider_id == "e8077d803532c0b5937c639b60216938"


def test_id_found_by_dotted_path(sms_provider: ProviderStub) -> None:
    sms_provider.answers.append((200, {}, {"messages": [{"message-id": "X9"}]}))
    backend = HttpSmsBackend(url=sms_provider.url, body="json", fields={"to": "{to}", "text": "{text}"},
                             id_field="messages.0.message-id")

    assert backend.send(SmsMessage(to="+4915112345678", text="x")).provider_id == "X9"


def test_invalid_number_is_permanent(sms_provider: ProviderStub) -> None:
    sms_provider.answers.append((400, {}, {"code": 21211, "message": "The 'To' number is not a valid phone number."}))

    with pytest.raises(SendError) as err:
        twilio_style(sms_provider.url).send(SmsMessage(to="+310", text="x"))

    assert err.value.permanent and err.value.status_code == 400 and "21211" in err.value.reason


def test_rate_limited_is_retryable_after_retry_after(sms_provider: ProviderStub) -> None:
    sms_provider.answers.append((429, {"Retry-After": "30"}, {"message": "Too many requests"}))

    with pytest.raises(SendError) as err:
        messagebird_style(sms_provider.url).send(SmsMessage(to="+31612345678", text="x"))

    assert not err.value.permanent and err.value.retry_after == 30


def test_provider_outage_is_retryable(sms_provider: ProviderStub) -> None:
    sms_provider.answers.append((503, {}, {}))

    with pytest.raises(SendError) as err:
        twilio_style(sms_provider.url).send(SmsMessage(to="+31612345678", text="x"))

    assert not err.value.permanent


def test_unreachable_provider_is_retryable() -> None:
    from messaging.tests.conftest import free_port

    with pytest.raises(SendError) as err:
        twilio_style(f"http://127.0.0.1:{free_port()}").send(SmsMessage(to="+31612345678", text="x"))

    assert not err.value.permanent


def test_http_backend_reads_its_settings(settings, sms_provider: ProviderStub) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "messaging.channels.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = sms_provider.url + "/send"
    settings.SMS_HTTP_AUTH = "header"
    settings.SMS_HTTP_TOKEN = "Bearer t0k"
    settings.SMS_HTTP_BODY = "json"
    settings.SMS_HTTP_FIELDS = {"to": "{to}", "from": "{from}", "text": "{text}"}
    settings.SMS_HTTP_ID_FIELD = "id"
    settings.SMS_FROM = "Hub"
    sms_provider.answers.append((202, {}, {"id": 77}))

    result = sms_backend().send(SmsMessage(to="+31612345678", text="Hello"))

    assert result.provider_id == "77"
    assert sms_provider.calls[0].headers["authorization"] == "Bearer t0k"
    assert sms_provider.calls[0].json() == {"to": "+31612345678", "from": "Hub", "text": "Hello"}
