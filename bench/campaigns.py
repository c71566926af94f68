"""Campaign benchmarks, each next to a baseline in the same run:

- planning a broadcast to 100,000 customers (deliveries planned per second, peak memory) vs a bare
  bulk_create of the same Delivery rows;
- counting a segment with an event condition over 1,000,000 customers and 5,000,000 events vs a bare COUNT
  over the customers table.
"""

import os
import time
import tracemalloc

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
    for start in range(0, AUDIENCE, 10_000):
        Customer.objects.bulk_create([Customer(external_id=f"bc{i}") for i in range(start, min(start + 10_000,
                                                                                              AUDIENCE))])
    campaign = Campaign.objects.create(name="bench broadcast")
    CampaignStep.objects.create(campaign=campaign, template=template, channels=["web_push", "email"])
    campaign_launch(campaign_id=campaign.pk)

    tracemalloc.start()
    seconds = timed(lambda: tasks.broadcast_fanout(campaign.pk))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
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
    report(f"broadcast planning, {AUDIENCE:,} customers (peak Python memory {peak / 2**20:.1f} MiB)", backend,
           ("campaign fan-out (entries + deliveries + queueing)", planned / seconds),
           ("bare Delivery bulk_create, same rows", AUDIENCE / bare_seconds), "deliveries/s", target=">= 0.5")


def _generate(backend: str) -> None:
    """Fill the tables in SQL (generate_series / a recursive CTE): 1M customers, 5M events over 60 days."""
    from django.db import connection

    c, e = SEGMENT_CUSTOMERS, SEGMENT_EVENTS
    with connection.cursor() as cur:
        first = 1 + (cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_customer") or cur).fetchone()[0]
        if backend == "SQLite":
            series = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
            cur.execute(series.format(c - 1) + (
                "INSERT INTO accounts_customer (external_id, email, phone, first_name, last_name, locale, timezone, "
                "attributes, created_at, updated_at) SELECT 'seg' || i, '', '', '', '', 'en', 'UTC', '{}', "
                "datetime('now'), datetime('now') FROM n"))
            cur.execute(series.format(e - 1) + (
                "INSERT INTO accounts_event (customer_id, name, properties, occurred_at, received_at, "
                f"idempotency_key) SELECT {first} + (i * 7919) % {c}, "
                "CASE i % 4 WHEN 0 THEN 'cart_abandoned' WHEN 1 THEN 'product_viewed' WHEN 2 THEN 'app_opened' "
                "ELSE 'order_placed' END, json_object('cart_value', i % 300), "
                "datetime('now', '-' || (i % 60) || ' days'), datetime('now'), 'k' || i FROM n"))
        else:
            cur.execute(
                "INSERT INTO accounts_customer (external_id, email, phone, first_name, last_name, locale, timezone, "
                "attributes, created_at, updated_at) SELECT 'seg' || i, '', '', '', '', 'en', 'UTC', '{}', now(), "
                f"now() FROM generate_series(0, {c - 1}) i")
            cur.execute(
                "INSERT INTO accounts_event (customer_id, name, properties, occurred_at, received_at, "
                f"idempotency_key) SELECT {first} + (i::bigint * 7919) % {c}, "
                "(ARRAY['cart_abandoned', 'product_viewed', 'app_opened', 'order_placed'])[i % 4 + 1], "
                "jsonb_build_object('cart_value', i % 300), now() - (i % 60) * interval '1 day', now(), 'k' || i "
                f"FROM generate_series(0, {e - 1}) i")
            cur.execute("ANALYZE")
        if backend == "SQLite":
            cur.execute("ANALYZE")


def segment_count(backend: str) -> None:
    from accounts.models import Customer
    from campaigns.models import Segment, SegmentRule
    from campaigns.segments import segment_customers

    start = time.perf_counter()
    _generate(backend)
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
    report(f"segment count with an event condition ({counted['n']:,} of {SEGMENT_CUSTOMERS:,} customers, "
           f"{SEGMENT_EVENTS:,} events): {seconds:.2f} s vs {bare:.3f} s", backend,
           ("segment counts per second", 1 / seconds), ("bare COUNT(*) over customers per second", 1 / bare),
           "counts/s", target="segment under 2 s on PostgreSQL")


def main() -> None:
    backend = setup_django()
    broadcast(backend)
    segment_count(backend)


if __name__ == "__main__":
    main()
