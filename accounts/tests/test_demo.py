from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from accounts.models import Customer, Event


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_where_to_go(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ADMIN_PASSWORD = ""
    out = StringIO()
    call_command("seed_demo", stdout=out)
    customers, events = Customer.objects.count(), Event.objects.count()
    assert customers == 300
    assert events > 300
    assert len(set(Customer.objects.values_list("timezone", flat=True))) >= 5
    assert len(set(Customer.objects.values_list("locale", flat=True))) == 5
    password = (tmp_path / "admin-password").read_text().strip()
    assert f"login admin / {password}" in out.getvalue()
    assert User.objects.get(username="admin").check_password(password)

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert (Customer.objects.count(), Event.objects.count()) == (customers, events)
    assert f"login admin / {password}" in out.getvalue()


@pytest.mark.django_db
def test_admin_password_comes_from_the_environment_when_set(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ADMIN_PASSWORD = "from-env-123"
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.get(username="admin").check_password("from-env-123")
    assert not (tmp_path / "admin-password").exists()
