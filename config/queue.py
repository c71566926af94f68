"""Enqueue background work after the surrounding transaction commits, passing ids only (STYLE rule 4)."""

from collections.abc import Hashable

from django.db import transaction
from django_q.tasks import async_task


def enqueue_on_commit(func_path: str, *args: Hashable | list, task_name: str | None = None) -> None:
    """Queue `func_path(*args)` on the django-q2 broker once the current transaction commits.

    Outside a transaction it is queued at once. Arguments must be ids or lists of ids, never model instances:
    the task reads fresh rows when it runs.
    """
    kwargs = {"task_name": task_name} if task_name else {}
    transaction.on_commit(lambda: async_task(func_path, *args, **kwargs))
