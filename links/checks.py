"""System checks for the links settings that must hold together (STYLE rule 10)."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def links_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if settings.LINKS_CLICK_SPOOL:
        directory = Path(settings.LINKS_CLICK_SPOOL_DIR)
        parent = directory if directory.exists() else directory.parent
        if not os.access(parent, os.W_OK):
            problems.append(Error(
                f"LINKS_CLICK_SPOOL_DIR {directory} is not writable, so clicks could not be recorded.",
                hint="Point LINKS_CLICK_SPOOL_DIR at a local, writable directory, or set LINKS_CLICK_SPOOL=0.",
                id="links.E001"))
        if settings.LINKS_CLICK_SPOOL_SECONDS <= 0:
            problems.append(Error("LINKS_CLICK_SPOOL_SECONDS must be above 0.", id="links.E002"))
    if settings.BENCH_BASELINE and not settings.DEBUG:
        problems.append(Warning("BENCH_BASELINE adds /__bench__/redirect; it is meant for `python -m bench.links`.",
                                id="links.W001"))
    return problems
