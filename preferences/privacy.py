"""GDPR data export (Art. 20) and erasure (Art. 17), open to every app that keeps customer data.

Like accounts/timeline.py, other apps register what they hold in their AppConfig.ready(): messaging adds
its deliveries to the export and deletes push subscriptions on erasure. preferences never imports them.
"""

from collections.abc import Callable
from typing import Any

ExportSection = Callable[[int], Any]  # customer_id -> JSON-serialisable data
Eraser = Callable[[int], int]  # customer_id -> how many rows it erased (an anonymous count)

_sections: dict[str, ExportSection] = {}
_erasers: dict[str, Eraser] = {}


def register_export_section(name: str, section: ExportSection) -> None:
    """Add `name: section(customer_id)` to every customer's data export."""
    _sections[name] = section


def register_eraser(name: str, eraser: Eraser) -> None:
    """Run `eraser(customer_id)` inside the erasure transaction; its count is kept as `name`."""
    _erasers[name] = eraser


def export_sections() -> list[tuple[str, ExportSection]]:
    return list(_sections.items())


def erasers() -> list[tuple[str, Eraser]]:
    return list(_erasers.items())
