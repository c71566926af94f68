import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, Event

EVENTS = "/api/v1/events/"


def _event(i=0, **over):
    e = {"external_id": f"E{i % 7}", "name": "cart_abandoned", "properties": {"cart_value": 100 + i},
         "occurred_at": "2026-11-20T10:00:00Z", "idempotency_key": f"k{i}"}
    e.update(over)
    return e


def test_one_event_creates_unknown_customer_and_updates_last_seen(api):
    r = api.post(EVENTS, _event(), format="json")
    assert r.status_code == 202, r.json()
    (event_id,) = r.json()["ids"]
    event = Event.objects.get(pk=event_id)
    assert event.customer.external_id == "E0"
    assert event.properties == {"cart_value": 100}
    assert event.customer.last_seen_at is not None


def test_resent_idempotency_key_answers_existing_id(api):
    first = api.post(EVENTS, [_event(1)], format="json").json()
    again = api.post(EVENTS, [_event(1, properties={"cart_value": 1})], format="json").json()
    assert again["ids"] == first["ids"]
    assert again == {"ids": first["ids"], "stored": 0, "duplicates": 1}
    assert Event.objects.count() == 1
    assert Event.objects.get().properties == {"cart_value": 101}


def test_same_key_for_different_customers_is_two_events(api):
    r = api.post(EVENTS, [_event(0, external_id="A"), _event(0, external_id="B")], format="json")
    assert len(set(r.json()["ids"])) == 2


def test_duplicate_within_one_batch_is_stored_once(api):
    r = api.post(EVENTS, [_event(3), _event(3)], format="json").json()
    assert r["ids"][0] == r["ids"][1]
    assert Event.objects.count() == 1


def test_events_without_key_are_each_stored(api):
    r = api.post(EVENTS, {"events": [_event(0, idempotency_key=None), _event(0, idempotency_key=None)]},
                 format="json")
    assert r.json()["stored"] == 2


def test_invalid_batch_is_rejected_whole_with_rows_and_fields(api):
    batch = [_event(i) for i in range(5)]
    batch[2]["name"] = "Cart Abandoned!"
    batch[4]["occurred_at"] = "yesterday"
    del batch[3]["external_id"]
    r = api.post(EVENTS, batch, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid"
    assert [(row["index"], sorted(row["fields"])) for row in body["rows"]] == [
        (2, ["name"]), (3, ["external_id"]), (4, ["occurred_at"])]
    assert Event.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("body", [[], "text", 42, {"events": "x"}])
def test_wrong_shapes_are_400(api, body):
    r = api.post(EVENTS, body, format="json")
    assert r.status_code == 400
    assert "events" in r.json()["fields"]


def test_properties_must_be_an_object(api):
    r = api.post(EVENTS, [_event(properties=[1, 2])], format="json")
    assert r.status_code == 400
    assert "properties" in r.json()["rows"][0]["fields"]


def test_over_1000_events_is_400(api):
    r = api.post(EVENTS, [_event(i) for i in range(1001)], format="json")
    assert r.status_code == 400
    assert Event.objects.count() == 0


def test_naive_occurred_at_is_taken_as_utc(api):
    (eid,) = api.post(EVENTS, [_event(occurred_at="2026-11-20T10:00:00")], format="json").json()["ids"]
    assert Event.objects.get(pk=eid).occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"


@pytest.mark.parametrize("rows", [10, 1000])
def test_query_count_is_constant(api, django_assert_max_num_queries, rows):
    # auth + touch, savepoint, customers select/insert/reselect, events insert/select, last_seen, release
    with django_assert_max_num_queries(10):
        r = api.post(EVENTS, [_event(i) for i in range(rows)], format="json")
    assert r.status_code == 202
    assert Event.objects.count() == rows


def test_batch_insert_is_one_statement_on_sqlite_too(api):
    """Our SQLite backend lifts Django 5.2's 999-parameter assumption: 1,000 events, one INSERT."""
    with CaptureQueriesContext(connection) as ctx:
        api.post(EVENTS, [_event(i, external_id=f"U{i}") for i in range(1000)], format="json")
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT") and 'INTO "accounts_event"' in q["sql"]]
    assert len(inserts) == 1


def test_last_seen_moves_forward_to_the_minute(api):
    from datetime import timedelta

    from django.utils import timezone

    api.post(EVENTS, [_event(1)], format="json")
    first = Customer.objects.get(external_id="E1").last_seen_at
    api.post(EVENTS, [_event(8)], format="json")  # the same customer, seconds later: no rewrite
    assert Customer.objects.get(external_id="E1").last_seen_at == first
    Customer.objects.filter(external_id="E1").update(last_seen_at=timezone.now() - timedelta(minutes=2))
    api.post(EVENTS, [_event(15)], format="json")
    assert Customer.objects.get(external_id="E1").last_seen_at > first
