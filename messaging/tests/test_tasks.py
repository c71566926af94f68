"""Tasks under concurrency and crashes: two workers on one batch, two dispatchers, a worker dying mid-batch.

These tests commit for real (transaction=True), so each thread has its own connection and sees the others'
claims, on SQLite and PostgreSQL alike.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from messaging.models import Delivery, DeliveryStatus, MessageTemplate
from messaging.services import DeliveryPlan, deliveries_plan
from messaging.tasks import deliveries_dispatch, deliveries_send, deliveries_sweep
from preferences.models import Channel

pytestmark = pytest.mark.django_db(transaction=True)
N = 24


@pytest.fixture
def audience(push_customer, topics):  # type: ignore[no-untyped-def]
    template = MessageTemplate.objects.create(key="t", name="T", topic=topics["order-updates"],
                                              push_title="Hello {{ customer.first_name }}")
    customers = [push_customer() for _ in range(N)]
    return template, customers


def _plan(template, customers, *, later=False):  # type: ignore[no-untyped-def]
    at = timezone.now() + timedelta(seconds=-1 if not later else 3600)
    deliveries_plan(plans=[DeliveryPlan(customer_id=c.pk, topic_id=template.topic_id, template_id=template.pk,
                                        dedupe_key=f"t:{c.pk}", channel_order=[Channel.WEB_PUSH], scheduled_at=at)
                           for c in customers])


def _in_threads(*targets):  # type: ignore[no-untyped-def]
    results: list = [None] * len(targets)
    barrier = threading.Barrier(len(targets))

    def run(i, fn):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            results[i] = fn()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_workers_on_the_same_batch_send_each_delivery_once(audience, push_service, enqueued):
    template, customers = audience
    _plan(template, customers)
    ids = [i for _, (batch,) in enqueued for i in batch]
    assert len(ids) == N
    counts = _in_threads(lambda: deliveries_send(ids), lambda: deliveries_send(ids))
    assert sum(counts) == N
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == N
    assert len(push_service.received) == N
    assert len({r.path for r in push_service.received}) == N


def test_two_dispatchers_claim_disjoint_batches(audience, push_service, enqueued, settings):
    settings.MESSAGING_SEND_BATCH = 5
    template, customers = audience
    _plan(template, customers, later=True)
    Delivery.objects.update(scheduled_at=timezone.now() - timedelta(seconds=1))
    counts = _in_threads(deliveries_dispatch, deliveries_dispatch)
    assert sum(counts) == N
    batches = [batch for _, (batch,) in enqueued]
    ids = [i for batch in batches for i in batch]
    assert len(ids) == len(set(ids)) == N
    assert max(len(b) for b in batches) <= 5
    for batch in batches:
        deliveries_send(batch)
    assert len(push_service.received) == N


def test_a_worker_dying_mid_batch_leaves_rows_the_sweep_requeues_and_they_are_sent_once(
        audience, push_service, enqueued, monkeypatch, settings):
    template, customers = audience
    _plan(template, customers)
    [(_, (ids,))] = enqueued
    enqueued.clear()

    class Killed(BaseException):
        pass

    def die(jobs):  # type: ignore[no-untyped-def]
        raise Killed  # the process is gone before anything went out

    with monkeypatch.context() as m:
        m.setattr("messaging.pipeline._send", die)
        with pytest.raises(Killed):
            deliveries_send(ids)
    assert Delivery.objects.filter(status=DeliveryStatus.SENDING).count() == N
    assert deliveries_sweep() == 0  # not stuck yet: the task might still be running
    Delivery.objects.update(claimed_at=timezone.now() - timedelta(seconds=settings.MESSAGING_STUCK_AFTER_SECONDS + 1))
    assert deliveries_sweep() == N
    for _, (batch,) in enqueued:
        deliveries_send(batch)
        deliveries_send(batch)  # and the lost original task turning up late sends nothing more
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == N
    assert len(push_service.received) == N


def test_queued_rows_whose_task_was_lost_are_requeued(audience, push_service, enqueued, settings):
    template, customers = audience
    _plan(template, customers[:3])
    enqueued.clear()  # the broker lost the task
    Delivery.objects.update(claimed_at=timezone.now() - timedelta(seconds=settings.MESSAGING_STUCK_AFTER_SECONDS + 1))
    assert deliveries_sweep() == 3
    [(_, (batch,))] = enqueued
    assert deliveries_send(batch) == 3
    assert len(push_service.received) == 3
