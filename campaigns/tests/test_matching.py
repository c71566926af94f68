import pytest

from campaigns.matching import filters_match

PROPS = {"cart_value": 142, "currency": "EUR", "coupon": None, "when": "2026-11-20", "items": "3"}


@pytest.mark.parametrize(("f", "expected"), [
    ({"key": "cart_value", "op": "gt", "value": 100}, True),
    ({"key": "cart_value", "op": "gt", "value": 142}, False),
    ({"key": "cart_value", "op": "gte", "value": "142"}, True),
    ({"key": "cart_value", "op": "lt", "value": 200.5}, True),
    ({"key": "cart_value", "op": "lte", "value": 141}, False),
    ({"key": "items", "op": "gt", "value": 2}, True),  # numeric text compares as a number
    ({"key": "currency", "op": "eq", "value": "EUR"}, True),
    ({"key": "currency", "value": "USD"}, False),
    ({"key": "currency", "op": "ne", "value": "USD"}, True),
    ({"key": "missing", "op": "ne", "value": "USD"}, True),
    ({"key": "currency", "op": "contains", "value": "eu"}, True),
    ({"key": "currency", "op": "in", "value": "USD, EUR"}, True),
    ({"key": "currency", "op": "in", "value": ["USD", "GBP"]}, False),
    ({"key": "coupon", "op": "is_set"}, False),
    ({"key": "coupon", "op": "is_not_set"}, True),
    ({"key": "cart_value", "op": "is_set"}, True),
    ({"key": "when", "op": "lt", "value": "2026-12-01"}, True),
    ({"key": "missing", "op": "gt", "value": 1}, False),
])
def test_one_filter(f, expected):
    assert filters_match(PROPS, [f]) is expected


def test_all_filters_must_hold_and_none_always_holds():
    assert filters_match(PROPS, [])
    assert filters_match(None, None)
    assert not filters_match(PROPS, [{"key": "cart_value", "op": "gt", "value": 100},
                                     {"key": "currency", "value": "USD"}])
