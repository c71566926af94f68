"""Event-to-sent latency of a zero-delay triggered web push, through real django-q2 worker processes.

An event is stored the way the API stores it (accounts.services.events_ingest); `manage.py qcluster` runs the
campaigns' event consumer and then the send task; the delivery is sent to the local push service (which
verifies VAPID and decrypts the payload, in this process's thread). Latency = the delivery's sent_at minus the
event's received_at, for events sent one after another. Baseline: one direct push to the same service from
this process (WebPushTransport.send), the floor any pipeline sits on.
"""

import os
import statistics
import subprocess
import sys
import time

from bench.support import BASE_DIR, setup_django

EVENTS = int(os.environ.get("BENCH_TRIGGER_EVENTS", "40"))


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> int:
    backend = setup_django()
    from accounts.models import Customer, Event
    from accounts.services import customers_bulk_upsert, events_ingest
    from campaigns.models import Campaign, CampaignStep
    from campaigns.services import campaign_launch
    from messaging.channels.base import PushMessage
    from messaging.channels.webpush import webpush_transport
    from messaging.models import Delivery, DeliveryStatus, MessageTemplate, PushSubscription
    from messaging.services import endpoint_hash
    from messaging.testing.push_service import LocalPushService
    from preferences.demo import topics_ensure

    service = LocalPushService(verify=True).start()
    targets = [service.subscribe() for _ in range(EVENTS)]
    customers_bulk_upsert(rows=[{"external_id": f"t{i}", "timezone": "UTC"} for i in range(EVENTS)])
    ids = list(Customer.objects.filter(external_id__startswith="t").order_by("pk").values_list("pk", flat=True))
    PushSubscription.objects.bulk_create([
        PushSubscription(customer_id=pk, endpoint=t.endpoint, endpoint_hash=endpoint_hash(t.endpoint),
                         p256dh=t.p256dh, auth=t.auth) for pk, t in zip(ids, targets, strict=True)])
    topic = topics_ensure()["order-updates"]  # transactional: web push on by default, no quiet hours
    template = MessageTemplate.objects.create(key="shipped", name="Shipped", topic=topic,
                                              push_title="Your order is on its way")
    campaign = Campaign.objects.create(name="shipped", kind="triggered", trigger_event="order_shipped")
    CampaignStep.objects.create(campaign=campaign, template=template, channels=["web_push"])
    campaign_launch(campaign_id=campaign.pk)

    env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"], "LOG_LEVEL": "WARNING"}
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies = []
    try:
        time.sleep(3)  # let the cluster start its workers
        for i in range(EVENTS):
            result = events_ingest(events=[{"external_id": f"t{i}", "name": "order_shipped", "properties": {},
                                            "occurred_at": None, "idempotency_key": f"ship-{i}"}])
            deadline = time.monotonic() + 30
            while True:
                row = (Delivery.objects.filter(campaign_id=campaign.pk, customer_id=ids[i])
                       .values_list("status", "sent_at").first())
                if row and row[0] == DeliveryStatus.SENT:
                    break
                if time.monotonic() > deadline:
                    print(f"bench.trigger: event {i} was not sent within 30 s ({row})", file=sys.stderr)
                    return 1
                time.sleep(0.02)
            received_at = Event.objects.get(pk=result.ids[0]).received_at
            latencies.append((row[1] - received_at).total_seconds())
    finally:
        cluster.terminate()
        cluster.wait(timeout=30)

    transport = webpush_transport()
    direct = []
    for t in targets:
        start = time.perf_counter()
        transport.send(PushMessage(title="direct"), t)
        direct.append(time.perf_counter() - start)
    p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
    d50, d95 = _percentile(direct, 0.5), _percentile(direct, 0.95)
    print(f"[{backend}] zero-delay triggered web push, event stored -> sent, {EVENTS} events one after another")
    print(f"    through the django-q2 cluster               p50 {p50 * 1000:8.0f} ms   p95 {p95 * 1000:8.0f} ms"
          f"   mean {statistics.mean(latencies) * 1000:.0f} ms")
    print(f"    baseline: one direct push, same service     p50 {d50 * 1000:8.1f} ms   p95 {d95 * 1000:8.1f} ms")
    print(f"    ratio p50 {p50 / d50:.0f}x the direct push   (target: sent within seconds)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
