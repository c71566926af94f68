from types import SimpleNamespace
from typing import Any

import pytest

from campaigns.models import Campaign, CampaignStep
from messaging.models import MessageTemplate


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Tasks handed to django-q2, recorded instead of queued (the tests run the campaign tasks themselves)."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("config.queue.async_task", lambda func, *args, **kwargs: calls.append((func, args)))
    # The test's transaction never commits: record at once what would be handed on at commit.
    monkeypatch.setattr("config.queue.transaction", SimpleNamespace(on_commit=lambda callback: callback()))
    return calls


@pytest.fixture
def topics(db):  # type: ignore[no-untyped-def]
    from preferences.demo import topics_ensure

    return topics_ensure()


@pytest.fixture
def template(topics):  # type: ignore[no-untyped-def]
    def make(key: str = "offer", topic: str = "offers") -> MessageTemplate:
        return MessageTemplate.objects.get_or_create(
            key=key, defaults={"name": key, "topic": topics[topic], "push_title": "Hi {{ customer.first_name }}",
                               "push_body": "Your cart is waiting", "email_subject": "Hello",
                               "email_text": "Hello", "sms_text": "Hello", "inbox_title": "Hello"})[0]
    return make


@pytest.fixture
def campaign(template, enqueued):  # type: ignore[no-untyped-def]
    def make(*, steps: list[dict] | None = None, **fields: Any) -> Campaign:
        c = Campaign.objects.create(name=fields.pop("name", f"c{Campaign.objects.count()}"), **fields)
        for position, step in enumerate(steps or [{}], start=1):
            step = {"template": template(), "channels": ["web_push", "email"], **step}
            CampaignStep.objects.create(campaign=c, position=position, **step)
        return c
    return make
