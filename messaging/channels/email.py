"""Email through Django's email backend (EMAIL_URL): HTML and plain-text parts, any extra headers.

The Message-ID is made here, before sending, so it can be returned as the provider id and matched to bounces.
"""

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from messaging.channels.base import EmailMessage, Result, SendError


def unsubscribe_headers(*, url: str, mailto: str = "") -> dict[str, str]:
    """List-Unsubscribe (RFC 2369) with the https one-click URL and an optional mailto, and
    List-Unsubscribe-Post (RFC 8058), which mailbox providers require of bulk senders."""
    targets = [f"<{url}>"] + ([f"<mailto:{mailto}>"] if mailto else [])
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _smtp_error(code: int, reason: str) -> SendError:
    # 5xx is a final answer from the receiving server; 4xx (greylisting, mailbox full, rate limits) is not.
    return SendError(f"SMTP {code}: {reason}", permanent=500 <= code < 600, status_code=code)


class EmailTransport:
    """send(EmailMessage) -> Result(provider_id=Message-ID); raises SendError.

    Permanent: every recipient refused with 5xx, a 5xx to the sender or the data, nothing accepted.
    Retryable: 4xx answers, connection failures and timeouts.
    """

    def __init__(self, *, connection: BaseEmailBackend | None = None) -> None:
        self.connection = connection

    def build(self, message: EmailMessage) -> EmailMultiAlternatives:
        domain = (message.from_email or settings.DEFAULT_FROM_EMAIL).rpartition("@")[2].strip("> ") or None
        headers = {"Message-ID": make_msgid(domain=domain), **message.headers}
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers=headers,
            reply_to=[message.reply_to] if message.reply_to else None,
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        return mail

    def send(self, message: EmailMessage) -> Result:
        mail = self.build(message)
        connection = self.connection or get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        try:
            sent = connection.send_messages([mail])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reason = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace')}"
                               for rcpt, (code, msg) in exc.recipients.items())
            permanent = all(500 <= code < 600 for code in codes)
            raise SendError(f"Recipient refused: {reason}", permanent=permanent, status_code=codes[0],
                            address_unreachable=permanent) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Our credentials, not this message: retry once the configuration is fixed.
            raise SendError(f"SMTP authentication failed: {exc.smtp_code}", permanent=False,
                            status_code=exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, connect refused ...
            message_text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
                else str(exc.smtp_error)
            raise _smtp_error(exc.smtp_code, message_text) from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timed out
            raise SendError(f"SMTP connection failed: {exc}", permanent=False) from exc
        if not sent:
            raise SendError("The email backend accepted nothing.", permanent=True)
        return Result(provider_id=mail.extra_headers["Message-ID"])
