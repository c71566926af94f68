"""Background entry points of links: ids in, one service call."""

from links.services import click_event_emit as _click_event_emit


def click_event_emit(click_id: int) -> int | None:
    return _click_event_emit(click_id=click_id)
