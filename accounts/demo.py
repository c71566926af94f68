"""Demo data for `make run`: a few hundred customers in several locales and time zones, with events.

Deterministic (a seeded random generator, fixed external ids and idempotency keys), so running it again
adds nothing twice.
"""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Customer
from accounts.services import customers_bulk_upsert, events_ingest

PLACES = [
    ("en", "Europe/London", "+4479{:08d}"),
    ("nl", "Europe/Amsterdam", "+3161{:07d}"),
    ("de", "Europe/Berlin", "+49151{:08d}"),
    ("pl", "Europe/Warsaw", "+48512{:06d}"),
    ("sv", "Europe/Stockholm", "+46701{:06d}"),
    ("en", "America/New_York", "+1212555{:04d}"),
    ("en", "Asia/Tokyo", "+8190{:08d}"),
]
FIRST = ["Anna", "Bram", "Chloé", "Dawid", "Emma", "Finn", "Greta", "Hugo", "Iris", "Jakub", "Karin", "Lars",
         "Maja", "Noah", "Olivia", "Piotr", "Ruth", "Sven", "Tess", "Ula"]
LAST = ["de Vries", "Müller", "Kowalski", "Andersson", "Smith", "Jansen", "Schmidt", "Nowak", "Lindqvist", "Brown"]
EVENTS = ["product_viewed", "cart_abandoned", "order_placed", "app_opened"]
DEMO_CUSTOMERS = 300


def demo_customer_id(n: int) -> str:
    return f"demo-{n:04d}"


def load_demo(*, customers: int = DEMO_CUSTOMERS) -> dict[str, int]:
    rng = random.Random(20261125)  # noqa: S311 - demo data, not security
    before = Customer.objects.filter(external_id__startswith="demo-").count()
    rows = []
    for n in range(1, customers + 1):
        locale, tz, phone = PLACES[n % len(PLACES)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "external_id": demo_customer_id(n),
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{n}@example.com".replace("é", "e"),
            "phone": phone.format(n) if n % 4 else "",
            "locale": locale,
            "timezone": tz,
            "birthday": timezone.datetime(1960 + n % 45, 1 + n % 12, 1 + n % 28).date(),
            "attributes": {"loyalty_tier": rng.choice(["bronze", "silver", "gold"]), "store": rng.choice(
                ["Amsterdam", "Berlin", "Warsaw", "Stockholm", "London"])},
        })
    customers_bulk_upsert(rows=rows)

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    events = []
    for n in range(1, customers + 1):
        for k in range(rng.randint(1, 6)):
            name = rng.choice(EVENTS)
            props = {"cart_value": rng.randint(5, 300)} if name in ("cart_abandoned", "order_placed") else {}
            events.append({
                "external_id": demo_customer_id(n), "name": name, "properties": props,
                "occurred_at": now - timedelta(hours=rng.randint(1, 24 * 60)),
                "idempotency_key": f"demo-{n}-{k}",
            })
    stored = 0
    for start in range(0, len(events), 1000):
        stored += events_ingest(events=events[start:start + 1000]).stored
    after = Customer.objects.filter(external_id__startswith="demo-").count()
    return {"customers_created": after - before, "events_stored": stored}
