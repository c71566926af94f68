import json

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from accounts.roles import ADMIN, MARKETER
from campaigns.models import Segment, SegmentRule


@pytest.fixture
def segment(make_customer):
    make_customer(external_id="nl1", locale="nl")
    make_customer(external_id="nl2", locale="nl")
    make_customer(external_id="de1", locale="de")
    s = Segment.objects.create(name="Dutch")
    SegmentRule.objects.create(segment=s, kind="profile", field="locale", value="nl")
    return s


@pytest.mark.parametrize("role", [MARKETER, ADMIN])
def test_segment_pages_show_the_audience(client, segment, role):
    user = User.objects.create_user(username=role, password="x-123456789", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    assert client.get(reverse("admin:campaigns_segment_changelist")).status_code == 200
    page = client.get(reverse("admin:campaigns_segment_change", args=[segment.pk]))
    assert page.status_code == 200
    assert b"<strong>2</strong> customers match" in page.content
    assert client.get(reverse("admin:campaigns_segment_add")).status_code == 200


def test_live_preview_counts_unsaved_rules(admin_client, segment):
    url = reverse("admin:campaigns_segment_preview")
    body = {"match": "any", "rules": [{"kind": "profile", "field": "locale", "operator": "eq", "value": "de",
                                       "value_type": "text", "min_count": "1"}]}
    r = admin_client.post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 200
    assert "<strong>1</strong> customers match" in r.json()["html"]


def test_live_preview_explains_a_bad_rule(admin_client, segment):
    url = reverse("admin:campaigns_segment_preview")
    body = {"rules": [{"kind": "profile", "field": "password", "value": "x"}]}
    r = admin_client.post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 400
    assert "profile field" in r.json()["error"]
    assert admin_client.post(url, "{not json", content_type="application/json").status_code == 400


def test_saving_an_invalid_rule_shows_the_error(admin_client):
    data = {
        "name": "bad", "description": "", "match": "all",
        "groups-TOTAL_FORMS": "0", "groups-INITIAL_FORMS": "0",
        "rules-TOTAL_FORMS": "1", "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "event", "rules-0-event_name": "", "rules-0-operator": "eq", "rules-0-value_type": "text",
        "rules-0-min_count": "1", "rules-0-position": "0", "rules-0-event_filters": "[]",
    }
    r = admin_client.post(reverse("admin:campaigns_segment_add"), data)
    assert r.status_code == 200
    assert b"Name the event" in r.content
    assert not Segment.objects.filter(name="bad").exists()


@pytest.fixture
def staff_client(client):
    def login(role):
        user = User.objects.create_user(username=f"u-{role}", password="x-123456789", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client
    return login


@pytest.mark.parametrize("role", [MARKETER, ADMIN])
def test_campaign_pages_load_for_both_roles(staff_client, role, campaign, make_customer):
    make_customer()
    c = campaign()
    client = staff_client(role)
    for url in (reverse("admin:campaigns_campaign_changelist"), reverse("admin:campaigns_campaign_add"),
                reverse("admin:campaigns_campaign_change", args=[c.pk]),
                reverse("admin:campaigns_campaign_results", args=[c.pk])):
        assert client.get(url).status_code == 200, url


def test_launch_asks_for_confirmation_first(admin_client, campaign, make_customer):
    from campaigns.models import Campaign

    make_customer()
    c = campaign()
    url = reverse("admin:campaigns_campaign_changelist")
    page = admin_client.post(url, {"action": "launch", "_selected_action": [c.pk]})
    assert page.status_code == 200 and b"Yes, launch" in page.content
    assert Campaign.objects.get(pk=c.pk).status == "draft"
    admin_client.post(url, {"action": "launch", "_selected_action": [c.pk], "confirmed": "yes"})
    assert Campaign.objects.get(pk=c.pk).status == "running"
    r = admin_client.post(url, {"action": "launch", "_selected_action": [c.pk], "confirmed": "yes"}, follow=True)
    assert b"cannot become running" in r.content


def test_a_launched_campaign_is_locked(admin_client, campaign):
    from campaigns.models import Campaign
    from campaigns.services import campaign_launch

    c = campaign(kind="triggered", trigger_event="cart_abandoned")
    campaign_launch(campaign_id=c.pk)
    page = admin_client.get(reverse("admin:campaigns_campaign_change", args=[c.pk]))
    assert b'name="trigger_event"' not in page.content  # read-only now
    admin_client.post(reverse("admin:campaigns_campaign_change", args=[c.pk]), {"name": "renamed"})
    assert Campaign.objects.get(pk=c.pk).name == c.name


def test_results_page_shows_arms_and_the_chart(admin_client, campaign, make_customer):
    from datetime import UTC, datetime

    from campaigns.models import CampaignEntry
    from messaging.models import Delivery

    c = campaign(control_percent=10)
    customer = make_customer()
    CampaignEntry.objects.create(campaign=c, customer=customer, entry_key="once", entered_at=datetime.now(UTC))
    Delivery.objects.create(customer=customer, topic=c.steps.get().template.topic, status="sent",
                            sent_at=datetime.now(UTC), campaign_id=c.pk, step_id=c.steps.get().pk, dedupe_key="x")
    page = admin_client.get(reverse("admin:campaigns_campaign_results", args=[c.pk]))
    assert b"<svg" in page.content and b"Main" in page.content and b"two-proportion z-test" in page.content


def test_admin_index_shows_the_overview(staff_client, campaign, make_customer):
    from django.core.cache import cache

    from campaigns.services import campaign_launch

    cache.delete("campaigns:overview")

    make_customer(email="a@example.com", phone="+31612345678")
    make_customer(email="")
    c = campaign(kind="triggered", trigger_event="x", name="Cart reminder")
    campaign_launch(campaign_id=c.pk)
    page = staff_client(MARKETER).get(reverse("admin:index"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Overview" in body and "Cart reminder" in body and "Last 7 days" in body
    assert "email <strong>1</strong>, SMS <strong>1</strong>" in body


@pytest.mark.parametrize("role", [MARKETER, ADMIN])
def test_dry_run_page(staff_client, role, campaign, make_customer):
    make_customer()
    c = campaign()
    page = staff_client(role).get(reverse("admin:campaigns_campaign_dry_run", args=[c.pk]))
    assert page.status_code == 200
    assert b"Nothing was sent or saved" in page.content and b"<td>1</td>" in page.content
