"""System checks for messaging settings that must hold together (STYLE rule 10)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string


@register()
def check_messaging_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    problems: list[Any] = []
    if settings.VAPID_PRIVATE_KEY:
        from messaging.channels.vapid import public_key_of

        try:
            public = public_key_of(settings.VAPID_PRIVATE_KEY)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the same configuration error
            problems.append(Error(f"VAPID_PRIVATE_KEY cannot be read: {exc}", id="messaging.E001"))
        else:
            if settings.VAPID_PUBLIC_KEY and settings.VAPID_PUBLIC_KEY.rstrip("=") != public:
                problems.append(Error("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY.", id="messaging.E002",
                                      hint="Set both from one `manage.py generate_vapid_keys` run."))
        if not settings.VAPID_SUBJECT.startswith(("mailto:", "https:")):
            problems.append(Error("VAPID_SUBJECT must be a mailto: or https: contact.", id="messaging.E003"))
    elif not settings.DEBUG:
        problems.append(Warning("VAPID_PRIVATE_KEY is not set: web push cannot be sent.", id="messaging.W001"))
    try:
        import_string(settings.SMS_BACKEND)
    except ImportError as exc:
        problems.append(Error(f"SMS_BACKEND cannot be imported: {exc}", id="messaging.E004"))
    return problems


@register()
def check_pipeline_timing(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The sweep must not take rows from a task that is still running: it waits longer than any task may."""
    timeout = settings.Q_CLUSTER.get("timeout") or 0
    if timeout >= settings.MESSAGING_STUCK_AFTER_SECONDS:
        return [Error(f"MESSAGING_STUCK_AFTER_SECONDS ({settings.MESSAGING_STUCK_AFTER_SECONDS}) must exceed "
                      f"Q_TIMEOUT ({timeout}).", id="messaging.E005")]
    return []
