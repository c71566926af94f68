"""Each campaign kind end to end, with the clock moved forward by time-machine."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from accounts.models import Customer
from accounts.services import events_ingest
from campaigns import tasks
from campaigns.models import CampaignEntry, CampaignStatus, EntryStatus, Segment, SegmentRule, Variant
from campaigns.services import (
    InvalidTransition,
    NotReady,
    campaign_launch,
    campaign_pause,
    campaign_resume,
    campaign_stop,
)
from messaging.models import Delivery, DeliveryStatus

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _event(customer, name, at, **props):
    result = events_ingest(events=[{"external_id": customer.external_id, "name": name, "properties": props,
                                    "occurred_at": at, "idempotency_key": f"{name}-{at.isoformat()}"}])
    tasks.events_evaluate(result.ids)  # what the EVENT_CONSUMERS task does


def _deliveries(campaign, **filters):
    return Delivery.objects.filter(campaign_id=campaign.pk, **filters)


@pytest.fixture
def crowd(make_customer):
    return [make_customer(external_id=f"p{i}", timezone="Europe/Amsterdam", locale="nl" if i % 2 else "de")
            for i in range(40)]


# --- broadcast ------------------------------------------------------------------------------------------

@time_machine.travel(T0, tick=False)
def test_broadcast_to_a_segment_plans_one_delivery_each_even_when_run_twice(crowd, campaign, enqueued):
    segment = Segment.objects.create(name="Dutch")
    SegmentRule.objects.create(segment=segment, kind="profile", field="locale", value="nl")
    c = campaign(segment=segment)
    campaign_launch(campaign_id=c.pk)
    assert enqueued[-1] == ("campaigns.tasks.broadcast_fanout", (c.pk,))
    assert tasks.broadcast_fanout(c.pk) == 20
    assert tasks.broadcast_fanout(c.pk) == 0  # a rerun finds everyone entered and adds nothing
    assert _deliveries(c).count() == 20
    assert set(_deliveries(c).values_list("customer__locale", flat=True)) == {"nl"}
    assert set(_deliveries(c).values_list("status", flat=True)) == {DeliveryStatus.QUEUED}
    c.refresh_from_db()
    assert c.fanout_done_at is not None


@time_machine.travel(T0, tick=False)
def test_control_group_never_receives_and_variants_are_deterministic(crowd, campaign, template):
    c = campaign(control_percent=25)
    a = Variant.objects.create(campaign=c, name="A")
    b = Variant.objects.create(campaign=c, name="B", templates={"1": template("offer-b").key})
    campaign_launch(campaign_id=c.pk)
    tasks.broadcast_fanout(c.pk)
    control = set(CampaignEntry.objects.filter(campaign=c, in_control=True).values_list("customer_id", flat=True))
    assert 3 <= len(control) <= 17
    assert not _deliveries(c, customer_id__in=control).exists()
    assert _deliveries(c).count() == 40 - len(control)
    for d in _deliveries(c):
        entry = CampaignEntry.objects.get(campaign=c, customer_id=d.customer_id)
        assert d.variant_id == entry.variant_id
        assert d.template.key == ("offer-b" if d.variant_id == b.pk else "offer")
    assert {a.pk, b.pk} == set(_deliveries(c).values_list("variant_id", flat=True))


def test_broadcast_at_local_time_waits_for_each_customers_clock(make_customer, campaign):
    tokyo = make_customer(timezone="Asia/Tokyo")
    ny = make_customer(timezone="America/New_York")
    c = campaign(local_send_time=time(10, 0))
    with time_machine.travel(T0, tick=False):  # 19:00 in Tokyo, 05:00 in New York
        campaign_launch(campaign_id=c.pk)
        tasks.broadcast_fanout(c.pk)
        assert not _deliveries(c).exists()
    with time_machine.travel(datetime(2026, 11, 2, 15, 0, tzinfo=UTC), tick=False):  # 10:00 in New York
        tasks.entries_advance()
        assert list(_deliveries(c).values_list("customer_id", flat=True)) == [ny.pk]
    with time_machine.travel(datetime(2026, 11, 3, 1, 0, tzinfo=UTC), tick=False):  # 10:00 in Tokyo
        tasks.entries_advance()
        assert set(_deliveries(c).values_list("customer_id", flat=True)) == {ny.pk, tokyo.pk}


# --- triggered ------------------------------------------------------------------------------------------

def _cart_campaign(campaign, **fields):
    return campaign(kind="triggered", trigger_event="cart_abandoned",
                    trigger_filters=[{"key": "cart_value", "op": "gt", "value": 100}],
                    exception_events=["order_placed"], **fields)


def test_trigger_with_delay_and_property_filter(make_customer, campaign):
    ann, bob = make_customer(), make_customer()
    c = _cart_campaign(campaign, steps=[{"delay_minutes": 120}])
    campaign_launch(campaign_id=c.pk)
    with time_machine.travel(T0, tick=False):
        _event(ann, "cart_abandoned", T0, cart_value=142)
        _event(bob, "cart_abandoned", T0, cart_value=40)  # filtered out
        tasks.entries_advance()
        assert not _deliveries(c).exists()
    with time_machine.travel(T0 + timedelta(minutes=119), tick=False):
        tasks.entries_advance()
        assert not _deliveries(c).exists()
    with time_machine.travel(T0 + timedelta(minutes=121), tick=False):
        tasks.entries_advance()
    (d,) = _deliveries(c)
    assert d.customer_id == ann.pk
    assert d.data["event"] == {"name": "cart_abandoned", "cart_value": 142}
    assert not CampaignEntry.objects.filter(customer=bob).exists()


def test_exception_event_cancels_what_is_pending(make_customer, campaign):
    ann = make_customer()
    c = _cart_campaign(campaign, steps=[{"delay_minutes": 30}, {"delay_minutes": 60 * 24}])
    campaign_launch(campaign_id=c.pk)
    with time_machine.travel(T0, tick=False):
        _event(ann, "cart_abandoned", T0, cart_value=500)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        tasks.entries_advance()
        assert _deliveries(c).count() == 1
        _event(ann, "order_placed", T0 + timedelta(minutes=31))
    entry = CampaignEntry.objects.get(campaign=c, customer=ann)
    assert entry.status == EntryStatus.CANCELLED
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        tasks.entries_advance()
    assert _deliveries(c).count() == 1  # the SMS step never came


def test_exception_cancels_a_scheduled_delivery(make_customer, campaign):
    ann = make_customer(timezone="Asia/Tokyo")
    c = _cart_campaign(campaign, window_start=time(9), window_end=time(21))
    campaign_launch(campaign_id=c.pk)
    night = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo: waits for 09:00
    with time_machine.travel(night, tick=False):
        _event(ann, "cart_abandoned", night, cart_value=500)
        (d,) = _deliveries(c)
        assert d.status == DeliveryStatus.SCHEDULED
        assert d.scheduled_at == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
        _event(ann, "order_placed", night + timedelta(minutes=5))
    d.refresh_from_db()
    assert d.status == DeliveryStatus.CANCELLED


def test_zero_delay_trigger_is_queued_at_once(make_customer, campaign, enqueued):
    ann = make_customer()
    c = _cart_campaign(campaign)
    campaign_launch(campaign_id=c.pk)
    _event(ann, "cart_abandoned", datetime.now(UTC), cart_value=101)
    (d,) = _deliveries(c)
    assert d.status == DeliveryStatus.QUEUED
    assert any(func == "messaging.tasks.deliveries_send" and d.pk in args[0] for func, args in enqueued)


def test_once_ever_versus_again_after_n_days(make_customer, campaign):
    ann = make_customer()
    once = _cart_campaign(campaign, name="once")
    weekly = _cart_campaign(campaign, name="weekly", reentry_days=7)
    for c in (once, weekly):
        campaign_launch(campaign_id=c.pk)
    for day in (0, 3, 8):
        at = T0 + timedelta(days=day)
        with time_machine.travel(at, tick=False):
            _event(ann, "cart_abandoned", at, cart_value=200)
    assert CampaignEntry.objects.filter(campaign=once).count() == 1
    assert CampaignEntry.objects.filter(campaign=weekly).count() == 2  # day 0 and day 8, not day 3
    assert _deliveries(weekly).count() == 2


def test_trigger_outside_start_and_end_dates_is_ignored(make_customer, campaign):
    ann = make_customer()
    c = _cart_campaign(campaign, starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=2))
    campaign_launch(campaign_id=c.pk)
    for day in (0, 3):
        at = T0 + timedelta(days=day)
        with time_machine.travel(at, tick=False):
            _event(ann, "cart_abandoned", at, cart_value=200)
    assert not CampaignEntry.objects.filter(campaign=c).exists()


def test_campaign_frequency_cap(make_customer, campaign):
    ann = make_customer()
    c = _cart_campaign(campaign, reentry_days=0, cap_count=2, cap_days=7)
    campaign_launch(campaign_id=c.pk)
    for hour in range(4):
        at = T0 + timedelta(hours=hour)
        with time_machine.travel(at, tick=False):
            _event(ann, "cart_abandoned", at, cart_value=200)
    assert _deliveries(c).count() == 2


# --- steps with conditions ------------------------------------------------------------------------------

def test_second_step_only_for_those_who_did_not_open(crowd, campaign):
    c = campaign(steps=[{}, {"delay_minutes": 3 * 24 * 60, "condition": "not_opened",
                             "channel_strategy": "fixed", "channels": ["web_push"]}])
    with time_machine.travel(T0, tick=False):
        campaign_launch(campaign_id=c.pk)
        tasks.broadcast_fanout(c.pk)
    first = list(_deliveries(c).order_by("customer_id"))
    opened = {d.customer_id for d in first[:15]}
    Delivery.objects.filter(pk__in=[d.pk for d in first]).update(status=DeliveryStatus.SENT, sent_at=T0)
    Delivery.objects.filter(pk__in=[d.pk for d in first[:15]]).update(opened_at=T0 + timedelta(hours=1))
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        tasks.entries_advance()
        assert _deliveries(c).count() == 40
    with time_machine.travel(T0 + timedelta(days=3, minutes=1), tick=False):
        tasks.entries_advance()
    second = _deliveries(c, step_id=c.steps.get(position=2).pk)
    assert second.count() == 25
    assert not opened & set(second.values_list("customer_id", flat=True))
    assert all(d.channel_order == ["web_push"] for d in second)
    assert CampaignEntry.objects.filter(campaign=c, status=EntryStatus.COMPLETED).count() == 40


def test_best_channel_puts_the_most_engaging_channel_first(make_customer, campaign, template):
    ann, bob = make_customer(), make_customer()
    for i, (channel, opened) in enumerate([("sms", True), ("sms", True), ("email", False), ("web_push", True),
                                           ("web_push", False), ("web_push", False)]):
        Delivery.objects.create(customer=ann, topic=template().topic, channel=channel, status=DeliveryStatus.SENT,
                                sent_at=T0 - timedelta(days=5), opened_at=T0 if opened else None,
                                dedupe_key=f"history-{i}")
    c = campaign(steps=[{"channel_strategy": "best", "channels": ["web_push", "email", "sms"]}])
    with time_machine.travel(T0, tick=False):
        campaign_launch(campaign_id=c.pk)
        tasks.broadcast_fanout(c.pk)
    assert _deliveries(c).get(customer=ann).channel_order == ["sms", "web_push", "email"]
    assert _deliveries(c).get(customer=bob).channel_order == ["web_push", "email", "sms"]


# --- conversions ----------------------------------------------------------------------------------------

def test_conversions_inside_the_window_count_for_treated_and_control(crowd, campaign):
    c = campaign(control_percent=30, goal_event="order_placed", attribution_days=3)
    with time_machine.travel(T0, tick=False):
        campaign_launch(campaign_id=c.pk)
        tasks.broadcast_fanout(c.pk)
    Delivery.objects.filter(campaign_id=c.pk).update(status=DeliveryStatus.SENT, sent_at=T0)
    entries = {e.customer_id: e for e in CampaignEntry.objects.filter(campaign=c)}
    treated = next(cid for cid, e in entries.items() if not e.in_control)
    control = next(cid for cid, e in entries.items() if e.in_control)
    late = next(cid for cid, e in entries.items() if not e.in_control and cid != treated)
    by_id = {p.pk: p for p in crowd}
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        _event(by_id[treated], "order_placed", T0 + timedelta(days=1))
        _event(by_id[control], "order_placed", T0 + timedelta(days=2))
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        _event(by_id[late], "order_placed", T0 + timedelta(days=5))
    assert _deliveries(c, converted_at__isnull=False).get().customer_id == treated
    converted = set(CampaignEntry.objects.filter(campaign=c, converted_at__isnull=False)
                    .values_list("customer_id", flat=True))
    assert converted == {treated, control}


# --- lifecycle ------------------------------------------------------------------------------------------

def test_birthday_campaign_runs_in_each_customers_local_morning(make_customer, campaign):
    from datetime import date

    tokyo = make_customer(timezone="Asia/Tokyo", birthday=date(1990, 11, 3))
    amsterdam = make_customer(timezone="Europe/Amsterdam", birthday=date(1985, 11, 3))
    make_customer(timezone="Europe/Amsterdam", birthday=date(1985, 11, 4))
    c = campaign(kind="lifecycle", lifecycle="birthday", local_hour=9)
    campaign_launch(campaign_id=c.pk)
    with time_machine.travel(datetime(2026, 11, 3, 0, 30, tzinfo=UTC), tick=False):  # 09:30 in Tokyo
        tasks.lifecycle_run()
        tasks.lifecycle_run()  # the hourly schedule running twice enters nobody twice
    assert list(_deliveries(c).values_list("customer_id", flat=True)) == [tokyo.pk]
    with time_machine.travel(datetime(2026, 11, 3, 8, 15, tzinfo=UTC), tick=False):  # 09:15 in Amsterdam
        tasks.lifecycle_run()
    assert set(_deliveries(c).values_list("customer_id", flat=True)) == {tokyo.pk, amsterdam.pk}


def test_inactive_customers_are_reached_once_per_stretch(make_customer, campaign):
    idle = make_customer(timezone="UTC")
    active = make_customer(timezone="UTC")
    Customer.objects.filter(pk=idle.pk).update(last_seen_at=T0 - timedelta(days=40))
    Customer.objects.filter(pk=active.pk).update(last_seen_at=T0 - timedelta(days=2))
    c = campaign(kind="lifecycle", lifecycle="inactive", inactive_days=30, local_hour=10)
    campaign_launch(campaign_id=c.pk)
    for day in range(3):
        with time_machine.travel(T0 + timedelta(days=day), tick=False):
            tasks.lifecycle_run()
    assert list(_deliveries(c).values_list("customer_id", flat=True)) == [idle.pk]


# --- controls -------------------------------------------------------------------------------------------

def test_launch_pause_resume_stop(make_customer, campaign):
    make_customer()
    c = _cart_campaign(campaign)
    campaign_launch(campaign_id=c.pk)
    with pytest.raises(InvalidTransition):
        campaign_launch(campaign_id=c.pk)
    campaign_pause(campaign_id=c.pk)
    campaign_resume(campaign_id=c.pk)
    campaign_stop(campaign_id=c.pk)
    c.refresh_from_db()
    assert c.status == CampaignStatus.STOPPED
    with pytest.raises(InvalidTransition):
        campaign_resume(campaign_id=c.pk)


def test_a_paused_campaign_plans_nothing_until_resumed(make_customer, campaign):
    ann = make_customer()
    c = _cart_campaign(campaign, steps=[{"delay_minutes": 10}])
    campaign_launch(campaign_id=c.pk)
    with time_machine.travel(T0, tick=False):
        _event(ann, "cart_abandoned", T0, cart_value=500)
        campaign_pause(campaign_id=c.pk)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        tasks.entries_advance()
        assert not _deliveries(c).exists()
        campaign_resume(campaign_id=c.pk)
        tasks.entries_advance()
    assert _deliveries(c).count() == 1


def test_stop_cancels_scheduled_deliveries(make_customer, campaign):
    ann = make_customer(timezone="Asia/Tokyo")
    c = _cart_campaign(campaign, window_start=time(9), window_end=time(21))
    campaign_launch(campaign_id=c.pk)
    night = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        _event(ann, "cart_abandoned", night, cart_value=500)
    campaign_stop(campaign_id=c.pk)
    assert _deliveries(c).get().status == DeliveryStatus.CANCELLED


def test_a_campaign_without_steps_cannot_launch(campaign):
    from campaigns.models import Campaign

    c = Campaign.objects.create(name="empty", kind="triggered")
    with pytest.raises(NotReady, match="Add at least one step.*Name the trigger event"):
        campaign_launch(campaign_id=c.pk)


def test_a_click_on_a_tracked_link_marks_its_delivery_clicked(make_customer, template):
    ann = make_customer()
    d = Delivery.objects.create(customer=ann, topic=template().topic, channel="email", status="sent",
                                sent_at=T0, dedupe_key="clicked-1")
    _event(ann, "link_clicked", T0 + timedelta(hours=1), link="spring", delivery_id=d.pk)
    d.refresh_from_db()
    assert d.clicked_at == T0 + timedelta(hours=1)
