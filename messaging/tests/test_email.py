"""The email transport through Django's SMTP backend to a local aiosmtpd server."""

import pytest

from messaging.channels.base import EmailMessage, SendError
from messaging.channels.email import EmailTransport, unsubscribe_headers
from messaging.tests.conftest import SmtpCapture, free_port

UNSUBSCRIBE_URL = "https://hub.example/u/tok123"


def newsletter(to: str = "ann@example.com") -> EmailMessage:
    return EmailMessage(
        to=to, subject="Spring offers", text="Hello Ann, 20% off.", html="<p>Hello Ann, <b>20% off</b>.</p>",
        from_email="Shop <news@shop.example>",
        headers=unsubscribe_headers(url=UNSUBSCRIBE_URL, mailto="unsubscribe@shop.example"),
    )


def test_email_arrives_with_both_parts_and_one_click_unsubscribe(smtp_server: SmtpCapture) -> None:
    result = EmailTransport().send(newsletter())

    [(envelope, mail)] = smtp_server.messages
    assert envelope.rcpt_tos == ["ann@example.com"]
    assert mail["Subject"] == "Spring offers"
    assert mail["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>, <mailto:unsubscribe@shop.example>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in mail.iter_parts()}
    assert parts["text/plain"].strip() == "Hello Ann, 20% off."
    assert parts["text/html"].strip() == "<p>Hello Ann, <b>20% off</b>.</p>"
    assert result.provider_id == mail["Message-ID"]
    assert result.provider_id.endswith("@shop.example>")


def test_text_only_email_is_a_single_part(smtp_server: SmtpCapture) -> None:
    EmailTransport().send(EmailMessage(to="bob@example.com", subject="Order 42 shipped", text="On its way."))

    [(_, mail)] = smtp_server.messages
    assert mail.get_content_type() == "text/plain"
    assert "List-Unsubscribe" not in mail


def test_refused_recipient_is_permanent(smtp_server: SmtpCapture) -> None:
    with pytest.raises(SendError) as err:
        EmailTransport().send(newsletter("bounce@example.com"))

    assert err.value.permanent and err.value.status_code == 550
    assert "No such user" in err.value.reason
    assert smtp_server.messages == []


def test_greylisted_recipient_is_retryable(smtp_server: SmtpCapture) -> None:
    with pytest.raises(SendError) as err:
        EmailTransport().send(newsletter("later@example.com"))

    assert not err.value.permanent and err.value.status_code == 451


def test_unreachable_smtp_server_is_retryable(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    with pytest.raises(SendError) as err:
        EmailTransport().send(newsletter())

    assert not err.value.permanent and "connection" in err.value.reason.lower()


def test_console_backend_in_development(settings, capsys) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    result = EmailTransport().send(newsletter())

    assert result.provider_id in capsys.readouterr().out
