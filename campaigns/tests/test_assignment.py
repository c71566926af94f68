from collections import Counter
from types import SimpleNamespace

from campaigns.assignment import assign

A, B, C = (SimpleNamespace(pk=i, weight=w) for i, w in ((1, 1), (2, 1), (3, 2)))


def test_assignment_is_deterministic():
    assert [assign(7, c, 10, [A, B]) for c in range(200)] == [assign(7, c, 10, [A, B]) for c in range(200)]


def test_shares_follow_control_percent_and_weights():
    arms = Counter()
    for customer in range(20_000):
        control, variant = assign(3, customer, 20, [A, B, C])
        arms["control" if control else variant] += 1
    assert 0.18 < arms["control"] / 20_000 < 0.22
    treated = 20_000 - arms["control"]
    assert 0.23 < arms[1] / treated < 0.27 and 0.23 < arms[2] / treated < 0.27 and 0.48 < arms[3] / treated < 0.52


def test_campaigns_draw_independently():
    first = [assign(1, c, 50, [A]) [0] for c in range(1000)]
    second = [assign(2, c, 50, [A])[0] for c in range(1000)]
    assert first != second


def test_no_control_and_no_variants():
    assert all(assign(1, c, 0, []) == (False, None) for c in range(100))
