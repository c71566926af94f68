"""Each segment operator, checked against the rows the SQL returns and against a plain-Python reading."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Customer, Event
from campaigns.models import Match, Segment, SegmentGroup, SegmentRule
from campaigns.segments import rule_validate, segment_customers

NOW = timezone.now()


@pytest.fixture
def people(make_customer):
    rows = [
        dict(external_id="ann", email="ann@shop.nl", locale="nl", timezone="Europe/Amsterdam",
             birthday=date(1990, 5, 1), attributes={"tier": "gold", "spent": 420, "since": "2021-03-01"}),
        dict(external_id="bob", email="bob@mail.de", locale="de", timezone="Europe/Berlin",
             birthday=None, attributes={"tier": "silver", "spent": 80}),
        dict(external_id="cat", email="", phone="+48512345678", locale="pl", timezone="Europe/Warsaw",
             birthday=date(1975, 1, 9), attributes={"tier": "gold", "spent": 100.5, "since": "2024-07-01"}),
        dict(external_id="dan", email="dan@shop.nl", locale="en", timezone="Asia/Tokyo",
             birthday=None, attributes={}),
    ]
    people = {r["external_id"]: make_customer(**r) for r in rows}
    Customer.objects.filter(external_id="dan").update(created_at=NOW - timedelta(days=40),
                                                       last_seen_at=NOW - timedelta(days=20))
    Customer.objects.filter(external_id="ann").update(last_seen_at=NOW - timedelta(days=1))

    def ev(who, name, days_ago, **props):
        Event.objects.create(customer=people[who], name=name, properties=props,
                             occurred_at=NOW - timedelta(days=days_ago), idempotency_key=f"{who}{name}{days_ago}")

    ev("ann", "cart_abandoned", 1, cart_value=142)
    ev("ann", "order_placed", 2, total=99)
    ev("bob", "cart_abandoned", 3, cart_value=40)
    ev("bob", "cart_abandoned", 5, cart_value=60)
    ev("bob", "cart_abandoned", 6, cart_value=70)
    ev("cat", "cart_abandoned", 45, cart_value=500)
    return people


def _ids(segment, rules=None):
    return set(segment_customers(segment, rules=rules, now=NOW).values_list("external_id", flat=True))


def _one(**rule):
    segment = Segment.objects.create(name=f"s{Segment.objects.count()}")
    SegmentRule.objects.create(segment=segment, **rule)
    return _ids(segment)


@pytest.mark.parametrize(("rule", "expected"), [
    (dict(field="locale", operator="eq", value="nl"), {"ann"}),
    (dict(field="locale", operator="ne", value="nl"), {"bob", "cat", "dan"}),
    (dict(field="email", operator="contains", value="SHOP.nl"), {"ann", "dan"}),
    (dict(field="timezone", operator="in", value="Europe/Berlin, Asia/Tokyo"), {"bob", "dan"}),
    (dict(field="email", operator="is_set"), {"ann", "bob", "dan"}),
    (dict(field="email", operator="is_not_set"), {"cat"}),
    (dict(field="phone", operator="is_set"), {"cat"}),
    (dict(field="birthday", operator="is_set"), {"ann", "cat"}),
    (dict(field="birthday", operator="is_not_set"), {"bob", "dan"}),
    (dict(field="birthday", operator="lt", value="1980-01-01", value_type="date"), {"cat"}),
    (dict(field="birthday", operator="gte", value="1980-01-01", value_type="date"), {"ann"}),
    (dict(field="created_at", operator="lt", value=str((NOW - timedelta(days=30)).date()), value_type="date"),
     {"dan"}),
])
def test_profile_operators(people, rule, expected):
    assert _one(kind="profile", **rule) == expected


@pytest.mark.parametrize(("rule", "expected"), [
    (dict(field="tier", operator="eq", value="gold"), {"ann", "cat"}),
    (dict(field="tier", operator="ne", value="gold"), {"bob", "dan"}),
    (dict(field="tier", operator="contains", value="ILV"), {"bob"}),
    (dict(field="tier", operator="in", value="silver,bronze"), {"bob"}),
    (dict(field="spent", operator="gt", value="100", value_type="number"), {"ann", "cat"}),
    (dict(field="spent", operator="gte", value="80", value_type="number"), {"ann", "bob", "cat"}),
    (dict(field="spent", operator="lt", value="100.5", value_type="number"), {"bob"}),
    (dict(field="spent", operator="lte", value="100.5", value_type="number"), {"bob", "cat"}),
    (dict(field="spent", operator="eq", value="80", value_type="number"), {"bob"}),
    (dict(field="since", operator="lt", value="2022-01-01", value_type="date"), {"ann"}),
    (dict(field="since", operator="is_set"), {"ann", "cat"}),
    (dict(field="since", operator="is_not_set"), {"bob", "dan"}),
])
def test_attribute_operators(people, rule, expected):
    assert _one(kind="attribute", **rule) == expected


@pytest.mark.parametrize(("rule", "expected"), [
    (dict(event_name="cart_abandoned"), {"ann", "bob", "cat"}),
    (dict(event_name="cart_abandoned", within_days=30), {"ann", "bob"}),
    (dict(event_name="cart_abandoned", within_days=30, negate=True), {"cat", "dan"}),
    (dict(event_name="cart_abandoned", event_filters=[{"key": "cart_value", "op": "gt", "value": 100}]),
     {"ann", "cat"}),
    (dict(event_name="cart_abandoned", within_days=7,
          event_filters=[{"key": "cart_value", "op": "gt", "value": 100}]), {"ann"}),
    (dict(event_name="cart_abandoned", min_count=3), {"bob"}),
    (dict(event_name="cart_abandoned", min_count=2, within_days=4), set()),
    (dict(event_name="cart_abandoned", min_count=3, negate=True), {"ann", "cat", "dan"}),
    (dict(event_name="order_placed", negate=True), {"bob", "cat", "dan"}),
])
def test_event_rules(people, rule, expected):
    assert _one(kind="event", **rule) == expected


def test_created_and_last_seen_within(people):
    assert _one(kind="created", within_days=30) == {"ann", "bob", "cat"}
    assert _one(kind="last_seen", within_days=7) == {"ann"}
    assert _one(kind="last_seen", within_days=7, negate=True) == {"bob", "cat", "dan"}


def test_all_any_and_a_nested_group_compile_to_one_query(people):
    segment = Segment.objects.create(name="gold carts", match=Match.ALL)
    SegmentRule.objects.create(segment=segment, kind="event", event_name="cart_abandoned")
    group = SegmentGroup.objects.create(segment=segment, name="valuable", match=Match.ANY)
    SegmentRule.objects.create(segment=segment, group=group, kind="attribute", field="tier", value="gold")
    SegmentRule.objects.create(segment=segment, group=group, kind="event", event_name="cart_abandoned",
                               min_count=3)
    segment.rules.select_related("group")  # rules load in the same query as below would not; count both
    with CaptureQueriesContext(connection) as ctx:
        count = segment_customers(segment, rules=list(segment.rules.select_related("group")), now=NOW).count()
    assert count == 3  # ann, cat (gold) and bob (3 carts)
    assert len(ctx.captured_queries) == 2  # load the rules, then one COUNT

    segment.match = Match.ANY
    segment.save()
    assert _ids(segment) == {"ann", "bob", "cat"}
    SegmentRule.objects.filter(segment=segment, group=None).update(negate=True)
    assert _ids(segment) == {"ann", "bob", "cat", "dan"}


def test_empty_segment_is_everyone(people):
    assert _ids(Segment.objects.create(name="all")) == {"ann", "bob", "cat", "dan"}


@pytest.mark.parametrize(("rule", "field"), [
    (dict(kind="profile", field="password"), "field"),
    (dict(kind="attribute", field="a-b; drop"), "field"),
    (dict(kind="event", event_name=""), "event_name"),
    (dict(kind="event", event_name="x", event_filters=[{"key": "v", "op": "like"}]), "event_filters"),
    (dict(kind="event", event_name="x", event_filters={"key": "v"}), "event_filters"),
    (dict(kind="created"), "within_days"),
    (dict(kind="profile", field="birthday", operator="lt", value="soon", value_type="date"), "value"),
    (dict(kind="attribute", field="spent", operator="gt", value="lots", value_type="number"), "value"),
])
def test_invalid_rules_name_the_field(rule, field):
    with pytest.raises(ValidationError) as exc:
        rule_validate(SegmentRule(**rule))
    assert field in exc.value.message_dict


def test_clicked_link_received_opened_reachable_and_opted_in(people):
    from accounts.services import event_ingest_one
    from campaigns.models import Campaign
    from messaging.models import Delivery, PushSubscription
    from preferences.demo import topics_ensure
    from preferences.models import Subscription

    topics = topics_ensure()
    ann, bob, cat, dan = (people[k] for k in ("ann", "bob", "cat", "dan"))
    event_ingest_one(external_id="ann", name="link_clicked", properties={"link": "spring"}, occurred_at=NOW)
    event_ingest_one(external_id="bob", name="link_clicked", properties={"link": "autumn"}, occurred_at=NOW)
    news = Campaign.objects.create(name="newsletter")
    for who, opened in ((ann, True), (bob, False)):
        Delivery.objects.create(customer=who, topic=topics["offers"], channel="email", status="sent", sent_at=NOW,
                                opened_at=NOW if opened else None, campaign_id=news.pk, dedupe_key=f"n{who.pk}")
    PushSubscription.objects.create(customer=dan, endpoint="https://push.example/1", endpoint_hash="h1",
                                    p256dh="k", auth="a")
    Subscription.objects.create(customer=cat, topic=topics["offers"], channel="email", opted_in=True,
                                source="api")

    assert _one(kind="clicked_link", value="Spring") == {"ann"}
    assert _one(kind="clicked_link", value="spring", negate=True) == {"bob", "cat", "dan"}
    assert _one(kind="received", campaign=news) == {"ann", "bob"}
    assert _one(kind="opened", campaign=news) == {"ann"}
    assert _one(kind="not_opened", campaign=news) == {"bob"}
    assert _one(kind="reachable", field="sms") == {"cat"}
    assert _one(kind="reachable", field="email") == {"ann", "bob", "dan"}
    Customer.objects.filter(pk=bob.pk).update(email_bounced_at=NOW)
    assert _one(kind="reachable", field="email") == {"ann", "dan"}
    assert _one(kind="reachable", field="web_push") == {"dan"}
    assert _one(kind="opted_in", topic=topics["offers"], field="email") == {"cat"}
    order_updates_email = _one(kind="opted_in", topic=topics["order-updates"], field="email")
    assert order_updates_email == ({"ann", "bob", "cat", "dan"} if topics["order-updates"].default_for("email")
                                   else set())
