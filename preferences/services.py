"""Writes for preferences and consent. Every function owns its transaction and logs consent changes.

A consent change is any change of what a customer agreed to receive: a topic x channel switch, or the
"no marketing on this channel" setting. Each one inserts a ConsentRecord in the same transaction as the
change itself, so the log never disagrees with the state.
"""

import logging
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Customer, Event
from preferences import privacy, ratelimit, tokens
from preferences.languages import language_for_customer
from preferences.models import (
    Channel,
    ConsentRecord,
    CustomerSettings,
    ErasureRecord,
    Frequency,
    MarketingSend,
    Source,
    Subscription,
    Topic,
)

logger = logging.getLogger(__name__)

# Sources through which a customer opts in themselves; a double opt-in topic then asks them to confirm
# by email first. Imports, admin edits and the confirmation click itself carry their own proof.
DOUBLE_OPT_IN_SOURCES = {Source.PREFERENCE_CENTER, Source.API}


class InvalidChoice(Exception):
    """A choice names a topic or channel that does not exist or does not go together."""


@dataclass(frozen=True)
class ConsentMeta:
    """Who changed consent, through what, and what they saw: stored on every ConsentRecord."""

    source: str
    ip: str | None = None
    user_agent: str = ""
    wording_version: str = ""


@dataclass(frozen=True)
class QuietHours:
    enabled: bool
    start: time
    end: time


@dataclass
class UpdateResult:
    changed: int = 0
    pending_confirmation: list[tuple[int, str]] = field(default_factory=list)  # (topic_id, channel)


Choices = Mapping[tuple[int, str], bool]  # (topic_id, channel) -> opted in


def _record(customer_id: int, topic_id: int | None, channel: str, granted: bool, meta: ConsentMeta,
            at: datetime) -> ConsentRecord:
    return ConsentRecord(customer_id=customer_id, topic_id=topic_id, channel=channel, granted=granted,
                         source=meta.source, ip=meta.ip or None, user_agent=(meta.user_agent or "")[:400],
                         wording_version=meta.wording_version[:32], created_at=at)


def _apply_choices(customer_id: int, choices: Choices, meta: ConsentMeta, at: datetime,
                   result: UpdateResult) -> list[ConsentRecord]:
    """Write the changed switches; returns the consent records to insert. Call inside a transaction."""
    topics = Topic.objects.in_bulk({t for t, _ in choices})
    for topic_id, channel in choices:
        topic = topics.get(topic_id)
        if topic is None:
            raise InvalidChoice(f"Unknown topic {topic_id}.")
        if channel not in (topic.channels or []):
            raise InvalidChoice(f"Topic {topic.key} is not sent by {channel}.")
    current = {(s.topic_id, s.channel): s.opted_in
               for s in Subscription.objects.filter(customer_id=customer_id, topic_id__in=topics)}
    rows, records = [], []
    for (topic_id, channel), wanted in choices.items():
        topic = topics[topic_id]
        now_in = current.get((topic_id, channel), topic.default_for(channel))
        if wanted == now_in:
            continue  # unchanged, or the default confirmed: nothing was agreed or withdrawn
        if (wanted and not now_in and topic.double_opt_in and channel == Channel.EMAIL
                and meta.source in DOUBLE_OPT_IN_SOURCES):
            result.pending_confirmation.append((topic_id, channel))
            continue
        rows.append(Subscription(customer_id=customer_id, topic_id=topic_id, channel=channel, opted_in=wanted,
                                 source=meta.source, updated_at=at))
        records.append(_record(customer_id, topic_id, channel, wanted, meta, at))
    if rows:
        Subscription.objects.bulk_create(rows, update_conflicts=True,
                                         unique_fields=["customer", "topic", "channel"],
                                         update_fields=["opted_in", "source", "updated_at"])
    result.changed += len(records)
    return records


def preferences_update(*, customer_id: int, meta: ConsentMeta, choices: Choices | None = None,
                       no_marketing_channels: Iterable[str] | None = None,
                       channel_order: list[str] | None = None, frequency: str | None = None,
                       quiet_hours: QuietHours | None = None, language: str | None = None) -> UpdateResult:
    """Apply a customer's choices; arguments left None keep their value.

    Only real changes are written and logged. Opting in by email to a double opt-in topic through the
    preference center or the API is not applied: a confirmation email goes out instead (after commit) and
    the topic is listed in `pending_confirmation`. Raises InvalidChoice for an unknown topic or a channel
    the topic does not use, and Customer.DoesNotExist.
    """
    result = UpdateResult()
    now = timezone.now()
    with transaction.atomic():
        # Serialises concurrent saves of one customer's page, so each consent record reflects a real change.
        Customer.objects.select_for_update().only("pk").get(pk=customer_id)
        records = _apply_choices(customer_id, choices, meta, now, result) if choices else []
        if any(v is not None for v in (no_marketing_channels, channel_order, frequency, quiet_hours)):
            prefs, _ = CustomerSettings.objects.get_or_create(customer_id=customer_id)
            if no_marketing_channels is not None:
                wanted = [c for c in Channel.values if c in set(no_marketing_channels)]
                before = set(prefs.no_marketing_channels or [])
                for channel in Channel.values:
                    if (channel in wanted) != (channel in before):
                        # Turning on "no marketing" withdraws consent; turning it off grants it back.
                        records.append(_record(customer_id, None, channel, channel not in wanted, meta, now))
                prefs.no_marketing_channels = wanted
            if channel_order is not None:
                prefs.channel_order = list(dict.fromkeys(channel_order))
            if frequency is not None:
                prefs.frequency = Frequency(frequency)
            if quiet_hours is not None:
                prefs.quiet_hours_enabled = quiet_hours.enabled
                prefs.quiet_start, prefs.quiet_end = quiet_hours.start, quiet_hours.end
            prefs.updated_at = now
            prefs.save()
            result.changed += sum(1 for r in records if r.topic_id is None)
        ConsentRecord.objects.bulk_create(records)
    for topic_id, channel in result.pending_confirmation:
        _send_double_opt_in(customer_id, topic_id, channel, language)
    return result


def subscription_unsubscribe(*, customer_id: int, topic_id: int, channel: str, meta: ConsentMeta) -> bool:
    """Opt the customer out of one topic on one channel (one-click unsubscribe). True when it changed."""
    return preferences_update(customer_id=customer_id, meta=meta, choices={(topic_id, channel): False}).changed > 0


def double_opt_in_confirm(*, customer_id: int, topic_id: int, channel: str, ip: str | None,
                          user_agent: str) -> bool:
    """Record the consent the customer confirmed by clicking the link in our email. True when it changed."""
    meta = ConsentMeta(source=Source.DOUBLE_OPT_IN, ip=ip, user_agent=user_agent,
                       wording_version=settings.PREFERENCES_WORDING_VERSION)
    return preferences_update(customer_id=customer_id, meta=meta, choices={(topic_id, channel): True}).changed > 0


def _send_double_opt_in(customer_id: int, topic_id: int, channel: str, language: str | None) -> None:
    customer = Customer.objects.get(pk=customer_id)
    topic = Topic.objects.get(pk=topic_id)
    if not customer.email:
        return
    lang = language or language_for_customer(customer)
    with translation.override(lang):
        context = {"customer": customer, "topic_name": topic.name_in(lang),
                   "url": tokens.double_opt_in_url(customer_id, topic_id, channel)}
        subject = render_to_string("preferences/email/double_opt_in_subject.txt", context).strip()
        body = render_to_string("preferences/email/double_opt_in.txt", context)
    _mail(subject, body, customer.email)


def _mail(subject: str, body: str, to: str) -> bool:
    """Send one email; a mail server that is down is logged, never turned into a 500 on a public page
    whose change has already been committed."""
    try:
        send_mail(subject, body, None, [to])
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send %r", subject)
        return False
    return True


def preference_link_send(*, customer_id: int, ip: str | None) -> bool:
    """Email the customer a fresh preference-center link. False when rate limited or without email.

    Limited per customer and per IP (settings.PREFERENCES_LINK_EMAILS_PER_HOUR): the page that offers it
    needs no login, so it must not become a way to flood someone's mailbox.
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not customer.email:
        return False
    per_hour = settings.PREFERENCES_LINK_EMAILS_PER_HOUR
    if not ratelimit.allow(f"prefs-link:c:{customer_id}", per_hour, 3600):
        return False
    if ip and not ratelimit.allow(f"prefs-link:ip:{ip}", per_hour * 5, 3600):
        return False
    lang = language_for_customer(customer)
    with translation.override(lang):
        context = {"customer": customer, "url": tokens.preference_center_url(customer_id),
                   "days": settings.PREFERENCES_LINK_MAX_AGE_DAYS}
        subject = render_to_string("preferences/email/link_subject.txt", context).strip()
        body = render_to_string("preferences/email/link.txt", context)
    return _mail(subject, body, customer.email)


def marketing_send_record(*, customer_id: int, topic_id: int, channel: str, sent_at: datetime) -> None:
    """Note that a marketing message went out; the frequency caps of the policy count these.

    Messaging calls it when it sends a marketing message (it depends on preferences, not the reverse).
    """
    MarketingSend.objects.create(customer_id=customer_id, topic_id=topic_id, channel=Channel(channel),
                                 sent_at=sent_at)


def marketing_sends_prune(*, older_than: timedelta = timedelta(days=8)) -> int:
    """Delete ledger rows older than any cap window (the policy never looks past 7 days)."""
    deleted, _ = MarketingSend.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Import ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportRow:
    line: int
    external_id: str
    topic_key: str
    channel: str
    opted_in: bool


@dataclass
class ImportResult:
    changed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def consent_import(*, rows: list[ImportRow], wording_version: str) -> ImportResult:
    """Apply opt-ins and opt-outs collected elsewhere (a shop checkbox, a paper form), source `import`.

    Rows naming an unknown customer or topic, or a channel the topic does not use, are reported in
    `errors` by line and skipped; the rest are applied in one transaction.
    """
    result = ImportResult()
    topics = {t.key: t for t in Topic.objects.filter(key__in={r.topic_key for r in rows})}
    customers = dict(Customer.objects.filter(external_id__in={r.external_id for r in rows})
                     .values_list("external_id", "id"))
    by_customer: dict[int, dict[tuple[int, str], bool]] = {}
    for row in rows:
        topic = topics.get(row.topic_key)
        if row.external_id not in customers:
            result.errors.append(f"line {row.line}: no customer {row.external_id!r}")
        elif topic is None:
            result.errors.append(f"line {row.line}: no topic {row.topic_key!r}")
        elif row.channel not in (topic.channels or []):
            result.errors.append(f"line {row.line}: topic {topic.key!r} is not sent by {row.channel!r}")
        else:
            by_customer.setdefault(customers[row.external_id], {})[(topic.pk, row.channel)] = row.opted_in
    meta = ConsentMeta(source=Source.IMPORT, wording_version=wording_version)
    now = timezone.now()
    with transaction.atomic():
        records: list[ConsentRecord] = []
        for customer_id, choices in by_customer.items():
            step = UpdateResult()
            records += _apply_choices(customer_id, choices, meta, now, step)
            result.changed += step.changed
            result.unchanged += len(choices) - step.changed
        ConsentRecord.objects.bulk_create(records, batch_size=1000)
    return result


# --- GDPR -----------------------------------------------------------------------------------------------

def customer_erase(*, customer_id: int, source: str) -> ErasureRecord:
    """Erase a customer's personal data (GDPR Art. 17) and keep what is anonymous.

    Kept: the customer row (with a random external id) so aggregate counts stay true, event names and
    times, consent records without IP and user agent, the marketing-send ledger. Erased: names, contact
    data, birthday, attributes, event properties, preferences and settings, plus whatever other apps
    registered through preferences.privacy (push subscriptions, inbox messages, ...).
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        counts = {
            "events": Event.objects.filter(customer_id=customer_id).count(),
            "consent_records": ConsentRecord.objects.filter(customer_id=customer_id).count(),
        }
        Event.objects.filter(customer_id=customer_id).update(properties={})
        ConsentRecord.objects.filter(customer_id=customer_id).update(ip=None, user_agent="")
        counts["subscriptions_removed"] = Subscription.objects.filter(customer_id=customer_id).delete()[0]
        CustomerSettings.objects.filter(customer_id=customer_id).delete()
        for name, eraser in privacy.erasers():
            counts[name] = eraser(customer_id)
        customer.external_id = f"erased-{customer.pk}-{timezone.now():%Y%m%d%H%M%S}"
        customer.email = customer.phone = customer.first_name = customer.last_name = ""
        customer.birthday = None
        customer.attributes = {}
        customer.save()
        return ErasureRecord.objects.create(customer_id=customer_id, source=source, counts=counts)


def consent_ip_purge(*, older_than_days: int | None = None) -> int:
    """Clear IP and user agent on consent records older than the retention period; returns how many."""
    days = settings.CONSENT_IP_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    return (ConsentRecord.objects.filter(created_at__lt=cutoff)
            .exclude(ip__isnull=True, user_agent="").update(ip=None, user_agent=""))
