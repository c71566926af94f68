"""Property filters on one event, in Python, with the same meaning as the SQL ones in segments.py.

Used where a single event is at hand (a trigger, a conversion goal), so no query is needed.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from campaigns.models import Operator


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def filter_matches(properties: Mapping[str, Any], f: Mapping[str, Any]) -> bool:
    key, op, expected = f.get("key"), f.get("op", Operator.EQ), f.get("value")
    present = key in properties and properties[key] is not None
    if op == Operator.IS_SET:
        return present
    if op == Operator.IS_NOT_SET:
        return not present
    if op == Operator.NE:
        return not present or not _equal(properties[key], expected)
    if not present:
        return False
    actual = properties[key]
    if op == Operator.EQ:
        return _equal(actual, expected)
    if op == Operator.CONTAINS:
        return str(expected).lower() in str(actual).lower()
    if op == Operator.IN:
        options = expected if isinstance(expected, list) else [v.strip() for v in str(expected).split(",")]
        return any(_equal(actual, o) for o in options)
    a, b = _number(actual), _number(expected)
    if a is None or b is None:
        a, b = str(actual), str(expected)  # ISO dates and text compare as text, like the SQL on JSON
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}.get(op, False)


def _equal(actual: Any, expected: Any) -> bool:
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None:
        return a == b
    return str(actual) == str(expected)


def filters_match(properties: Mapping[str, Any] | None, filters: list[Mapping[str, Any]] | None) -> bool:
    """True when every filter holds (an empty list always holds)."""
    props = properties or {}
    return all(filter_matches(props, f) for f in filters or [])
