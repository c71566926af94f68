from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "links"
    verbose_name = "Links and QR codes"

    def ready(self) -> None:
        from accounts import timeline
        from links import checks  # noqa: F401 - registers the system checks
        from links.timeline import clicks_source

        timeline.register_source(clicks_source)
