import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from links import services
from links.devices import Visit
from links.models import Click, ClickBatch
from links.references import link_reference_sign
from links.spool import ClickSpool, spool_drain_directory
from links.tests import user_agents as ua


@pytest.fixture
def spooled(settings, tmp_path, monkeypatch) -> ClickSpool:  # type: ignore[no-untyped-def]
    settings.LINKS_CLICK_SPOOL = True
    settings.LINKS_CLICK_SPOOL_DIR = tmp_path
    spool = ClickSpool(flusher=False)  # drained by the test, not by a thread
    monkeypatch.setattr(services, "spool", spool)
    return spool


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _row(link_id: int) -> dict:
    return {"link_id": link_id, "at": "2026-11-25T12:00:00+00:00", "platform": "ios", "device": "iPhone",
            "os": "iOS", "browser": "Mobile Safari", "referrer": "", "ip_hash": "", "from_qr": True}


def test_spooled_clicks_are_stored_once_by_the_drain(client: Client, make_link, spooled: ClickSpool,  # type: ignore[no-untyped-def]
                                                     settings) -> None:  # type: ignore[no-untyped-def]
    link = make_link(slug="spooled")
    for _ in range(5):
        assert client.get("/l/spooled?s=qr", HTTP_USER_AGENT=ua.IOS["iPhone Safari"]).status_code == 302
    assert not Click.objects.exists()  # not on the redirect's path
    assert spooled.drain() == 5
    assert spooled.drain() == 0
    clicks = Click.objects.filter(link=link)
    assert clicks.count() == 5 and all(c.from_qr and c.platform == "ios" for c in clicks)
    # stored files are removed; only the (empty) file the next clicks go to is left
    assert [p.name for p in Path(settings.LINKS_CLICK_SPOOL_DIR).iterdir()] == [f"active-{os.getpid()}.jsonl"]


def test_capped_and_attributed_clicks_skip_the_spool(client: Client, make_link, make_customer,  # type: ignore[no-untyped-def]
                                                     spooled: ClickSpool) -> None:
    make_link(slug="capped", max_clicks=5)
    make_link(slug="personal")
    client.get("/l/capped", HTTP_USER_AGENT=ua.IOS["iPhone Safari"])
    ref = link_reference_sign(customer_id=make_customer().pk)
    client.get(f"/l/personal?r={ref}", HTTP_USER_AGENT=ua.IOS["iPhone Safari"])
    assert Click.objects.count() == 2


def test_files_of_a_dead_process_are_adopted(make_link, spooled: ClickSpool, settings) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    pid = _dead_pid()
    lines = [json.dumps(_row(link.pk)) for _ in range(3)] + ['{"link_id": 1, "at": "cut off by a cra']
    (Path(settings.LINKS_CLICK_SPOOL_DIR) / f"active-{pid}.jsonl").write_text("\n".join(lines))
    assert spool_drain_directory() == 3
    assert Click.objects.filter(link=link).count() == 3
    assert not list(Path(settings.LINKS_CLICK_SPOOL_DIR).iterdir())


def test_a_batch_stored_before_a_crash_is_not_stored_again(make_link, spooled: ClickSpool, settings) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    pid = _dead_pid()
    ClickBatch.objects.create(name="123-1-99")
    (Path(settings.LINKS_CLICK_SPOOL_DIR) / f"claimed-{pid}-123-1-99.jsonl").write_text(json.dumps(_row(link.pk)))
    assert spool_drain_directory() == 0
    assert not Click.objects.exists()
    assert not list(Path(settings.LINKS_CLICK_SPOOL_DIR).iterdir())


def test_clicks_of_deleted_links_are_dropped_not_blocking_the_batch(make_link, spooled: ClickSpool) -> None:  # type: ignore[no-untyped-def]
    kept, deleted = make_link(), make_link()
    for link in (kept, deleted):
        services.click_record(link_id=link.pk, max_clicks=None, visit=Visit("ios", "", "", "", False),
                              referrer="", ip_hash="", from_qr=False)
    deleted.delete()
    assert spooled.drain() == 1
    assert Click.objects.get().link_id == kept.pk


def test_a_failed_store_is_retried_by_the_next_drain(make_link, spooled: ClickSpool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from links import spool as spool_module

    link = make_link()
    services.click_record(link_id=link.pk, max_clicks=None, visit=Visit("ios", "", "", "", False), referrer="",
                          ip_hash="", from_qr=False)
    real_store = spool_module._store

    def database_down(name: str, rows: list) -> int:
        raise spool_module.transaction.DatabaseError("connection refused")

    monkeypatch.setattr(spool_module, "_store", database_down)
    with pytest.raises(spool_module.transaction.DatabaseError):
        spooled.drain()
    monkeypatch.setattr(spool_module, "_store", real_store)
    assert spooled.drain() == 1
    assert Click.objects.filter(link=link).count() == 1


def test_stray_files_and_lines_do_not_block_the_spool(make_link, spooled: ClickSpool, settings) -> None:  # type: ignore[no-untyped-def]
    link = make_link()
    directory = Path(settings.LINKS_CLICK_SPOOL_DIR)
    (directory / "active-notapid.jsonl").write_text("x")
    (directory / "ready-1-2-3.jsonl").write_text("\n".join([
        json.dumps(_row(link.pk)), json.dumps({"link_id": "x", "at": "y"}), json.dumps({"oops": 1}), "[]"]))
    assert spool_drain_directory() == 1


def test_system_check_reports_an_unwritable_spool_directory(settings) -> None:  # type: ignore[no-untyped-def]
    from links.checks import links_settings_check

    settings.LINKS_CLICK_SPOOL = True
    settings.LINKS_CLICK_SPOOL_DIR = "/proc/no-such-dir/spool"
    assert [p.id for p in links_settings_check()] == ["links.E001"]
    settings.LINKS_CLICK_SPOOL = False
    assert links_settings_check() == []
