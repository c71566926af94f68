from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "preferences"
    verbose_name = "Preferences and consent"

    def ready(self) -> None:
        from accounts import timeline
        from preferences.selectors import consent_timeline_source

        timeline.register_source(consent_timeline_source)
