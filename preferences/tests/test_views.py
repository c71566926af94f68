import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from preferences import tokens
from preferences.models import Channel, ConsentRecord, CustomerSettings, Source, Subscription


def center_path(customer) -> str:  # type: ignore[no-untyped-def]
    return reverse("preferences:center", args=[tokens.customer_link_token(customer.pk, tokens.PREFERENCES)])


def grid_post(topics, **overrides):  # type: ignore[no-untyped-def]
    """The form as a browser posts it with the defaults untouched (checked boxes only)."""
    data = {"frequency": "as_it_happens", "quiet_hours_enabled": "on", "quiet_start": "21:00",
            "quiet_end": "09:00", "order_1": "web_push", "order_2": "sms", "order_3": "email", "order_4": "inbox",
            "lang": "en", "action": "save"}
    for topic in topics.values():
        for channel in topic.default_channels:
            data[f"t{topic.pk}_{channel}"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def customer(make_customer):  # type: ignore[no-untyped-def]
    return make_customer(first_name="Ada", email="ada@example.com", locale="en")


def test_page_shows_the_customers_grid(client, customer, topics):
    response = client.get(center_path(customer))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello Ada" in html and "Order updates" in html and "Surveys" in html
    assert f'name="t{topics["order-updates"].pk}_email" id="id_t{topics["order-updates"].pk}_email" checked' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_save_switches_channel_off_and_logs_consent(client, customer, topics):
    order = topics["order-updates"]
    response = client.post(center_path(customer), grid_post(topics, **{f"t{order.pk}_email": None}),
                           REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="pytest-browser")
    assert response.status_code == 302 and "saved=1" in response["Location"]
    assert not Subscription.objects.get(customer=customer, topic=order, channel=Channel.EMAIL).opted_in
    record = ConsentRecord.objects.get(customer=customer)
    assert (record.topic, record.channel, record.granted, record.source) == (order, "email", False,
                                                                              Source.PREFERENCE_CENTER)
    assert (record.ip, record.user_agent, record.wording_version) == ("198.51.100.9", "pytest-browser", "2026-11")
    page = client.get(response["Location"]).content.decode()
    assert "Your choices have been saved." in page
    assert f'name="t{order.pk}_email" id="id_t{order.pk}_email">' in page


def test_saving_defaults_unchanged_records_nothing(client, customer, topics):
    client.post(center_path(customer), grid_post(topics))
    assert not ConsentRecord.objects.exists()
    assert not Subscription.objects.exists()


def test_settings_saved(client, customer, topics):
    client.post(center_path(customer), grid_post(
        topics, frequency="weekly", quiet_start="22:30", quiet_end="07:15", order_1="sms", order_2="email",
        order_3="web_push", no_marketing_sms="on"))
    prefs = CustomerSettings.objects.get(customer=customer)
    assert prefs.frequency == "weekly" and prefs.channel_order == ["sms", "email", "web_push", "inbox"]
    assert f"{prefs.quiet_start:%H:%M}-{prefs.quiet_end:%H:%M}" == "22:30-07:15"
    assert prefs.no_marketing_channels == ["sms"]
    assert ConsentRecord.objects.get(customer=customer, topic=None).granted is False


def test_unsubscribe_from_all_marketing_button(client, customer, topics):
    response = client.post(center_path(customer), grid_post(topics, action="unsubscribe_all"))
    assert "saved=all" in response["Location"]
    assert CustomerSettings.objects.get(customer=customer).no_marketing_channels == list(Channel.values)


@pytest.mark.parametrize("bad", [{"frequency": "hourly"}, {"quiet_start": "25:99"}, {"order_2": "web_push"},
                                 {"order_1": "pigeon"}])
def test_bad_input_is_a_400_with_the_form_not_a_500(client, customer, topics, bad):
    response = client.post(center_path(customer), grid_post(topics, **bad))
    assert response.status_code == 400
    assert "Please correct the fields marked below." in response.content.decode()


def test_post_without_csrf_token_is_rejected(customer, topics):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(center_path(customer), grid_post(topics)).status_code == 403
    page = browser.get(center_path(customer))
    token = page.cookies["csrftoken"].value
    ok = browser.post(center_path(customer), {**grid_post(topics), "csrfmiddlewaretoken": token})
    assert ok.status_code == 302


def test_tampered_token_gets_not_valid_page(client, customer, topics):
    path = center_path(customer)
    response = client.get(path[:-3] + "xx/")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert "ada@example.com" not in response.content.decode()


def test_expired_token_offers_a_fresh_link_by_email_rate_limited(client, customer, topics, settings):
    settings.PREFERENCES_LINK_EMAILS_PER_HOUR = 2
    then = time.time() - timedelta(days=91).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=then):
        token = tokens.customer_link_token(customer.pk, tokens.PREFERENCES)
    response = client.get(reverse("preferences:center", args=[token]))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    resend = reverse("preferences:resend", args=[token])
    assert client.post(resend).status_code == 200
    assert client.post(resend).status_code == 200
    assert client.post(resend).status_code == 429
    assert len(mail.outbox) == 2 and mail.outbox[0].to == ["ada@example.com"]
    fresh = mail.outbox[0].body.split("http://127.0.0.1:8000")[1].split()[0]
    assert client.get(fresh).status_code == 200


def test_expired_token_without_email_offers_nothing(client, make_customer, topics):
    customer = make_customer(email="")
    then = time.time() - timedelta(days=91).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=then):
        token = tokens.customer_link_token(customer.pk, tokens.PREFERENCES)
    assert "Email me a new link" not in client.get(reverse("preferences:center", args=[token])).content.decode()


def test_link_expiry_is_configurable(client, customer, topics, settings):
    settings.PREFERENCES_LINK_MAX_AGE_DAYS = 1
    then = time.time() - timedelta(days=2).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=then):
        token = tokens.customer_link_token(customer.pk, tokens.PREFERENCES)
    assert client.get(reverse("preferences:center", args=[token])).status_code == 410


def test_a_token_only_ever_shows_and_changes_its_own_customer(client, make_customer, topics):
    ada = make_customer(first_name="Ada", email="ada@example.com")
    bob = make_customer(first_name="Bob", email="bob@example.com")
    order = topics["order-updates"]
    html = client.get(center_path(ada)).content.decode()
    assert "Ada" in html and "Bob" not in html
    # A posted customer id or external id is ignored: the token alone says whose page it is.
    client.post(center_path(ada), grid_post(topics, customer=bob.pk, external_id=bob.external_id,
                                            **{f"t{order.pk}_email": None}))
    assert not Subscription.objects.filter(customer=bob).exists()
    assert Subscription.objects.filter(customer=ada).count() == 1
    inbox_token = tokens.customer_link_token(bob.pk, tokens.INBOX)  # valid, but not for this page
    assert client.get(reverse("preferences:center", args=[inbox_token])).status_code == 404


def test_pages_are_rate_limited_per_ip(client, customer, topics, settings):
    settings.PREFERENCES_PAGE_HITS_PER_MINUTE = 3
    path = center_path(customer)
    assert [client.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.parametrize("lang, words", [
    ("en", ["Your preferences", "Save my choices", "Order updates", "Push notifications"]),
    ("nl", ["Je voorkeuren", "Mijn keuzes opslaan", "Bestelupdates", "Pushmeldingen", "<span>E-mail</span>"]),
    ("de", ["Deine Einstellungen", "Auswahl speichern", "Bestellstatus", "Push-Benachrichtigungen",
            "<span>E-Mail</span>"]),
    ("pl", ["Twoje preferencje", "Zapisz moje wybory", "Status zamówienia", "Powiadomienia push"]),
    ("sv", ["Dina inställningar", "Spara mina val", "Orderuppdateringar", "Pushnotiser"]),
])
def test_each_language_renders_its_own_words(client, make_customer, topics, lang, words):
    customer = make_customer(locale=lang)
    response = client.get(center_path(customer))
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html and response["Content-Language"] == lang
    for word in words:
        assert word in html
    if lang != "en":
        assert "Save my choices" not in html


def test_language_from_accept_language_then_switch(client, make_customer, topics):
    customer = make_customer(locale="")
    path = center_path(customer)
    assert "Deine Einstellungen" in client.get(path, HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9").content.decode()
    assert "Dina inställningar" in client.get(path + "?lang=sv", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    # a customer's locale beats the browser's
    nl = make_customer(locale="nl-BE")
    assert "Je voorkeuren" in client.get(center_path(nl), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    # unknown languages fall back to English
    assert "Your preferences" in client.get(path + "?lang=xx", HTTP_ACCEPT_LANGUAGE="fr").content.decode()


# --- one-click unsubscribe ------------------------------------------------------------------------------

def unsubscribe_path(customer, topic, channel="email"):  # type: ignore[no-untyped-def]
    return reverse("preferences:unsubscribe", args=[
        tokens.customer_link_token(customer.pk, tokens.UNSUBSCRIBE, topic_id=topic.pk, channel=channel)])


def test_unsubscribe_get_explains_and_changes_nothing(client, customer, topics):
    response = client.get(unsubscribe_path(customer, topics["order-updates"]))
    assert response.status_code == 200
    assert "Stop receiving “Order updates” by Email?" in response.content.decode()
    assert not Subscription.objects.exists() and not ConsentRecord.objects.exists()


def test_one_click_unsubscribe_post_without_cookies_or_csrf(customer, topics):
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(unsubscribe_path(customer, topics["order-updates"]),
                                data="List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not response.cookies
    sub = Subscription.objects.get(customer=customer)
    assert (sub.opted_in, sub.source) == (False, Source.UNSUBSCRIBE_LINK)
    assert ConsentRecord.objects.get(customer=customer).source == Source.UNSUBSCRIBE_LINK
    # twice is harmless and logs nothing more
    mail_client.post(unsubscribe_path(customer, topics["order-updates"]))
    assert ConsentRecord.objects.count() == 1


def test_unsubscribe_token_for_wrong_channel_is_not_valid(client, customer, topics):
    assert client.post(unsubscribe_path(customer, topics["surveys"], "sms")).status_code == 404
    assert client.get(reverse("preferences:unsubscribe", args=["nonsense"])).status_code == 404


# --- double opt-in --------------------------------------------------------------------------------------

def test_double_opt_in_sends_email_and_records_consent_on_click(client, customer, topics):
    offers = topics["offers"]
    response = client.post(center_path(customer), grid_post(topics, **{f"t{offers.pk}_email": "on"}))
    assert "confirm=1" in response["Location"]
    assert not Subscription.objects.filter(topic=offers).exists()
    assert len(mail.outbox) == 1 and "Offers" in mail.outbox[0].subject
    link = mail.outbox[0].body.split("http://127.0.0.1:8000")[1].split()[0]
    page = client.get(link)
    assert "Confirm your subscription" in page.content.decode()
    assert not Subscription.objects.filter(topic=offers).exists()  # a mail scanner's GET agrees to nothing
    client.post(link)
    sub = Subscription.objects.get(topic=offers, channel="email")
    assert sub.opted_in and sub.source == Source.DOUBLE_OPT_IN
    assert ConsentRecord.objects.get(topic=offers).source == Source.DOUBLE_OPT_IN


def test_topics_without_double_opt_in_apply_at_once(client, customer, topics):
    tips = topics["tips"]
    client.post(center_path(customer), grid_post(topics, **{f"t{tips.pk}_email": "on"}))
    assert Subscription.objects.get(topic=tips, channel="email").opted_in
    assert not mail.outbox


def test_unknown_methods_are_405(client, customer, topics):
    assert client.put(center_path(customer)).status_code == 405
    assert client.post(reverse("preferences:export", args=[signing.dumps([1])])).status_code == 405


@pytest.mark.parametrize("name", ["center", "export", "erase", "confirm", "unsubscribe", "resend"])
@pytest.mark.parametrize("token", ["%FF%FE", "..", "WzFd", "WzFd:1xW:AAAA", "a" * 2000, "e30:1xWCEZ:zzz"])
def test_garbage_tokens_never_500(client, topics, name, token):
    path = reverse(f"preferences:{name}", args=["TOKEN"]).replace("TOKEN", token)
    for method in ("get", "post"):
        assert getattr(client, method)(path).status_code in (404, 405), (method, path)


def test_token_for_another_page_never_opens_this_one(client, customer, topics):
    unsubscribe = tokens.customer_link_token(customer.pk, tokens.UNSUBSCRIBE, topic_id=topics["tips"].pk,
                                             channel="email")
    assert client.get(reverse("preferences:center", args=[unsubscribe])).status_code == 404
    assert client.get(reverse("preferences:confirm", args=[unsubscribe])).status_code == 404
    center = tokens.customer_link_token(customer.pk, tokens.PREFERENCES)
    assert client.post(reverse("preferences:unsubscribe", args=[center])).status_code == 404


def test_mail_server_down_is_not_a_500(client, customer, topics, monkeypatch):
    import smtplib

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPConnectError(421, "down")

    monkeypatch.setattr("preferences.services.send_mail", down)
    offers = topics["offers"]
    response = client.post(center_path(customer), grid_post(topics, **{f"t{offers.pk}_email": "on"}))
    assert response.status_code == 302
