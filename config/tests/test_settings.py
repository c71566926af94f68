"""Production settings hold together: `check --deploy` is clean with DEBUG off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    full = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    full.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE, env=full, capture_output=True, text=True,
                          timeout=60)


def _vapid_pair() -> dict[str, str]:
    out = _manage("generate_vapid_keys").stdout
    return dict(line.split("=", 1) for line in out.split())


def test_check_deploy_is_clean_with_production_settings():
    r = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0", VAPID_SUBJECT="mailto:ops@example.com",
                **_vapid_pair(),
                SECRET_KEY="prod-" + "k8Zq2mW9xR4tY7uI1oP3aS6dF0gH5jL" * 2, ALLOWED_HOSTS="hub.example.com",
                SITE_URL="https://hub.example.com")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_debug_off_without_secret_key_refuses_to_start():
    r = _manage("check", DEBUG="0", ALLOWED_HOSTS="hub.example.com")
    assert r.returncode != 0
    assert "SECRET_KEY must be set" in r.stderr


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/events/", "/api/v1/customers/bulk", "/api/v1/customers/{external_id}"} <= set(paths)
    assert client.get("/api/docs/").status_code == 200


def test_schema_generates_without_warnings():
    r = _manage("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
    assert r.returncode == 0, r.stderr
