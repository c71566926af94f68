import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import ADMIN, MARKETER
from preferences.models import Channel, ConsentRecord, Source, Subscription
from preferences.services import ConsentMeta, preferences_update


@pytest.fixture(params=[MARKETER, ADMIN])
def staff_client(request, client, db):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(username=f"u-{request.param}", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=request.param))
    client.force_login(user)
    return client


@pytest.fixture
def customer(make_customer, topics):  # type: ignore[no-untyped-def]
    customer = make_customer()
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.API, ip="192.0.2.1"),
                       choices={(topics["tips"].pk, Channel.EMAIL): True})
    return customer


def test_admin_pages_load(staff_client, customer, topics):
    pages = [
        reverse("admin:preferences_topic_changelist"),
        reverse("admin:preferences_topic_change", args=[topics["offers"].pk]),
        reverse("admin:preferences_topic_add"),
        reverse("admin:preferences_consentrecord_changelist"),
        reverse("admin:preferences_consentrecord_change", args=[ConsentRecord.objects.first().pk]),
        reverse("admin:preferences_consent_import"),
        reverse("admin:preferences_erasurerecord_changelist"),
        reverse("admin:preferences_marketingsend_changelist"),
        reverse("admin:accounts_customer_changelist"),
        reverse("admin:accounts_customer_change", args=[customer.pk]),
    ]
    for page in pages:
        assert staff_client.get(page).status_code == 200, page


def test_customer_page_shows_preferences_and_consent_history(staff_client, customer, topics):
    html = staff_client.get(reverse("admin:accounts_customer_change", args=[customer.pk])).content.decode()
    assert "Consent history" in html and "192.0.2.1" in html
    assert "granted: Tips &amp; inspiration by email" in html  # the timeline source


def test_consent_records_cannot_be_changed_or_deleted(staff_client, customer):
    record = ConsentRecord.objects.first()
    change = staff_client.get(reverse("admin:preferences_consentrecord_change", args=[record.pk])).content.decode()
    assert 'name="_save"' not in change
    assert staff_client.post(reverse("admin:preferences_consentrecord_delete", args=[record.pk]),
                             {"post": "yes"}).status_code == 403
    assert staff_client.get(reverse("admin:preferences_consentrecord_add")).status_code == 403
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_topic_edit_with_translations(staff_client, topics):
    topic = topics["surveys"]
    data = {"key": "surveys", "kind": "marketing", "channels": ["email", "inbox"], "order": 50,
            "shown_on_page": "on", "name_en": "Surveys", "name_nl": "Vragenlijsten", "name_de": "Umfragen",
            "name_pl": "Ankiety", "name_sv": "Enkäter"}
    response = staff_client.post(reverse("admin:preferences_topic_change", args=[topic.pk]), data)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.name_in("nl") == "Vragenlijsten"
    bad = {**data, "default_channels": ["email"]}  # marketing cannot be on by default
    assert staff_client.post(reverse("admin:preferences_topic_change", args=[topic.pk]), bad).status_code == 200
    topic.refresh_from_db()
    assert topic.default_channels == []


def test_csv_import_records_consent_with_source_and_wording(staff_client, make_customer, topics):
    make_customer(external_id="ada")
    bob = make_customer(external_id="bob")
    csv = ("external_id,topic,channel,opted_in\n"
           "ada,tips,email,yes\n"
           "bob,offers,sms,1\n"
           "bob,order-updates,email,no\n"
           "ghost,tips,email,yes\n"
           "ada,surveys,sms,yes\n"
           "ada,tips,web_push,perhaps\n")
    upload = SimpleUploadedFile("optins.csv", csv.encode(), content_type="text/csv")
    response = staff_client.post(reverse("admin:preferences_consent_import"),
                                 {"file": upload, "wording_version": "paper-2026"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 change(s) recorded" in html and "3 line(s) skipped" in html
    assert "Line 5: no customer &#x27;ghost&#x27;" in html and "Line 7: opted_in must be yes or no" in html
    records = ConsentRecord.objects.filter(source=Source.IMPORT)
    assert {(r.customer.external_id, r.topic.key, r.channel, r.granted) for r in records} == {
        ("ada", "tips", "email", True), ("bob", "offers", "sms", True), ("bob", "order-updates", "email", False)}
    assert {r.wording_version for r in records} == {"paper-2026"}
    # imports carry their own proof: a double opt-in topic applies at once
    assert Subscription.objects.get(customer=bob, topic=topics["offers"]).opted_in


def test_csv_import_rejects_a_bad_header(staff_client):
    upload = SimpleUploadedFile("x.csv", b"id,what\n1,2\n", content_type="text/csv")
    response = staff_client.post(reverse("admin:preferences_consent_import"),
                                 {"file": upload, "wording_version": "v1"})
    assert response.status_code == 200 and "The header must name" in response.content.decode()


def test_opted_in_filter_on_customer_list(staff_client, make_customer, topics):
    tips, order = topics["tips"], topics["order-updates"]
    yes, no = make_customer(external_id="yes-1"), make_customer(external_id="no-1")
    make_customer(external_id="default-1")  # never chose: the topic's default applies
    preferences_update(customer_id=yes.pk, meta=ConsentMeta(source=Source.ADMIN),
                       choices={(tips.pk, "email"): True})
    preferences_update(customer_id=no.pk, meta=ConsentMeta(source=Source.ADMIN),
                       choices={(order.pk, "email"): False})
    changelist = reverse("admin:accounts_customer_changelist")
    html = staff_client.get(changelist, {"opted_in": f"{tips.pk}:email"}).content.decode()
    assert "yes-1" in html and "no-1" not in html and "default-1" not in html
    html = staff_client.get(changelist, {"opted_in": f"{order.pk}:email"}).content.decode()
    assert "default-1" in html and "yes-1" in html and "no-1" not in html
    assert staff_client.get(changelist, {"opted_in": "junk"}).status_code == 200
