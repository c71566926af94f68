"""django-q2 entry points for campaigns. Each takes ids, is idempotent and calls into planning/services."""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import Customer, Event
from campaigns.assignment import assign
from campaigns.matching import filters_match
from campaigns.models import (
    Campaign,
    CampaignEntry,
    CampaignKind,
    CampaignStatus,
    EntryStatus,
    LifecycleKind,
)
from campaigns.planning import Due, audience_pages, next_step_fields, step_plan, variant_templates
from campaigns.segments import segment_customers
from campaigns.timing import next_local_time, zone

ADVANCE_BATCH = 2_000


def _audience(campaign: Campaign):  # type: ignore[no-untyped-def]
    return segment_customers(campaign.segment) if campaign.segment_id else Customer.objects.all()


def _enter(campaign: Campaign, rows: Sequence[tuple[int, str]], *, entry_key: str, entered_at,
           due_at_for, data: dict | None = None, event_ids: dict[int, int] | None = None) -> None:
    """Create entries for (customer_id, timezone) rows and plan the first step of those already due.

    One transaction per batch: the entries and their first deliveries appear together or not at all, and a
    rerun after a crash finds both by their unique keys and adds nothing.
    """
    steps = list(campaign.steps.select_related("template"))
    first = steps[0]
    variants = list(campaign.variants.all())
    with transaction.atomic():
        entries = []
        due: list[Due] = []
        for customer_id, tz in rows:
            in_control, variant_id = assign(campaign.pk, customer_id, campaign.control_percent, variants)
            at = due_at_for(customer_id, tz)
            entry = CampaignEntry(campaign=campaign, customer_id=customer_id, entry_key=entry_key,
                                  variant_id=variant_id, in_control=in_control, entered_at=entered_at,
                                  trigger_event_id=(event_ids or {}).get(customer_id),
                                  next_step=first.position, next_step_at=at + timedelta(minutes=first.delay_minutes))
            entries.append(entry)
        CampaignEntry.objects.bulk_create(entries, ignore_conflicts=True)
        now = timezone.now()
        stored = CampaignEntry.objects.filter(campaign=campaign, entry_key=entry_key,
                                              customer_id__in=[r[0] for r in rows],
                                              status=EntryStatus.ACTIVE, next_step=first.position,
                                              next_step_at__lte=now)
        tz_of = dict(rows)
        due = [Due(entry_id=pk, customer_id=customer_id, entry_key=entry_key, variant_id=variant_id,
                   in_control=in_control, timezone=tz_of[customer_id], data=data or {})
               for pk, customer_id, variant_id, in_control in stored.values_list(
                   "pk", "customer_id", "variant_id", "in_control")]
        if due:
            _plan_due(campaign, steps, first.position, due, now)


def _plan_due(campaign: Campaign, steps, position: int, due: list[Due], now) -> None:  # type: ignore[no-untyped-def]
    step = next(s for s in steps if s.position == position)
    step_plan(campaign=campaign, step=step, due=due, now=now, variant_templates=variant_templates(campaign, step))
    fields = next_step_fields(steps, position, now)
    CampaignEntry.objects.filter(pk__in=[d.entry_id for d in due], next_step=position).update(**fields)


def broadcast_fanout(campaign_id: int) -> int:
    """Enter the whole audience in batches and plan step 1; safe to run again after a crash."""
    campaign = Campaign.objects.select_related("segment").get(pk=campaign_id)
    if campaign.status != CampaignStatus.RUNNING or campaign.kind != CampaignKind.BROADCAST:
        return 0
    base = max(campaign.send_at or timezone.now(), campaign.launched_at or timezone.now())
    if campaign.local_send_time:
        def due_at_for(customer_id: int, tz: str):  # type: ignore[no-untyped-def]
            return next_local_time(base, tz, campaign.local_send_time)
    else:
        def due_at_for(customer_id: int, tz: str):  # type: ignore[no-untyped-def]
            return base
    # Customers are entered in primary-key order, one committed batch at a time, so a run that was killed
    # resumes after the last customer it entered instead of starting over.
    done = CampaignEntry.objects.filter(campaign=campaign).aggregate(last=Max("customer_id"))["last"] or 0
    total = 0
    for batch in audience_pages(_audience(campaign), settings.CAMPAIGNS_FANOUT_BATCH, after=done):
        _enter(campaign, batch, entry_key="once", entered_at=base, due_at_for=due_at_for)
        total += len(batch)
    Campaign.objects.filter(pk=campaign_id, fanout_done_at__isnull=True).update(fanout_done_at=timezone.now())
    return total


def broadcasts_heal() -> int:
    """Re-enqueue fan-outs that have not finished long after launch (their task was lost or killed)."""
    from django_q.tasks import async_task

    stale = timezone.now() - timedelta(seconds=2 * settings.Q_CLUSTER["timeout"])
    ids = list(Campaign.objects.filter(kind=CampaignKind.BROADCAST, status=CampaignStatus.RUNNING,
                                       fanout_done_at__isnull=True, launched_at__lt=stale)
               .values_list("pk", flat=True))
    for campaign_id in ids:
        async_task("campaigns.tasks.broadcast_fanout", campaign_id)
    return len(ids)


def entries_advance() -> int:
    """Plan every step that has come due (the periodic schedule runs this every minute)."""
    now = timezone.now()
    planned = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.RUNNING):
        steps = list(campaign.steps.select_related("template"))
        if not steps:
            continue
        while True:
            batch = list(
                CampaignEntry.objects.filter(campaign=campaign, status=EntryStatus.ACTIVE, next_step_at__lte=now)
                .select_related("customer").order_by("next_step_at")[:ADVANCE_BATCH]
            )
            if not batch:
                break
            data = _trigger_data([e.trigger_event_id for e in batch if e.trigger_event_id])
            by_step: dict[int, list[Due]] = {}
            for e in batch:
                by_step.setdefault(e.next_step, []).append(Due(
                    entry_id=e.pk, customer_id=e.customer_id, entry_key=e.entry_key, variant_id=e.variant_id,
                    in_control=e.in_control, timezone=e.customer.timezone,
                    data=data.get(e.trigger_event_id, {})))
            with transaction.atomic():
                for position, due in by_step.items():
                    _plan_due(campaign, steps, position, due, now)
            planned += len(batch)
    return planned


def _trigger_data(event_ids: list[int]) -> dict[int, dict]:
    """Personalisation context per trigger event: its name and properties."""
    return {pk: {"event": {"name": name, **(props or {})}}
            for pk, name, props in Event.objects.filter(pk__in=event_ids).values_list("pk", "name", "properties")}


def events_evaluate(event_ids: list[int]) -> None:
    """The campaigns' event consumer: exceptions cancel, triggers enter, goals convert (in that order)."""
    events = list(Event.objects.filter(pk__in=event_ids).select_related("customer").order_by("occurred_at"))
    if not events:
        return
    names = {e.name for e in events}
    campaigns = list(Campaign.objects.filter(status__in=[CampaignStatus.RUNNING, CampaignStatus.PAUSED]))
    for campaign in campaigns:
        if names & set(campaign.exception_events or []):
            _exceptions(campaign, [e for e in events if e.name in campaign.exception_events])
    for campaign in campaigns:
        if campaign.kind == CampaignKind.TRIGGERED and campaign.status == CampaignStatus.RUNNING \
                and campaign.trigger_event in names:
            _trigger(campaign, [e for e in events if e.name == campaign.trigger_event])
    _clicks([e for e in events if e.name == "link_clicked"])
    goals = Campaign.objects.exclude(goal_event="").filter(goal_event__in=names)
    for campaign in goals:
        _convert(campaign, [e for e in events if e.name == campaign.goal_event
                            and filters_match(e.properties, campaign.goal_filters)])


def _clicks(events: list[Event]) -> None:
    """A tracked link in a message names its delivery: the click is that delivery's click."""
    from messaging.services import delivery_mark_clicked

    for event in events:
        delivery_id = (event.properties or {}).get("delivery_id")
        if isinstance(delivery_id, int):
            delivery_mark_clicked(delivery_id=delivery_id, at=event.occurred_at)


def _exceptions(campaign: Campaign, events: list[Event]) -> None:
    from messaging.services import deliveries_cancel

    for event in events:
        entered = CampaignEntry.objects.filter(campaign=campaign, customer_id=event.customer_id,
                                               entered_at__lte=event.occurred_at)
        with transaction.atomic():
            entered.filter(status=EntryStatus.ACTIVE).update(status=EntryStatus.CANCELLED, next_step_at=None)
            # A finished entry may still have a delivery waiting for the send window: withdraw it too.
            if entered.exists():
                deliveries_cancel(customer_id=event.customer_id, campaign_id=campaign.pk)


def _trigger(campaign: Campaign, events: list[Event]) -> None:
    now = timezone.now()
    if (campaign.starts_at and now < campaign.starts_at) or (campaign.ends_at and now >= campaign.ends_at):
        return
    matching = [e for e in events if filters_match(e.properties, campaign.trigger_filters)]
    if not matching:
        return
    audience = set(_audience(campaign).filter(pk__in={e.customer_id for e in matching})
                   .values_list("pk", flat=True))
    recent: set[int] = set()
    if campaign.reentry_days is not None:
        recent = set(CampaignEntry.objects.filter(
            campaign=campaign, customer_id__in=audience,
            entered_at__gt=now - timedelta(days=campaign.reentry_days)).values_list("customer_id", flat=True))
    for event in matching:
        if event.customer_id not in audience or event.customer_id in recent:
            continue
        recent.add(event.customer_id)
        key = "once" if campaign.reentry_days is None else f"event:{event.pk}"
        _enter(campaign, [(event.customer_id, event.customer.timezone)], entry_key=key,
               entered_at=event.occurred_at, due_at_for=lambda c, tz, at=event.occurred_at: at,
               data={"event": {"name": event.name, **(event.properties or {})}},
               event_ids={event.customer_id: event.pk})


def _convert(campaign: Campaign, events: list[Event]) -> None:
    from messaging.models import Delivery
    from messaging.services import delivery_mark_converted

    window = timedelta(days=campaign.attribution_days)
    for event in events:
        at = event.occurred_at
        CampaignEntry.objects.filter(
            campaign=campaign, customer_id=event.customer_id, converted_at__isnull=True,
            entered_at__lte=at, entered_at__gte=at - window).update(converted_at=at)
        for delivery_id in Delivery.objects.filter(
                campaign_id=campaign.pk, customer_id=event.customer_id, converted_at__isnull=True,
                sent_at__lte=at, sent_at__gte=at - window).values_list("pk", flat=True):
            delivery_mark_converted(delivery_id=delivery_id, at=at)


def lifecycle_run() -> int:
    """Hourly: enter customers of lifecycle campaigns whose local clock shows the campaign's hour."""
    now = timezone.now()
    total = 0
    zones = list(Customer.objects.order_by().values_list("timezone", flat=True).distinct())
    for campaign in Campaign.objects.filter(kind=CampaignKind.LIFECYCLE, status=CampaignStatus.RUNNING):
        local_now = {tz: now.astimezone(zone(tz)) for tz in zones}
        at_hour = [tz for tz, local in local_now.items() if local.hour == campaign.local_hour]
        if not at_hour:
            continue
        for tz in at_hour:
            today = local_now[tz].date()
            audience = _audience(campaign).filter(timezone=tz)
            if campaign.lifecycle == LifecycleKind.INACTIVE:
                cutoff = now - timedelta(days=campaign.inactive_days or 0)
                audience = audience.filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True,
                                                                         created_at__lt=cutoff))
                key = f"inactive:{today.isoformat()}"
            elif campaign.lifecycle == LifecycleKind.BIRTHDAY:
                audience = audience.filter(birthday__month=today.month, birthday__day=today.day)
                key = f"birthday:{today.year}"
            else:
                audience = audience.filter(created_at__month=today.month, created_at__day=today.day,
                                           created_at__year__lt=today.year)
                key = f"anniversary:{today.year}"
            if campaign.lifecycle == LifecycleKind.INACTIVE:
                # Once per stretch of inactivity: skip customers entered since they were last seen.
                audience = audience.exclude(campaign_entries__campaign=campaign,
                                            campaign_entries__entered_at__gte=cutoff)
            for batch in audience_pages(audience, settings.CAMPAIGNS_FANOUT_BATCH):
                _enter(campaign, batch, entry_key=key, entered_at=now, due_at_for=lambda c, t: now)
                total += len(batch)
    return total
