from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from accounts.models import ApiKey, Customer, Event
from accounts.services import api_key_create, api_key_revoke
from accounts.timeline import customer_timeline


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "full_name", "email", "phone", "locale", "timezone", "last_seen_at", "created_at"]
    list_filter = ["locale", "timezone", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=external_id", "email", "=phone", "first_name", "last_name"]
    search_help_text = "Search by external id or phone (exact), email or name (contains)."
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at", "last_seen_at", "timeline"]
    fieldsets = [
        (None, {"fields": ["external_id", ("first_name", "last_name"), "email", "phone"]}),
        ("Locale", {"fields": ["locale", "timezone", "birthday"]}),
        ("Attributes", {"fields": ["attributes"]}),
        ("Activity", {"fields": ["created_at", "updated_at", "last_seen_at", "timeline"]}),
    ]
    show_full_result_count = False

    @admin.display(description="Timeline (newest first)")
    def timeline(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        entries = customer_timeline(obj.pk, limit=100)
        if not entries:
            return "Nothing yet."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td><strong>{}</strong></td><td>{}</td></tr>",
            ((f"{e.at:%Y-%m-%d %H:%M:%S %Z}", e.kind, e.title, e.detail) for e in entries),
        )
        return format_html("<table><thead><tr><th>When</th><th>Kind</th><th>What</th><th>Details</th></tr>"
                           "</thead><tbody>{}</tbody></table>", rows)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Events are facts sent by the retailer's systems: readable here, never edited."""

    list_display = ["name", "customer", "occurred_at", "received_at"]
    list_filter = ["name", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["=customer__external_id", "=name"]
    search_help_text = "Exact customer external id or event name."
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "status", "created_at", "created_by", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        return ["name"] if obj is None else ["name", *self.readonly_fields]

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Keys are created and revoked, never edited; the change page is read-only.
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="Status", boolean=False)
    def status(self, obj: ApiKey) -> str:
        return "active" if obj.is_active else f"revoked {obj.revoked_at:%Y-%m-%d}"

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        key, raw = api_key_create(name=obj.name, created_by_id=request.user.pk)
        obj.pk = key.pk
        messages.warning(request, format_html(
            "API key for {} created. Copy it now, it will not be shown again: <code>{}</code>", key.name, raw))

    @admin.action(description="Revoke selected API keys", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        count = sum(api_key_revoke(api_key_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} API key(s) revoked; requests with them now get 401.")


def extend_customer_admin(*, inlines: list | None = None, list_filters: list | None = None) -> None:  # type: ignore[type-arg]
    """Let apps that build on accounts add inlines and list filters to the customer admin.

    Called from their admin.py; accounts never imports them, so dependencies keep pointing one way.
    """
    CustomerAdmin.inlines = [*CustomerAdmin.inlines, *(inlines or [])]
    CustomerAdmin.list_filter = [*CustomerAdmin.list_filter, *(list_filters or [])]
