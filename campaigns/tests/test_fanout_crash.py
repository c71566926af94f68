"""A worker process killed (SIGKILL) in the middle of a broadcast fan-out: after a restart every eligible
customer has exactly one delivery."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from accounts.models import Customer
from campaigns.models import Campaign, CampaignEntry, CampaignStep
from campaigns.services import campaign_launch
from messaging.models import Delivery, MessageTemplate
from preferences.demo import topics_ensure

BASE = Path(__file__).resolve().parents[2]
AUDIENCE = 3000


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _worker(campaign_id: int) -> subprocess.Popen:
    code = ("import django; django.setup(); from campaigns.tasks import broadcast_fanout; "
            f"broadcast_fanout({campaign_id})")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": _database_url(),
           "CAMPAIGNS_FANOUT_BATCH": "50", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-c", code], cwd=BASE, env=env)


@pytest.mark.django_db(transaction=True)
def test_fanout_killed_midway_then_restarted_sends_exactly_once_each():
    topics = topics_ensure()
    Customer.objects.bulk_create([Customer(external_id=f"k{i}") for i in range(AUDIENCE)])
    template = MessageTemplate.objects.create(key="k", name="k", topic=topics["offers"], push_title="Hi")
    campaign = Campaign.objects.create(name="big", control_percent=10)
    CampaignStep.objects.create(campaign=campaign, template=template, channels=["email"])
    campaign_launch(campaign_id=campaign.pk)  # the fan-out task it queues is run by the workers below

    worker = _worker(campaign.pk)
    deadline = time.monotonic() + 60
    while CampaignEntry.objects.filter(campaign=campaign).count() < 200:
        assert worker.poll() is None, "the fan-out finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    entered = CampaignEntry.objects.filter(campaign=campaign).count()
    assert 0 < entered < AUDIENCE
    campaign.refresh_from_db()
    assert campaign.fanout_done_at is None

    restarted = _worker(campaign.pk)
    assert restarted.wait(timeout=120) == 0
    campaign.refresh_from_db()
    assert campaign.fanout_done_at is not None

    entries = CampaignEntry.objects.filter(campaign=campaign)
    assert entries.count() == AUDIENCE
    treated = set(entries.filter(in_control=False).values_list("customer_id", flat=True))
    per_customer = (Delivery.objects.filter(campaign_id=campaign.pk).values("customer_id")
                    .annotate(n=Count("id")))
    assert {row["customer_id"] for row in per_customer} == treated
    assert {row["n"] for row in per_customer} == {1}
