from accounts.demo import load_demo as load_accounts
from messaging.demo import TEMPLATES, load_demo
from messaging.models import InboxMessage, MessageTemplate
from messaging.rendering import content_errors


def test_demo_is_idempotent_and_prints_the_inbox_link(db, client):
    load_accounts(customers=3)
    [line] = load_demo("http://hub.example")
    assert line.startswith("Inbox (demo-0001): http://hub.example/inbox/")
    load_demo("http://hub.example")
    assert MessageTemplate.objects.count() == len(TEMPLATES)
    assert InboxMessage.objects.count() == 3
    assert client.get(line.split("http://hub.example")[1]).status_code == 302


def test_demo_templates_are_valid():
    for spec in TEMPLATES:
        assert content_errors(spec) == {}, spec["key"]
