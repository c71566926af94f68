import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from accounts.models import ApiKey, Event
from accounts.roles import ADMIN, MARKETER
from accounts.services import events_ingest


@pytest.fixture
def staff(db):
    def make(role):
        user = User.objects.create_user(username=role.lower(), password="pw-123456789", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user
    return make


@pytest.fixture
def customer_with_events(make_customer):
    c = make_customer(external_id="ADM1", first_name="Ada")
    events_ingest(events=[{"external_id": "ADM1", "name": "cart_abandoned", "properties": {"cart_value": 142},
                           "occurred_at": None, "idempotency_key": "x"}])
    return c


@pytest.mark.parametrize("role", [MARKETER, ADMIN])
def test_customer_pages_load_for_both_roles(client, staff, role, customer_with_events):
    client.force_login(staff(role))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_customer_changelist") + "?q=ADM1").status_code == 200
    page = client.get(reverse("admin:accounts_customer_change", args=[customer_with_events.pk]))
    assert page.status_code == 200
    assert b"cart_abandoned" in page.content and b"cart_value=142" in page.content  # the timeline
    assert client.get(reverse("admin:accounts_event_changelist")).status_code == 200


def test_marketer_cannot_manage_api_keys_or_users(client, staff):
    client.force_login(staff(MARKETER))
    assert client.get(reverse("admin:accounts_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_marketer_sees_customers_read_only(client, staff, customer_with_events):
    client.force_login(staff(MARKETER))
    url = reverse("admin:accounts_customer_change", args=[customer_with_events.pk])
    client.post(url, {"external_id": "CHANGED"})
    customer_with_events.refresh_from_db()
    assert customer_with_events.external_id == "ADM1"


def test_admin_creates_a_key_and_sees_it_once(client, staff):
    client.force_login(staff(ADMIN))
    r = client.post(reverse("admin:accounts_apikey_add"), {"name": "webshop"}, follow=True)
    assert r.status_code == 200
    key = ApiKey.objects.get(name="webshop")
    shown = [str(m) for m in r.context["messages"] if "not be shown again" in str(m)]
    assert len(shown) == 1 and key.prefix in shown[0]
    page = client.get(reverse("admin:accounts_apikey_change", args=[key.pk]))
    assert key.prefix.encode() in page.content
    raw = shown[0].split("<code>")[1].split("</code>")[0]
    assert raw.encode() not in page.content


def test_admin_revokes_keys_with_an_action(client, staff):
    from accounts.services import api_key_create

    key, _ = api_key_create(name="old")
    client.force_login(staff(ADMIN))
    client.post(reverse("admin:accounts_apikey_changelist"),
                {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_events_cannot_be_added_or_edited(client, staff, customer_with_events):
    client.force_login(staff(ADMIN))
    event = Event.objects.get()
    assert client.get(reverse("admin:accounts_event_add")).status_code == 403
    client.post(reverse("admin:accounts_event_change", args=[event.pk]), {"name": "changed"})
    event.refresh_from_db()
    assert event.name == "cart_abandoned"


@pytest.mark.django_db
def test_roles_cover_models_of_every_app_after_migrate():
    marketer = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=MARKETER).permissions
                .select_related("content_type")}
    assert {"campaigns.change_segment", "campaigns.add_segmentrule", "accounts.view_customer"} <= marketer
    denied = {"accounts.add_apikey", "accounts.view_apikey", "auth.change_user", "accounts.change_customer"}
    assert not denied & marketer
    admin = Group.objects.get(name=ADMIN).permissions
    assert admin.filter(codename="add_apikey").exists() and admin.filter(codename="change_segment").exists()
