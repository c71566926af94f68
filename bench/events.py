"""Events ingested per second through POST /api/v1/events/ (batches of 500, the app under gunicorn) next to
the same rows written with one bulk_create per batch directly: the floor the API cannot beat."""

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bench.support import report, setup_django, timed

BATCH = 500
BATCHES = 20
# One sequential stream (like the baseline), then one connection per gunicorn worker (the app's capacity).
CLIENT_COUNTS = (1, 2)
CUSTOMERS = 5_000


def _events(prefix: str, base: datetime) -> list[list[dict]]:
    return [
        [
            {"external_id": f"B{(b * BATCH + i) % CUSTOMERS}", "name": "product_viewed",
             "properties": {"sku": f"SKU-{i}", "price": i % 97}, "idempotency_key": f"{prefix}-{b}-{i}",
             "occurred_at": (base - timedelta(seconds=b * BATCH + i)).isoformat()}
            for i in range(BATCH)
        ]
        for b in range(BATCHES)
    ]


def main() -> None:
    backend = setup_django()
    from accounts.models import Customer, Event
    from accounts.services import api_key_create, customers_bulk_upsert
    from bench.server import gunicorn

    customers_bulk_upsert(rows=[{"external_id": f"B{i}"} for i in range(CUSTOMERS)])
    ids = dict(Customer.objects.values_list("external_id", "id"))
    _, key = api_key_create(name="bench")
    base = datetime.now(UTC)

    bodies = {clients: [json.dumps(batch).encode() for batch in _events(f"api{clients}", base)]
              for clients in CLIENT_COUNTS}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with gunicorn(workers=2) as url:
        host = url.removeprefix("http://")

        def post(chunk: list[bytes]) -> None:
            conn = http.client.HTTPConnection(host, timeout=60)
            for body in chunk:
                conn.request("POST", "/api/v1/events/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                assert response.status == 202, response.status
            conn.close()

        post([json.dumps({"external_id": "warmup", "name": "warmup"}).encode()] * 4)
        api_seconds = {}
        for clients in CLIENT_COUNTS:
            chunks = [bodies[clients][i::clients] for i in range(clients)]
            with ThreadPoolExecutor(clients) as pool:
                api_seconds[clients] = timed(lambda pool=pool, chunks=chunks: list(pool.map(post, chunks)))

    batches = _events("bulk", base)

    def bulk_all() -> None:
        for batch in batches:
            Event.objects.bulk_create([
                Event(customer_id=ids[e["external_id"]], name=e["name"], properties=e["properties"],
                      occurred_at=datetime.fromisoformat(e["occurred_at"]), idempotency_key=e["idempotency_key"])
                for e in batch
            ])

    bulk_seconds = timed(bulk_all)
    rows = BATCH * BATCHES
    for clients in CLIENT_COUNTS:
        stored = Event.objects.filter(idempotency_key__startswith=f"api{clients}-").count()
        assert stored == rows, f"the API lost events: {stored} of {rows}"
        report(f"events ingested, {BATCHES} batches of {BATCH}, {clients} client connection(s)", backend,
               (f"POST /api/v1/events/ (gunicorn, 2 workers, {clients} client(s))", rows / api_seconds[clients]),
               ("Event.objects.bulk_create, same rows", rows / bulk_seconds), "events/s", target=">= 0.5")


if __name__ == "__main__":
    main()
