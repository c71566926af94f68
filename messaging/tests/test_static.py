"""The service worker and the subscribe script are served as static files and read the payload's keys."""

from pathlib import Path

from django.contrib.staticfiles import finders

from messaging.channels.base import PushMessage


def test_service_worker_reads_every_payload_key() -> None:
    path = finders.find("sw.js")
    assert path is not None
    source = Path(path).read_text()
    payload = PushMessage(title="t", data={"open_url": "u"}).payload()
    for key in [*payload, *payload["data"]]:
        assert key in source, key
    assert 'addEventListener("push"' in source and 'addEventListener("notificationclick"' in source


def test_subscribe_script_is_configured_by_data_attributes() -> None:
    path = finders.find("js/push-subscribe.js")
    assert path is not None
    source = Path(path).read_text()
    for attribute in ("vapidPublicKey", "customerToken", "endpoint"):
        assert f"dataset.{attribute}" in source
