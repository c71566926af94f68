from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from accounts import timeline
        from messaging import (
            checks,  # noqa: F401 - registers the system checks
            selectors,
            services,
        )
        from preferences import privacy

        timeline.register_source(selectors.deliveries_timeline_source)
        privacy.register_export_section("deliveries", selectors.deliveries_export)
        privacy.register_export_section("inbox_messages", selectors.inbox_export)
        privacy.register_export_section("push_subscriptions", selectors.push_subscriptions_export)
        privacy.register_eraser("push_subscriptions", services.push_subscriptions_erase)
        privacy.register_eraser("inbox_messages", services.inbox_messages_erase)
        privacy.register_eraser("delivery_data", services.delivery_data_erase)
