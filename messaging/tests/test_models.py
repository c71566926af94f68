"""The delivery contract the campaigns app builds on: planning, dedupe, cancelling, engagement marks."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.models import TRANSITIONS, Delivery, DeliveryEvent, DeliveryStatus
from messaging.services import (
    SEND_TASK,
    DeliveryPlan,
    InvalidTransition,
    deliveries_cancel,
    deliveries_plan,
    deliveries_transition,
    delivery_mark_clicked,
    delivery_mark_converted,
    delivery_mark_opened,
)


def _plans(customers, topic, *, key="c1", later=False, campaign_id=7):
    at = timezone.now() + timedelta(hours=1) if later else None
    return [DeliveryPlan(customer_id=c.pk, topic_id=topic.pk, dedupe_key=f"{key}:{c.pk}", scheduled_at=at,
                         campaign_id=campaign_id, step_id=1, variant_id=2, channel_order=["email"]) for c in customers]


@pytest.fixture
def customers(make_customer):
    return [make_customer() for _ in range(5)]


def test_planning_twice_creates_each_delivery_once(customers, topics, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_plan(plans=_plans(customers, topics["offers"])) == 5
        assert deliveries_plan(plans=iter(_plans(customers, topics["offers"]))) == 0
    assert Delivery.objects.count() == 5


def test_due_deliveries_are_queued_and_handed_on_in_batches(customers, topics, enqueued, settings,
                                                            django_capture_on_commit_callbacks):
    settings.MESSAGING_SEND_BATCH = 2
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_plan(plans=_plans(customers, topics["offers"]))
    assert [f for f, _ in enqueued] == [SEND_TASK] * 3
    assert sorted(i for _, (ids,) in enqueued for i in ids) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}


def test_later_deliveries_wait_scheduled(customers, topics, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_plan(plans=_plans(customers, topics["offers"], later=True))
    assert enqueued == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SCHEDULED}


def test_planning_consumes_an_iterator_in_chunks(make_customer, topics, enqueued, settings):
    settings.MESSAGING_PLAN_CHUNK = 3
    customers = [make_customer() for _ in range(7)]
    assert deliveries_plan(plans=(p for p in _plans(customers, topics["tips"], later=True))) == 7


def test_the_database_refuses_a_second_delivery_with_the_same_key(customers, topics):
    Delivery.objects.create(customer=customers[0], topic=topics["offers"], dedupe_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(customer=customers[1], topic=topics["offers"], dedupe_key="k")


def test_cancel_withdraws_only_scheduled_deliveries_of_that_campaign(customers, topics, enqueued):
    deliveries_plan(plans=_plans(customers[:2], topics["offers"], later=True))
    deliveries_plan(plans=_plans(customers[:1], topics["offers"], key="other", later=True, campaign_id=8))
    sent = Delivery.objects.create(customer=customers[0], topic=topics["offers"], dedupe_key="s", campaign_id=7,
                                   status=DeliveryStatus.SENT)
    assert deliveries_cancel(customer_id=customers[0].pk, campaign_id=7) == 1
    assert deliveries_cancel(customer_id=customers[0].pk, campaign_id=7) == 0
    statuses = dict(Delivery.objects.filter(customer=customers[0]).values_list("dedupe_key", "status"))
    assert statuses == {f"c1:{customers[0].pk}": "cancelled", f"other:{customers[0].pk}": "scheduled", "s": "sent"}
    sent.refresh_from_db()
    assert DeliveryEvent.objects.filter(status="cancelled").count() == 1


def test_transitions_outside_the_table_are_refused(customers, topics):
    d = Delivery.objects.create(customer=customers[0], topic=topics["offers"], dedupe_key="x",
                                status=DeliveryStatus.SENT)
    with pytest.raises(InvalidTransition):
        deliveries_transition(delivery_ids=[d.pk], source=DeliveryStatus.SENT, target=DeliveryStatus.QUEUED)
    assert all(status in DeliveryStatus.values for targets in TRANSITIONS.values() for status in targets)


def test_engagement_marks_keep_the_first_time(customers, topics):
    d = Delivery.objects.create(customer=customers[0], topic=topics["offers"], dedupe_key="m")
    first, later = timezone.now() - timedelta(hours=2), timezone.now()
    assert delivery_mark_opened(delivery_id=d.pk, at=first)
    assert not delivery_mark_opened(delivery_id=d.pk, at=later)
    assert delivery_mark_clicked(delivery_id=d.pk, at=later)
    assert delivery_mark_converted(delivery_id=d.pk, at=later)
    assert not delivery_mark_converted(delivery_id=d.pk, at=first)
    d.refresh_from_db()
    assert (d.opened_at, d.clicked_at, d.converted_at) == (first, later, later)
