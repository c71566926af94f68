"""Campaign state changes: launch, pause, resume, stop. Each owns its transaction; fan-out runs as a task."""

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignEntry, CampaignKind, CampaignStatus, EntryStatus
from config.queue import enqueue_on_commit


class InvalidTransition(Exception):
    """The campaign cannot move from its status to the one asked for."""


class NotReady(Exception):
    """The campaign lacks something it needs to run (the message says what)."""


S = CampaignStatus
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.RUNNING},
    S.RUNNING: {S.PAUSED, S.STOPPED, S.COMPLETED},
    S.PAUSED: {S.RUNNING, S.STOPPED},
    S.STOPPED: set(),
    S.COMPLETED: set(),
}


def _transition(campaign_id: int, to: str, **extra: object) -> Campaign:
    """Apply one allowed transition with a conditional update, so two clicks cannot both apply it."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if to not in TRANSITIONS[campaign.status]:
        raise InvalidTransition(f"A {campaign.get_status_display().lower()} campaign cannot become {to}.")
    Campaign.objects.filter(pk=campaign_id, status=campaign.status).update(status=to, **extra)
    campaign.refresh_from_db()
    return campaign


def campaign_check(campaign: Campaign) -> list[str]:
    """What stops this campaign from launching, in words for the marketer (empty: ready)."""
    problems = []
    steps = list(campaign.steps.select_related("template"))
    if not steps:
        problems.append("Add at least one step with a template.")
    if campaign.kind == CampaignKind.TRIGGERED and not campaign.trigger_event:
        problems.append("Name the trigger event.")
    if campaign.kind == CampaignKind.LIFECYCLE and not campaign.lifecycle:
        problems.append("Choose the lifecycle rule (inactive, birthday or anniversary).")
    if campaign.kind == CampaignKind.LIFECYCLE and campaign.lifecycle == "inactive" and not campaign.inactive_days:
        problems.append("Say after how many inactive days.")
    if campaign.control_percent >= 100:
        problems.append("A control group of 100% would send nothing.")
    return problems


def campaign_launch(*, campaign_id: int) -> Campaign:
    """Start the campaign. A broadcast fans out to its audience in a task (batches; safe to run twice)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        problems = campaign_check(campaign)
        if problems:
            raise NotReady(" ".join(problems))
        campaign = _transition(campaign_id, S.RUNNING, launched_at=timezone.now())
        if campaign.kind == CampaignKind.BROADCAST:
            enqueue_on_commit("campaigns.tasks.broadcast_fanout", campaign_id)
    return campaign


def campaign_pause(*, campaign_id: int) -> Campaign:
    """Pause: nothing new is planned; entries wait and continue on resume."""
    with transaction.atomic():
        return _transition(campaign_id, S.PAUSED)


def campaign_resume(*, campaign_id: int) -> Campaign:
    with transaction.atomic():
        campaign = _transition(campaign_id, S.RUNNING)
        if campaign.kind == CampaignKind.BROADCAST and campaign.fanout_done_at is None:
            enqueue_on_commit("campaigns.tasks.broadcast_fanout", campaign_id)
    return campaign


def campaign_stop(*, campaign_id: int) -> Campaign:
    """Stop for good: active entries exit and deliveries not yet sent are cancelled."""
    from messaging.models import Delivery, DeliveryStatus
    from messaging.services import deliveries_cancel_scheduled

    with transaction.atomic():
        campaign = _transition(campaign_id, S.STOPPED)
        CampaignEntry.objects.filter(campaign_id=campaign_id, status=EntryStatus.ACTIVE).update(
            status=EntryStatus.EXITED, next_step_at=None)
    pending = Delivery.objects.filter(campaign_id=campaign_id, status=DeliveryStatus.SCHEDULED)
    while ids := list(pending.values_list("pk", flat=True)[:2000]):
        if not deliveries_cancel_scheduled(delivery_ids=ids, detail="campaign stopped"):
            break  # the rest was claimed for sending meanwhile
    return campaign
