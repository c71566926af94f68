"""Campaign benchmarks, each next to a baseline in the same run:

- planning a broadcast to 100,000 customers (deliveries planned per second, peak memory) vs a bare
  bulk_create of the same Delivery rows;
- counting a segment with an event condition over 1,000,000 customers and 5,000,000 events vs a bare COUNT
  over the customers table.
"""

import os
import resource
import time

from bench.support import report, setup_django, timed

AUDIENCE = int(os.environ.get("BENCH_BROADCAST", 100_000))
SEGMENT_CUSTOMERS = int(os.environ.get("BENCH_SEGMENT_CUSTOMERS", 1_000_000))
SEGMENT_EVENTS = int(os.environ.get("BENCH_SEGMENT_EVENTS", 5_000_000))


def broadcast(backend: str) -> None:
    from django.utils import timezone

    from accounts.models import Customer
    from campaigns import tasks
    from campaigns.models import Campaign, CampaignStep
    from campaigns.services import campaign_launch
    from messaging.models import Delivery, MessageTemplate
    from preferences.demo import topics_ensure

    topic = topics_ensure()["offers"]
    template = MessageTemplate.objects.create(key="bench", name="bench", topic=topic, push_title="Hi")
    _generate(backend, customers=AUDIENCE, events=0, prefix="bc")  # in SQL: no Python objects to skew memory
    campaign = Campaign.objects.create(name="bench broadcast")
    CampaignStep.objects.create(campaign=campaign, template=template, channels=["web_push", "email"])
    campaign_launch(campaign_id=campaign.pk)

    # Peak resident memory of this process during the fan-out (tracemalloc would slow Python itself down).
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = timed(lambda: tasks.broadcast_fanout(campaign.pk))
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    planned = Delivery.objects.filter(campaign_id=campaign.pk).count()
    assert planned == AUDIENCE, planned

    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()

    def bare() -> None:
        for start in range(0, len(ids), 2000):
            Delivery.objects.bulk_create([
                Delivery(customer_id=c, topic=topic, template=template, channel_order=["web_push", "email"],
                         scheduled_at=now, source="campaign", campaign_id=campaign.pk + 1, dedupe_key=f"bare:{c}")
                for c in ids[start:start + 2000]])

    bare_seconds = timed(bare)
    report(f"broadcast planning, {AUDIENCE:,} customers (peak memory growth {peak / 2**20:.1f} MiB)", backend,
           ("campaign fan-out (entries + deliveries + queueing)", planned / seconds),
           ("bare Delivery bulk_create, same rows", AUDIENCE / bare_seconds), "deliveries/s", target=">= 0.5")


def _generate(backend: str, *, customers: int, events: int, prefix: str) -> None:
    """Fill the tables in SQL (generate_series / a recursive CTE): customers, and events over 60 days.

    Only integers are interpolated into these statements (the prefix is a constant of this module).
    """
    from django.db import connection

    c, e = customers, events
    sqlite = backend == "SQLite"
    rows = ("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) SELECT {} FROM n"
            if sqlite else "SELECT {1} FROM generate_series(0, {0}) i")
    now = "datetime('now')" if sqlite else "now()"
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_customer")
        first = cur.fetchone()[0] + 1
        cur.execute(
            "INSERT INTO accounts_customer (external_id, email, phone, first_name, last_name, locale, timezone, "
            "attributes, created_at, updated_at) "
            + rows.format(c - 1, f"'{prefix}' || i, '', '', '', '', 'en', 'UTC', '{{}}', {now}, {now}"))
        if e:
            name = ("CASE i % 4 WHEN 0 THEN 'cart_abandoned' WHEN 1 THEN 'product_viewed' WHEN 2 THEN 'app_opened' "
                    "ELSE 'order_placed' END")
            props = "json_object('cart_value', i % 300)" if sqlite else "jsonb_build_object('cart_value', i % 300)"
            when = ("datetime('now', '-' || (i % 60) || ' days')" if sqlite
                    else "now() - (i % 60) * interval '1 day'")
            cur.execute(
                "INSERT INTO accounts_event (customer_id, name, properties, occurred_at, received_at, "
                "idempotency_key) "
                + rows.format(e - 1, f"{first} + ({'i' if sqlite else 'i::bigint'} * 7919) % {c}, {name}, "
                              f"{props}, {when}, {now}, 'k' || i"))
        cur.execute("ANALYZE")


def segment_count(backend: str) -> None:
    from accounts.models import Customer
    from campaigns.models import Segment, SegmentRule
    from campaigns.segments import segment_customers

    start = time.perf_counter()
    _generate(backend, customers=SEGMENT_CUSTOMERS, events=SEGMENT_EVENTS, prefix="seg")
    print(f"    (generated {SEGMENT_CUSTOMERS:,} customers and {SEGMENT_EVENTS:,} events in "
          f"{time.perf_counter() - start:.0f} s)", flush=True)
    segment = Segment.objects.create(name="big carts this month")
    SegmentRule.objects.create(segment=segment, kind="event", event_name="cart_abandoned", within_days=30,
                               event_filters=[{"key": "cart_value", "op": "gt", "value": 250}])
    rules = list(segment.rules.all())
    counted = {}
    seconds = min(timed(lambda: counted.setdefault("n", segment_customers(segment, rules=rules).count()))
                  for _ in range(3))
    bare = min(timed(lambda: Customer.objects.count()) for _ in range(3))
    print(f"[{backend}] segment count with an event condition over {SEGMENT_CUSTOMERS:,} customers and "
          f"{SEGMENT_EVENTS:,} events ({counted['n']:,} match)")
    print(f"    segment COUNT (one query)                        {seconds:8.3f} s")
    print(f"    bare COUNT(*) over customers                     {bare:8.3f} s")
    print(f"    ratio {seconds / bare:.0f}x the bare count   (target: under 2 s on PostgreSQL)", flush=True)


def main() -> None:
    backend = setup_django()
    broadcast(backend)
    segment_count(backend)


if __name__ == "__main__":
    main()
