"""The dry run's counts equal what the launch then does."""

from datetime import UTC, datetime

import pytest
import time_machine

from campaigns import tasks
from campaigns.dryrun import campaign_dry_run
from campaigns.models import CampaignEntry
from campaigns.services import campaign_launch
from messaging.models import Delivery, DeliveryStatus
from messaging.tasks import deliveries_send
from preferences.models import CustomerSettings, Subscription

NOON = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def audience(make_customer, topics):
    offers = topics["offers"]
    people = []
    for i in range(60):
        tz = "Asia/Tokyo" if i % 6 == 0 else "Europe/Amsterdam"  # 21:00 in Tokyo: quiet hours
        c = make_customer(external_id=f"d{i}", timezone=tz, email="" if i % 7 == 0 else f"d{i}@example.com",
                          phone="+31612345678" if i % 5 == 0 else "")
        people.append(c)
        if i % 3 != 0:
            Subscription.objects.create(customer=c, topic=offers, channel="email", opted_in=True, source="api")
        if i % 5 == 0:
            Subscription.objects.create(customer=c, topic=offers, channel="sms", opted_in=True, source="api")
        if i % 11 == 0:
            CustomerSettings.objects.create(customer=c, no_marketing_channels=["email"])
    return people


@time_machine.travel(NOON, tick=False)
def test_dry_run_predicts_the_launch(audience, campaign, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    c = campaign(control_percent=10, steps=[{"channels": ["email", "sms"]}])
    report = campaign_dry_run(campaign=c)
    assert report.audience == 60
    assert report.control > 0 and report.suppressed and report.by_channel and report.deferred

    campaign_launch(campaign_id=c.pk)
    tasks.broadcast_fanout(c.pk)
    queued = list(Delivery.objects.filter(campaign_id=c.pk, status=DeliveryStatus.QUEUED).values_list("pk", flat=True))
    deliveries_send(queued)

    deliveries = Delivery.objects.filter(campaign_id=c.pk)
    assert CampaignEntry.objects.filter(campaign=c, in_control=True).count() == report.control
    sent = {ch: deliveries.filter(status=DeliveryStatus.SENT, channel=ch).count() for ch in ("email", "sms")}
    assert {ch: n for ch, n in sent.items() if n} == dict(report.by_channel)
    suppressed = {}
    for reason in deliveries.filter(status=DeliveryStatus.SUPPRESSED).values_list("suppressed_reason", flat=True):
        suppressed[reason] = suppressed.get(reason, 0) + 1
    assert suppressed == dict(report.suppressed)
    assert deliveries.filter(status=DeliveryStatus.SCHEDULED).count() == report.deferred
