"""Periodic tasks are django-q2 Schedules registered by data migrations, so every `migrate` (and so every
deployment and `make run`) has them, keyed by name so that running a migration again changes nothing."""

from collections.abc import Callable, Sequence
from typing import Any

Spec = tuple[str, str, int]  # name, task path, minutes between runs


def schedule_operations(specs: Sequence[Spec]) -> tuple[Callable[..., None], Callable[..., None]]:
    """(forward, backward) functions for migrations.RunPython that add or remove these schedules."""

    def add(apps: Any, schema_editor: Any) -> None:
        Schedule = apps.get_model("django_q", "Schedule")
        for name, func, minutes in specs:
            Schedule.objects.update_or_create(name=name, defaults={"func": func, "schedule_type": "I",
                                                                   "minutes": minutes, "repeats": -1})

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_q", "Schedule").objects.filter(name__in=[name for name, _, _ in specs]).delete()

    return add, remove
