"""Stored events reach the consumers (campaigns, later) through one task per batch, after commit."""

import pytest
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from accounts.services import events_ingest

CONSUMER = "accounts.tests.test_events_dispatch.record"


def record(event_ids):  # the consumer a task would run
    return event_ids


@pytest.fixture
def broker():
    b = get_broker()
    b.purge_queue()
    yield b
    b.purge_queue()


def _queued(broker):
    tasks = []
    while (item := broker.dequeue()):
        for ack_id, payload in item:
            tasks.append(SignedPackage.loads(payload))
            broker.acknowledge(ack_id)
    return tasks


def _events(*keys):
    return [{"external_id": "D1", "name": "order_placed", "properties": {}, "occurred_at": None,
             "idempotency_key": k} for k in keys]


@pytest.mark.django_db(transaction=True)
def test_new_events_are_handed_to_each_consumer_once_per_batch(settings, broker):
    settings.EVENT_CONSUMERS = [CONSUMER]
    result = events_ingest(events=_events("a", "b"))
    tasks = _queued(broker)
    assert [(t["func"], t["args"]) for t in tasks] == [(CONSUMER, (sorted(result.ids),))]


@pytest.mark.django_db(transaction=True)
def test_resent_events_are_not_handed_on_again(settings, broker):
    settings.EVENT_CONSUMERS = [CONSUMER]
    events_ingest(events=_events("a"))
    _queued(broker)
    events_ingest(events=_events("a"))
    assert _queued(broker) == []


@pytest.mark.django_db(transaction=True)
def test_nothing_is_enqueued_when_the_transaction_rolls_back(settings, broker):
    from django.db import transaction

    settings.EVENT_CONSUMERS = [CONSUMER]
    with pytest.raises(RuntimeError), transaction.atomic():
        events_ingest(events=_events("z"))
        raise RuntimeError("rollback")
    assert _queued(broker) == []
