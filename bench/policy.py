"""Policy decisions per second for one customer x topic x channel, next to one primary-key lookup.

Messaging calls preferences.policy.decide for every message it sends, so a decision should cost little
more than reading the customer. It is one query either way; the marketing case is the heavier one (choice,
settings and the recent-sends ledger for the caps), a transactional decision reads only the choice.
"""

import time
from collections.abc import Callable
from datetime import timedelta

from bench.support import report, setup_django

ROUNDS = 3
SECONDS = 1.0


def rate(func: Callable[[], object]) -> float:
    """Calls per second: the best of a few rounds of about SECONDS each (warm caches, least noise)."""
    best = 0.0
    for _ in range(ROUNDS):
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < SECONDS:
            for _ in range(50):
                func()
            calls += 50
        best = max(best, calls / elapsed)
    return best


def main() -> None:
    backend = setup_django()
    from django.utils import timezone

    from accounts.models import Customer
    from preferences.demo import topics_ensure
    from preferences.models import Channel, Frequency, Source
    from preferences.policy import decide
    from preferences.services import ConsentMeta, marketing_send_record, preferences_update

    topics = topics_ensure()
    customer = Customer.objects.create(external_id="bench-1", email="bench@example.com", timezone="UTC")
    offers, order = topics["offers"], topics["order-updates"]
    preferences_update(customer_id=customer.pk, meta=ConsentMeta(source=Source.IMPORT),
                       choices={(offers.pk, Channel.EMAIL): True}, frequency=Frequency.WEEKLY)
    now = timezone.now().replace(hour=12)  # outside quiet hours, so every check runs
    marketing_send_record(customer_id=customer.pk, topic_id=offers.pk, channel=Channel.EMAIL,
                          sent_at=now - timedelta(days=2))
    assert decide(customer=customer, topic=offers, channel=Channel.EMAIL, now=now).allowed

    baseline = rate(lambda: Customer.objects.get(pk=customer.pk))
    marketing = rate(lambda: decide(customer=customer, topic=offers, channel=Channel.EMAIL, now=now))
    transactional = rate(lambda: decide(customer=customer, topic=order, channel=Channel.EMAIL, now=now))
    pk_lookup = ("Customer.objects.get(pk=...)", baseline)
    report("Policy decision, marketing topic (choice, settings, caps)", backend, ("decide(...)", marketing), pk_lookup,
           "decisions/s", target=">= 0.3")
    report("Policy decision, transactional topic (choice only)", backend, ("decide(...)", transactional), pk_lookup,
           "decisions/s", target=">= 0.3")


if __name__ == "__main__":
    main()
