import math
from datetime import UTC, datetime

import pytest

from campaigns.models import CampaignEntry, Variant
from campaigns.results import campaign_results, two_proportion_z
from messaging.models import Delivery

T = datetime(2026, 11, 2, 10, tzinfo=UTC)


def test_z_test_matches_a_worked_example():
    # 120/1000 vs 100/1000: pooled 0.11, se 0.01399, z 1.4296, p 0.1528
    z, p = two_proportion_z(120, 1000, 100, 1000)
    assert math.isclose(z, 1.4296, abs_tol=1e-3)
    assert math.isclose(p, 0.1528, abs_tol=1e-3)
    z, p = two_proportion_z(200, 1000, 100, 1000)
    assert p < 0.001
    assert two_proportion_z(0, 0, 1, 10) is None
    assert two_proportion_z(0, 10, 0, 10) is None


@pytest.fixture
def results_campaign(make_customer, campaign, template):
    c = campaign(control_percent=20)
    a = Variant.objects.create(campaign=c, name="A")
    b = Variant.objects.create(campaign=c, name="B")
    step = c.steps.get()
    topic = template().topic
    n = 0

    def add(variant, control, converted, status="sent", opened=False, reason=""):
        nonlocal n
        n += 1
        customer = make_customer()
        CampaignEntry.objects.create(campaign=c, customer=customer, entry_key="once", variant=variant,
                                     in_control=control, entered_at=T, converted_at=T if converted else None)
        if not control:
            Delivery.objects.create(customer=customer, topic=topic, channel="email", status=status,
                                    suppressed_reason=reason, sent_at=T if status == "sent" else None,
                                    opened_at=T if opened else None, converted_at=T if converted else None,
                                    campaign_id=c.pk, step_id=step.pk, variant_id=variant.pk, dedupe_key=f"r{n}")

    for i in range(40):
        add(a, False, converted=i < 20, opened=i < 30)
    for i in range(40):
        add(b, False, converted=i < 6, status="suppressed" if i >= 35 else "sent",
            reason="no_consent" if i >= 35 else "")
    for i in range(40):
        add(None, True, converted=i < 4)
    return c


def test_results_per_arm_with_uplift_and_plain_verdicts(results_campaign):
    results = campaign_results(results_campaign)
    arms = {a.name: a for a in results.arms}
    assert set(arms) == {"A", "B", "Control"}
    a, b, control = arms["A"], arms["B"], arms["Control"]
    assert (a.audience, a.sent, a.opened, a.converted) == (40, 40, 30, 20)
    assert (b.sent, b.suppressed) == (35, {"no_consent": 5})
    assert control.sent == 0 and control.converted == 4
    assert math.isclose(a.uplift, 40.0) and a.significant
    assert "significantly better" in a.verdict
    assert not b.significant and "not yet significant" in b.verdict
    assert results.total.sent == 75
    assert [s.position for s in results.steps] == [1]
    assert results.steps[0].converted == 26
    assert results.daily == [(T.date(), 75, 30, 26)]
