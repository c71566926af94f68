from django.contrib import admin

from messaging.models import PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["customer", "short_endpoint", "active", "created_at", "last_success_at", "deactivation_reason"]
    list_filter = ["active"]
    search_fields = ["customer__external_id", "customer__email", "endpoint"]
    raw_id_fields = ["customer"]
    readonly_fields = [f.name for f in PushSubscription._meta.fields]

    @admin.display(description="endpoint")
    def short_endpoint(self, obj: PushSubscription) -> str:
        return obj.endpoint if len(obj.endpoint) <= 60 else obj.endpoint[:57] + "..."

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # browsers subscribe themselves
