"""Web push end to end through the send pipeline vs a plain pywebpush loop; inbox broadcast vs bulk_create.

    python -m bench.push     (BENCH_PUSH_N customers, default 5,000; BENCH_INBOX_N, default 100,000)

Push: N customers with one subscription each on the local push service, which runs in child processes
(BENCH_PUSH_SERVERS of them) and really verifies every VAPID JWT and decrypts every payload, so neither path
can cheat. The pipeline is measured from deliveries_plan (N transactional messages) until every delivery is
recorded sent: the send tasks (messaging.tasks.deliveries_send, one per batch of ids) run in BENCH_WORKERS
worker processes, as django-q2 workers would run them, each with its process's shared transport. The
baseline sends the same message to the same subscriptions with a plain sequential pywebpush.webpush loop.

Inbox: a broadcast to BENCH_INBOX_N customers on the inbox channel through the same pipeline (plan, policy
per customer, record, inbox rows), next to a bare InboxMessage bulk_create of as many rows.
"""

import json
import multiprocessing
import os
import sys
import time
from typing import Any

from bench.support import report, setup_django, timed

N = int(os.environ.get("BENCH_PUSH_N", "5000"))
# The 100,000-customer broadcast of the issue (about a minute per database); BENCH_INBOX_N for a shorter run.
INBOX_N = int(os.environ.get("BENCH_INBOX_N", "100000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(min(4, os.cpu_count() or 1))))
# Processes of the push service sharing one listening socket, so the service is not what is measured.
SERVERS = int(os.environ.get("BENCH_PUSH_SERVERS", str(min(4, os.cpu_count() or 1))))


def _worker(tasks: Any, results: Any) -> None:
    """A stand-in for a django-q2 worker process: runs queued task functions by dotted path."""
    from django.db import connections
    from django.utils.module_loading import import_string

    connections.close_all()  # never share the parent's connection after fork
    while (item := tasks.get()) is not None:
        func, args = item
        results.put(import_string(func)(*args))
    connections.close_all()


class Workers:
    """WORKERS forked processes fed through a queue; config.queue's async_task is pointed at it."""

    def __init__(self) -> None:
        from django.db import connections

        import config.queue

        ctx = multiprocessing.get_context("fork")
        self.tasks, self.results = ctx.Queue(), ctx.Queue()
        connections.close_all()
        self.procs = [ctx.Process(target=_worker, args=(self.tasks, self.results), daemon=True)
                      for _ in range(WORKERS)]
        for p in self.procs:
            p.start()
        config.queue.async_task = lambda func, *args, **kwargs: self.tasks.put((func, args))

    def wait_for(self, total: int, timeout: float = 300) -> None:
        done, deadline = 0, time.monotonic() + timeout
        while done < total:
            done += self.results.get(timeout=max(1, deadline - time.monotonic()))

    def stop(self) -> None:
        for _ in self.procs:
            self.tasks.put(None)
        for p in self.procs:
            p.join(30)


def _customers(n: int, prefix: str) -> list[int]:
    from accounts.models import Customer
    from accounts.services import customers_bulk_upsert

    for start in range(0, n, 10_000):
        customers_bulk_upsert(rows=[{"external_id": f"{prefix}{i}", "first_name": "Bench", "timezone": "UTC"}
                                    for i in range(start, min(n, start + 10_000))])
    return list(Customer.objects.filter(external_id__startswith=prefix).values_list("pk", flat=True))


def _retries_now(workers: Workers) -> None:
    """Send what the pipeline scheduled for a retry (a reset connection, when the local service's listen
    backlog overflows) at once rather than after the backoff, so the figure counts every delivery sent."""
    from django.utils import timezone

    from messaging.models import Delivery, DeliveryStatus
    from messaging.tasks import deliveries_dispatch

    while Delivery.objects.filter(status=DeliveryStatus.SCHEDULED).update(scheduled_at=timezone.now()):
        workers.wait_for(deliveries_dispatch())


def bench_push(backend: str, service: Any, targets: list[Any], workers: Workers) -> int:
    import pywebpush

    from messaging.channels.vapid import vapid_keys
    from messaging.models import Delivery, DeliveryStatus, MessageTemplate, PushSubscription
    from messaging.pipeline import push_message
    from messaging.rendering import build_context, content_for, render_content
    from messaging.services import DeliveryPlan, deliveries_plan, endpoint_hash
    from preferences.demo import topics_ensure

    topic = topics_ensure()["order-updates"]  # transactional, web push on by default
    template = MessageTemplate.objects.create(
        key="bench", name="Bench", topic=topic, push_title="Spring sale, {{ customer.first_name }}",
        push_body="20% off everything today", push_url="https://shop.example/sale", push_icon="/static/icon.png",
        push_ttl=3600, push_urgency="normal", replace_key="offer")
    ids = _customers(N, "P")
    PushSubscription.objects.bulk_create(
        [PushSubscription(customer_id=pk, endpoint=t.endpoint, endpoint_hash=endpoint_hash(t.endpoint),
                          p256dh=t.p256dh, auth=t.auth) for pk, t in zip(ids, targets, strict=True)],
        batch_size=2000)

    # The baseline sends what the pipeline would send to the first customer, N times, one after another.
    first = Delivery(pk=0, customer_id=ids[0], topic=topic, template=template)
    from accounts.models import Customer

    customer = Customer.objects.get(pk=ids[0])
    rendered = render_content(content_for(template=template, content=None, locale="en"),
                              build_context(customer=customer, data={}, topic=topic, channel="web_push"))
    message = push_message(first, rendered)
    data = json.dumps(message.payload(), separators=(",", ":"))
    vapid = vapid_keys()
    signer = vapid.signer()

    def plain_loop() -> None:
        for t in targets:
            pywebpush.webpush({"endpoint": t.endpoint, "keys": {"p256dh": t.p256dh, "auth": t.auth}}, data=data,
                              vapid_private_key=signer, vapid_claims={"sub": vapid.subject}, ttl=message.ttl,
                              headers={"Urgency": message.urgency, "Topic": message.topic}, timeout=10)

    def pipeline() -> None:
        deliveries_plan(plans=(DeliveryPlan(customer_id=pk, topic_id=topic.pk, template_id=template.pk,
                                            dedupe_key=f"bench:{pk}", channel_order=["web_push"], source="test")
                               for pk in ids))
        workers.wait_for(N)
        _retries_now(workers)

    plain_s = timed(plain_loop)
    ours_s = timed(pipeline)
    sent = Delivery.objects.filter(status=DeliveryStatus.SENT, channel="web_push").count()
    if sent != N:
        print(f"bench.push: only {sent} of {N} deliveries were sent", file=sys.stderr)
        return 1
    report(f"web push end to end to a local push service (VAPID verified, payload decrypted), {N:,} customers",
           backend, (f"pipeline: plan -> {WORKERS} worker processes -> sent", N / ours_s),
           ("plain sequential pywebpush.webpush loop", N / plain_s), "pushes/s", target=">= 1.0")
    return 0


def bench_inbox(backend: str, workers: Workers) -> int:
    from messaging.models import Delivery, DeliveryStatus, InboxMessage, MessageTemplate
    from messaging.services import DeliveryPlan, deliveries_plan
    from preferences.demo import topics_ensure

    topic = topics_ensure()["order-updates"]  # the inbox is on by default for it
    template = MessageTemplate.objects.create(key="bench-inbox", name="Inbox", topic=topic,
                                              inbox_title="Store closed on Monday",
                                              inbox_body="Hi {{ customer.first_name }}, we are closed on Monday.")
    ids = _customers(INBOX_N, "I")

    def pipeline() -> None:
        deliveries_plan(plans=(DeliveryPlan(customer_id=pk, topic_id=topic.pk, template_id=template.pk,
                                            dedupe_key=f"inbox:{pk}", channel_order=["inbox"], source="test")
                               for pk in ids))
        workers.wait_for(INBOX_N, timeout=600)

    def bare() -> None:
        for start in range(0, INBOX_N, 2000):
            InboxMessage.objects.bulk_create([InboxMessage(customer_id=pk, topic_id=topic.pk, title="Store closed",
                                                           body="We are closed on Monday.")
                                              for pk in ids[start:start + 2000]])

    ours_s = timed(pipeline)
    written = InboxMessage.objects.count()
    bare_s = timed(bare)
    sent = Delivery.objects.filter(status=DeliveryStatus.SENT, channel="inbox").count()
    if sent != INBOX_N or written != INBOX_N:
        print(f"bench.push: inbox broadcast sent {sent} / wrote {written} of {INBOX_N}", file=sys.stderr)
        return 1
    report(f"inbox broadcast to {INBOX_N:,} customers", backend,
           (f"pipeline: plan -> policy -> {WORKERS} worker processes -> inbox", INBOX_N / ours_s),
           ("bare InboxMessage.objects.bulk_create", INBOX_N / bare_s), "messages/s")
    return 0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from messaging.testing.push_service import LocalPushService

    # The subscriptions' keys are made before the fork, so the service processes can decrypt every payload.
    service = LocalPushService(verify=True)
    targets = [service.subscribe() for _ in range(N)]
    servers = [multiprocessing.get_context("fork").Process(target=service.serve_forever, daemon=True)
               for _ in range(SERVERS)]
    for server in servers:
        server.start()
    service._server.socket.close()  # the children accept; this process only sends
    workers = None
    try:
        backend = setup_django()
        workers = Workers()
        return bench_push(backend, service, targets, workers) or bench_inbox(backend, workers)
    finally:
        if workers is not None:
            workers.stop()
        for server in servers:
            server.terminate()
            server.join()


if __name__ == "__main__":
    sys.exit(main())
