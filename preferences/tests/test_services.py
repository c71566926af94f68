import io

from preferences.demo import load_demo
from preferences.models import Channel, ConsentRecord, Source, Subscription, Topic
from preferences.selectors import customers_opted_in, preference_grid
from preferences.services import ConsentMeta, preferences_update


def test_defaults_transactional_on_marketing_off(make_customer, topics):
    customer = make_customer()
    grid = {row.topic.key: {c.channel: c.opted_in for c in row.cells if c.available}
            for row in preference_grid(customer.pk)}
    assert grid["order-updates"] == {"web_push": True, "email": True, "sms": False, "inbox": True}
    for key in ("offers", "tips", "surveys"):
        assert not any(grid[key].values())


def test_marketing_topic_never_on_by_default_even_if_misconfigured(make_customer, topics):
    Topic.objects.filter(key="tips").update(default_channels=["email"])
    tips = Topic.objects.get(key="tips")
    assert not tips.default_for(Channel.EMAIL)
    assert not customers_opted_in(tips, Channel.EMAIL).filter(pk=make_customer().pk).exists()


def test_each_change_is_logged_once(make_customer, topics):
    customer = make_customer()
    meta = ConsentMeta(source=Source.API)
    choice = {(topics["tips"].pk, Channel.EMAIL): True}
    assert preferences_update(customer_id=customer.pk, meta=meta, choices=choice).changed == 1
    assert preferences_update(customer_id=customer.pk, meta=meta, choices=choice).changed == 0
    preferences_update(customer_id=customer.pk, meta=meta, choices={(topics["tips"].pk, Channel.EMAIL): False})
    assert [r.granted for r in ConsentRecord.objects.order_by("id")] == [True, False]
    assert Subscription.objects.count() == 1


def test_demo_is_idempotent_and_prints_links(make_customer, db):
    make_customer(external_id="demo-0001")
    lines = load_demo("http://hub.test")
    assert lines[0].startswith("Preference center (demo-0001): http://hub.test/preferences/")
    counts = (Topic.objects.count(), Subscription.objects.count())
    load_demo("http://hub.test")
    assert (Topic.objects.count(), Subscription.objects.count()) == counts == (5, 2)
    assert Topic.objects.get(key="offers").name_in("pl") == "Oferty"


def test_housekeeping_prunes_old_ledger_rows(make_customer, topics):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from preferences.models import MarketingSend
    from preferences.services import marketing_send_record

    customer = make_customer()
    for days in (1, 30):
        marketing_send_record(customer_id=customer.pk, topic_id=topics["tips"].pk, channel=Channel.EMAIL,
                              sent_at=timezone.now() - timedelta(days=days))
    out = io.StringIO()
    call_command("preferences_housekeeping", stdout=out)
    assert MarketingSend.objects.count() == 1 and "ledger rows deleted: 1" in out.getvalue()
