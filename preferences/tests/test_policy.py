from datetime import UTC, datetime, time, timedelta

import pytest

from preferences.models import Channel, Frequency, Source
from preferences.policy import Decision, Reason, decide
from preferences.services import ConsentMeta, QuietHours, marketing_send_record, preferences_update

# Wednesday 2026-11-25 12:00 UTC = 13:00 in Amsterdam: outside the default quiet hours (21:00-09:00).
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
META = ConsentMeta(source=Source.API)


def opt_in(customer, topic, channel, value=True):  # type: ignore[no-untyped-def]
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.IMPORT),
                       choices={(topic.pk, channel): value})


@pytest.fixture
def customer(make_customer):  # type: ignore[no-untyped-def]
    return make_customer(phone="+31612345678", timezone="Europe/Amsterdam")


def test_transactional_topic_is_allowed_by_default_on_its_default_channels(customer, topics):
    assert decide(customer=customer, topic=topics["order-updates"], channel=Channel.EMAIL, now=NOON) == Decision(True)


def test_transactional_topic_off_by_default_on_other_channels(customer, topics):
    decision = decide(customer=customer, topic=topics["order-updates"], channel=Channel.SMS, now=NOON)
    assert decision == Decision(False, Reason.NO_CONSENT)


def test_marketing_topic_needs_explicit_opt_in(customer, topics):
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    assert decision == Decision(False, Reason.NO_CONSENT)
    opt_in(customer, topics["tips"], Channel.EMAIL)
    assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON).allowed


def test_opt_out_of_transactional_default_is_honoured(customer, topics):
    opt_in(customer, topics["order-updates"], Channel.EMAIL, False)
    decision = decide(customer=customer, topic=topics["order-updates"], channel=Channel.EMAIL, now=NOON)
    assert decision.reason == Reason.NO_CONSENT


def test_topic_not_on_channel(customer, topics):
    decision = decide(customer=customer, topic=topics["surveys"], channel=Channel.SMS, now=NOON)
    assert decision == Decision(False, Reason.TOPIC_NOT_ON_CHANNEL)


def test_global_unsubscribe_beats_topic_opt_in(customer, topics):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=META, no_marketing_channels=[Channel.EMAIL])
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    assert decision == Decision(False, Reason.GLOBAL_UNSUBSCRIBE)
    # it covers marketing only: order updates still arrive by email
    assert decide(customer=customer, topic=topics["order-updates"], channel=Channel.EMAIL, now=NOON).allowed


@pytest.mark.parametrize("channel, field", [(Channel.EMAIL, "email"), (Channel.SMS, "phone")])
def test_unreachable_without_address(make_customer, topics, channel, field):
    customer = make_customer(**{field: ""})
    decision = decide(customer=customer, topic=topics["delivery-pickup"], channel=channel, now=NOON)
    assert decision == Decision(False, Reason.UNREACHABLE)


def test_inbox_always_reachable_and_web_push_as_messaging_says(make_customer, topics):
    customer = make_customer(email="", phone="")
    topic = topics["order-updates"]
    assert decide(customer=customer, topic=topic, channel=Channel.INBOX, now=NOON).allowed
    assert decide(customer=customer, topic=topic, channel=Channel.WEB_PUSH, now=NOON).allowed
    decision = decide(customer=customer, topic=topic, channel=Channel.WEB_PUSH, now=NOON, reachable=False)
    assert decision.reason == Reason.UNREACHABLE


def test_quiet_hours_defer_marketing_until_local_end(customer, topics):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    late = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam (CET, UTC+1)
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=late)
    assert decision == Decision(False, Reason.QUIET_HOURS, datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    early = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 07:00 local, after midnight
    assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=early).next_allowed_at == \
        datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_quiet_hours_never_hold_back_transactional(customer, topics):
    late = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
    assert decide(customer=customer, topic=topics["order-updates"], channel=Channel.EMAIL, now=late).allowed


def test_quiet_hours_end_follows_dst_change(customer, topics):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    # Night of 28-29 March 2026: Amsterdam moves from UTC+1 to UTC+2 at 02:00 local.
    before_switch = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # 23:00 CET
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=before_switch)
    assert decision.next_allowed_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_quiet_hours_in_customer_timezone_and_disabled(make_customer, topics):
    customer = make_customer(timezone="Asia/Tokyo")
    opt_in(customer, topics["tips"], Channel.EMAIL)
    # 12:00 UTC is 21:00 in Tokyo: quiet
    assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON).reason == \
        Reason.QUIET_HOURS
    preferences_update(customer_id=customer.pk, meta=META, quiet_hours=QuietHours(False, time(21), time(9)))
    assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON).allowed


def test_daily_frequency_cap_with_next_allowed_time(customer, topics):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=META, frequency=Frequency.DAILY)
    sent = NOON - timedelta(hours=3)
    marketing_send_record(customer_id=customer.pk, topic_id=topics["offers"].pk, channel=Channel.WEB_PUSH,
                          sent_at=sent)
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    assert decision == Decision(False, Reason.FREQUENCY_CAP, sent + timedelta(days=1))
    assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL,
                  now=sent + timedelta(days=1, minutes=1)).allowed


def test_weekly_cap_counts_three_sends(customer, topics):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=META, frequency=Frequency.WEEKLY)
    for days in (6, 4, 2):
        marketing_send_record(customer_id=customer.pk, topic_id=topics["tips"].pk, channel=Channel.EMAIL,
                              sent_at=NOON - timedelta(days=days))
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    assert decision == Decision(False, Reason.FREQUENCY_CAP, NOON + timedelta(days=1))


def test_global_marketing_cap_from_settings(customer, topics, settings):
    settings.MARKETING_MAX_PER_DAY = 2
    opt_in(customer, topics["tips"], Channel.EMAIL)
    for hours in (20, 1):
        marketing_send_record(customer_id=customer.pk, topic_id=topics["tips"].pk, channel=Channel.EMAIL,
                              sent_at=NOON - timedelta(hours=hours))
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    assert decision == Decision(False, Reason.FREQUENCY_CAP, NOON + timedelta(hours=4))  # 17:00 local
    settings.MARKETING_MAX_PER_DAY = 0
    assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON).allowed


def test_cap_ending_at_night_waits_for_quiet_hours_end(customer, topics):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=META, frequency=Frequency.DAILY)
    sent = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # 22:00 local (a send deferred by messaging, say)
    marketing_send_record(customer_id=customer.pk, topic_id=topics["tips"].pk, channel=Channel.EMAIL, sent_at=sent)
    decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    # cap ends 2026-11-25 21:00 UTC = 22:00 local, inside quiet hours: next chance 09:00 local next day
    assert decision == Decision(False, Reason.FREQUENCY_CAP, datetime(2026, 11, 26, 8, 0, tzinfo=UTC))


def test_marketing_decision_takes_at_most_three_queries(customer, topics, django_assert_max_num_queries):
    opt_in(customer, topics["tips"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=META, frequency=Frequency.WEEKLY)
    marketing_send_record(customer_id=customer.pk, topic_id=topics["tips"].pk, channel=Channel.EMAIL,
                          sent_at=NOON - timedelta(days=1))
    with django_assert_max_num_queries(3):
        assert decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON).allowed


def test_transactional_decision_takes_one_query(customer, topics, django_assert_num_queries):
    with django_assert_num_queries(1):
        decide(customer=customer, topic=topics["order-updates"], channel=Channel.EMAIL, now=NOON)


def test_marketing_decision_with_caps_and_settings_is_one_query(customer, topics, settings,
                                                                 django_assert_num_queries):
    settings.MARKETING_MAX_PER_DAY = 1
    opt_in(customer, topics["tips"], Channel.EMAIL)
    preferences_update(customer_id=customer.pk, meta=META, frequency=Frequency.DAILY)
    marketing_send_record(customer_id=customer.pk, topic_id=topics["tips"].pk, channel=Channel.EMAIL,
                          sent_at=NOON - timedelta(hours=2))
    with django_assert_num_queries(1):
        decision = decide(customer=customer, topic=topics["tips"], channel=Channel.EMAIL, now=NOON)
    assert decision.reason == Reason.FREQUENCY_CAP


def test_topic_not_on_channel_needs_no_query(customer, topics, django_assert_num_queries):
    with django_assert_num_queries(0):
        decide(customer=customer, topic=topics["surveys"], channel=Channel.SMS, now=NOON)
