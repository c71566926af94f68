"""Admin: templates validated on save, preview and test send, SMS counter, deliveries read-only with actions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import MARKETER
from messaging.models import Delivery, DeliveryStatus, MessageTemplate


@pytest.fixture
def staff(client, db):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(username="marketer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=MARKETER))
    client.force_login(user)
    return client


def _form(topic, **fields):  # type: ignore[no-untyped-def]
    data = {"key": "welcome", "name": "Welcome", "topic": topic.pk, "default_locale": "en", "push_ttl": 3600,
            "push_urgency": "normal", "push_title": "Hi {{ customer.first_name }}",
            "translations-TOTAL_FORMS": 0, "translations-INITIAL_FORMS": 0}
    data.update(fields)
    return data


def test_a_template_with_a_syntax_error_is_refused_on_save(staff, topics):
    response = staff.post(reverse("admin:messaging_messagetemplate_add"),
                          _form(topics["offers"], email_html="<p>{% if %}</p>"))
    assert response.status_code == 200
    assert "email_html" in response.context["adminform"].form.errors
    assert not MessageTemplate.objects.exists()


def test_a_template_naming_settings_is_refused_on_save(staff, topics):
    response = staff.post(reverse("admin:messaging_messagetemplate_add"),
                          _form(topics["offers"], sms_text="{{ settings.SECRET_KEY }}"))
    assert "sms_text" in response.context["adminform"].form.errors


def test_a_valid_template_saves(staff, topics):
    response = staff.post(reverse("admin:messaging_messagetemplate_add"), _form(topics["offers"]))
    assert response.status_code == 302
    assert MessageTemplate.objects.get().push_title == "Hi {{ customer.first_name }}"


def test_preview_renders_for_a_customer_and_sends_a_test(staff, topics, make_customer, enqueued,
                                                         django_capture_on_commit_callbacks):
    customer = make_customer(first_name="Ada")
    t = MessageTemplate.objects.create(key="w", name="W", topic=topics["order-updates"],
                                       push_title="Hi {{ customer.first_name }}", sms_text="Code €5")
    url = reverse("admin:messaging_template_preview", args=[t.pk])
    page = staff.get(url, {"customer": customer.external_id})
    assert page.status_code == 200 and b"Hi Ada" in page.content and b"GSM-7" in page.content
    assert staff.get(url, {"customer": "nobody"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {"customer": customer.external_id, "channel": "inbox"})
    assert response.status_code == 302
    d = Delivery.objects.get()
    assert (d.source, d.channel_order, d.customer_id) == ("test", ["inbox"], customer.pk)
    assert enqueued


def test_sms_info_counts_segments(staff):
    url = reverse("admin:messaging_sms_info")
    assert staff.get(url, {"text": "a" * 161}).json() == {"length": 161, "encoding": "GSM-7", "segments": 2}
    assert staff.get(url, {"text": "Hej 😀"}).json()["encoding"] == "UCS-2"


def test_delivery_pages_are_read_only_and_actions_call_services(staff, topics, make_customer, enqueued):
    c = make_customer()
    failed = Delivery.objects.create(customer=c, topic=topics["offers"], dedupe_key="f", status=DeliveryStatus.FAILED)
    scheduled = Delivery.objects.create(customer=c, topic=topics["offers"], dedupe_key="s")
    changelist = reverse("admin:messaging_delivery_changelist")
    assert staff.get(changelist, {"status": "failed"}).status_code == 200
    assert staff.get(reverse("admin:messaging_delivery_change", args=[failed.pk])).status_code == 200
    staff.post(changelist, {"action": "retry_failed", "_selected_action": [failed.pk, scheduled.pk]})
    staff.post(changelist, {"action": "cancel_scheduled", "_selected_action": [failed.pk, scheduled.pk]})
    failed.refresh_from_db()
    scheduled.refresh_from_db()
    assert (failed.status, scheduled.status) == (DeliveryStatus.QUEUED, DeliveryStatus.CANCELLED)


def test_template_pages_load(staff, topics):
    t = MessageTemplate.objects.create(key="w", name="W", topic=topics["offers"])
    for url in (reverse("admin:messaging_messagetemplate_changelist"),
                reverse("admin:messaging_messagetemplate_change", args=[t.pk]),
                reverse("admin:messaging_inboxmessage_changelist"),
                reverse("admin:messaging_pushsubscription_changelist")):
        assert staff.get(url).status_code == 200, url
