"""End to end in Debian's chromium, driven by Playwright, against a live server (no browser downloads)."""

import os
from unittest import mock

import pytest
from playwright.sync_api import Browser, sync_playwright

from preferences import tokens
from preferences.models import ConsentRecord, Source, Subscription

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module", autouse=True)
def allow_orm_beside_playwright():  # type: ignore[no-untyped-def]
    """Playwright's sync API runs an event loop in this thread, so Django refuses ORM calls unless told
    they are safe (they are: plain sync code). Only for this module: a process-wide setting would leak into
    subprocesses such as `check --deploy`, which rightly warns about it."""
    with mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}):
        yield


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _switch_off_and_check_kept(browser: Browser, live_server, customer, topic, channel: str,  # type: ignore[no-untyped-def]
                               *, javascript: bool) -> None:
    url = tokens.preference_center_url(customer.pk, site_url=live_server.url)
    context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(url)
        box = page.locator(f"#id_t{topic.pk}_{channel}")
        assert box.is_checked()
        box.uncheck()
        if javascript:
            assert page.get_by_text("You have unsaved changes.").is_visible()
        page.get_by_role("button", name="Save my choices").click()
        page.wait_for_url("**saved=1**")
        assert page.get_by_role("status").first.inner_text().strip() == "Your choices have been saved."
        page.reload()
        assert not page.locator(f"#id_t{topic.pk}_{channel}").is_checked()
    finally:
        context.close()
    record = ConsentRecord.objects.get(customer=customer)
    assert (record.topic_id, record.channel, record.granted, record.source) == (
        topic.pk, channel, False, Source.PREFERENCE_CENTER)
    assert record.ip == "127.0.0.1" and "Chrome" in record.user_agent
    assert not Subscription.objects.get(customer=customer, topic=topic, channel=channel).opted_in


@pytest.mark.django_db(transaction=True)
def test_switch_a_channel_off_save_reload_kept(browser, live_server, make_customer, topics):
    customer = make_customer(first_name="Ada")
    _switch_off_and_check_kept(browser, live_server, customer, topics["order-updates"], "email", javascript=True)


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_form_still_saves(browser, live_server, make_customer, topics):
    customer = make_customer(first_name="Bo")
    _switch_off_and_check_kept(browser, live_server, customer, topics["delivery-pickup"], "sms", javascript=False)
