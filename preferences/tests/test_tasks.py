from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from preferences.models import ConsentRecord
from preferences.tasks import housekeeping


@pytest.mark.django_db
def test_housekeeping_is_scheduled_daily_and_clears_old_ips(make_customer, topics, settings):
    assert Schedule.objects.get(name="preferences: housekeeping").minutes == 24 * 60
    customer = make_customer()
    old = ConsentRecord.objects.create(customer=customer, topic=topics["offers"], channel="email", granted=True,
                                       source="api", ip="203.0.113.9", user_agent="UA")
    ConsentRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.CONSENT_IP_RETENTION_DAYS + 1))
    fresh = ConsentRecord.objects.create(customer=customer, topic=topics["offers"], channel="sms", granted=True,
                                         source="api", ip="203.0.113.10")
    assert housekeeping()["consent_ip_cleared"] == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.ip, old.user_agent, fresh.ip) == (None, "", "203.0.113.10")
