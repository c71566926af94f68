"""Deterministic A/B/n and control-group assignment: the same customer always lands in the same arm."""

import hashlib
from collections.abc import Sequence
from typing import Protocol


class Weighted(Protocol):
    pk: int
    weight: int


def _bucket(campaign_id: int, customer_id: int, salt: str) -> float:
    digest = hashlib.sha256(f"{campaign_id}:{customer_id}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(campaign_id: int, customer_id: int, control_percent: int,
           variants: Sequence[Weighted]) -> tuple[bool, int | None]:
    """Return (in_control, variant_id). Control and variant draws are independent hashes, so changing the
    control share does not reshuffle the variants of those who stay in the test."""
    if control_percent and _bucket(campaign_id, customer_id, "control") * 100 < control_percent:
        return True, None
    total = sum(max(v.weight, 0) for v in variants)
    if not total:
        return False, None
    point = _bucket(campaign_id, customer_id, "variant") * total
    for v in variants:
        point -= max(v.weight, 0)
        if point < 0:
            return False, v.pk
    return False, variants[-1].pk
