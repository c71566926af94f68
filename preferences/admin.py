"""Admin for topics, consent history, the CSV import of opt-ins and the customer page additions."""

import csv
import io
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.admin import extend_customer_admin
from accounts.models import Customer
from preferences.models import (
    LANGUAGES,
    Channel,
    ConsentRecord,
    CustomerSettings,
    ErasureRecord,
    MarketingSend,
    Subscription,
    Topic,
)
from preferences.selectors import customers_opted_in
from preferences.services import ImportRow, consent_import

TRUE_WORDS = {"1", "true", "yes", "y", "in", "opt_in", "opted_in"}
FALSE_WORDS = {"0", "false", "no", "n", "out", "opt_out", "opted_out"}
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class TopicForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(choices=Channel.choices, widget=forms.CheckboxSelectMultiple)
    default_channels = forms.MultipleChoiceField(
        choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Opted in until the customer chooses. Transactional topics only.")

    class Meta:
        model = Topic
        fields = ["key", "kind", "channels", "default_channels", "double_opt_in", "shown_on_page", "order",
                  *(f"name_{lang}" for lang in LANGUAGES), *(f"description_{lang}" for lang in LANGUAGES)]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["name_en", "key", "kind", "channel_list", "default_list", "double_opt_in", "shown_on_page",
                    "order"]
    list_filter = ["kind", "shown_on_page", "double_opt_in"]
    search_fields = ["key", "name_en"]
    prepopulated_fields = {"key": ["name_en"]}
    fieldsets = [
        (None, {"fields": ["key", "kind", "channels", "default_channels", "double_opt_in", "shown_on_page",
                           "order"]}),
        ("Names", {"fields": ["name_en", "name_nl", "name_de", "name_pl", "name_sv"],
                   "description": "Shown on the customer's page in their language; empty falls back to English."}),
        ("Descriptions", {"fields": ["description_en", "description_nl", "description_de", "description_pl",
                                     "description_sv"]}),
    ]

    @admin.display(description="Channels")
    def channel_list(self, obj: Topic) -> str:
        return ", ".join(obj.channels or [])

    @admin.display(description="On by default")
    def default_list(self, obj: Topic) -> str:
        return ", ".join(obj.default_channels or []) or "—"


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: external_id, topic, channel, opted_in (yes/no).")
    wording_version = forms.CharField(max_length=32, help_text="Version of the text the customers agreed to.",
                                      initial=lambda: settings.PREFERENCES_WORDING_VERSION)

    def rows(self) -> tuple[list[ImportRow], list[str]]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB; split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc
        reader = csv.DictReader(io.StringIO(text))
        needed = {"external_id", "topic", "channel", "opted_in"}
        if not reader.fieldnames or not needed <= {f.strip() for f in reader.fieldnames}:
            raise forms.ValidationError(f"The header must name {', '.join(sorted(needed))}.")
        rows, errors = [], []
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
            value = row.get("opted_in", "").lower()
            if value not in TRUE_WORDS | FALSE_WORDS:
                errors.append(f"line {line}: opted_in must be yes or no, not {value!r}")
                continue
            rows.append(ImportRow(line=line, external_id=row["external_id"], topic_key=row["topic"],
                                  channel=row["channel"], opted_in=value in TRUE_WORDS))
        return rows, errors


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """The consent log is legal proof: readable and importable, never edited or deleted here."""

    list_display = ["created_at", "customer", "topic", "channel", "granted", "source", "wording_version", "ip"]
    list_filter = ["source", "granted", "channel", "topic"]
    search_fields = ["=customer__external_id"]
    search_help_text = "Exact customer external id."
    list_select_related = ["customer", "topic"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    change_list_template = "admin/preferences/consentrecord/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ConsentRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ConsentRecord | None = None) -> bool:
        return False

    def get_urls(self) -> list:  # type: ignore[type-arg]
        return [path("import/", self.admin_site.admin_view(self.import_view), name="preferences_consent_import"),
                *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("preferences.add_subscription"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                rows, errors = form.rows()
            except forms.ValidationError as exc:
                form.add_error("file", exc)
            else:
                result = consent_import(rows=rows, wording_version=form.cleaned_data["wording_version"])
                errors += result.errors
                self.message_user(request, f"Imported: {result.changed} change(s) recorded, {result.unchanged} "
                                  f"unchanged, {len(errors)} line(s) skipped.", messages.SUCCESS)
                for error in errors[:50]:
                    self.message_user(request, error, messages.WARNING)
                return HttpResponseRedirect(reverse("admin:preferences_consentrecord_changelist"))
        context = {**self.admin_site.each_context(request), "title": "Import opt-ins from CSV", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/preferences/consentrecord/import.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"can_import": request.user.has_perm("preferences.add_subscription"), **(extra_context or {})}
        return super().changelist_view(request, extra)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ErasureRecord)
class ErasureRecordAdmin(_ReadOnlyAdmin):
    list_display = ["erased_at", "customer_id", "source", "counts"]
    list_filter = ["source"]


@admin.register(MarketingSend)
class MarketingSendAdmin(_ReadOnlyAdmin):
    list_display = ["sent_at", "customer", "topic", "channel"]
    list_filter = ["channel", "topic"]
    list_select_related = ["customer", "topic"]
    search_fields = ["=customer__external_id"]
    show_full_result_count = False


# --- On the customer page -------------------------------------------------------------------------------

class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SubscriptionInline(_ReadOnlyInline):
    """Preferences are the customer's: marketers see them; changes go through the page, API or import."""

    model = Subscription
    fields = readonly_fields = ["topic", "channel", "opted_in", "source", "updated_at"]
    verbose_name_plural = "Preferences (topics not listed have their defaults)"


class CustomerSettingsInline(_ReadOnlyInline):
    model = CustomerSettings
    fields = readonly_fields = ["no_marketing_channels", "channel_order", "frequency", "quiet_hours_enabled",
                                "quiet_start", "quiet_end", "updated_at"]


class ConsentInline(_ReadOnlyInline):
    model = ConsentRecord
    fields = readonly_fields = ["created_at", "topic", "channel", "granted", "source", "wording_version", "ip",
                                "user_agent"]
    verbose_name_plural = "Consent history"
    ordering = ["-created_at", "-id"]


class OptedInFilter(admin.SimpleListFilter):
    title = "opted in to"
    parameter_name = "opted_in"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(f"{t.pk}:{c}", f"{t.name_en} · {Channel(c).label}") for t in Topic.objects.all()
                for c in (t.channels or []) if c in Channel.values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        value = self.value()
        if not value:
            return queryset
        topic_id, _, channel = value.partition(":")
        topic = Topic.objects.filter(pk=topic_id).first() if topic_id.isdigit() else None
        if topic is None:
            return queryset.none()
        return queryset.filter(pk__in=customers_opted_in(topic, channel).values("pk"))


extend_customer_admin(inlines=[CustomerSettingsInline, SubscriptionInline, ConsentInline],
                      list_filters=[OptedInFilter])
