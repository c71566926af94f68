from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender: AppConfig, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from django.apps import apps

    from accounts.roles import roles_sync

    # post_migrate is sent once per app that has models; by the last one's signal every permission exists.
    if sender is [a for a in apps.get_app_configs() if a.models_module is not None][-1]:
        roles_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customers and API"

    def ready(self) -> None:
        from accounts import timeline

        timeline.register_source(timeline.events_source)
        # Permissions of models added by later migrations exist only after migrate; keep the roles current.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.roles_sync")
