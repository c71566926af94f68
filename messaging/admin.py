"""Admin for templates (validated on save, previewed for a customer, test sends), deliveries (read-only, with
actions calling services), inbox messages and push subscriptions."""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.models import Customer
from messaging import rendering
from messaging.channels.sms import sms_segments
from messaging.models import (
    CONTENT_FIELDS,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    InboxMessage,
    MessageTemplate,
    PushSubscription,
    TemplateTranslation,
)
from messaging.services import deliveries_cancel_scheduled, deliveries_retry, template_test_send
from preferences.models import Channel

_REPLACE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class ContentValidationMixin:
    """A template error is shown on its field when saving, not discovered at send time."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        for name, problems in rendering.content_errors(cleaned).items():
            for problem in problems:
                self.add_error(name, problem)  # type: ignore[attr-defined]
        return cleaned


class MessageTemplateForm(ContentValidationMixin, forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["key", "name", "topic", "default_locale", *CONTENT_FIELDS, "push_ttl", "push_urgency",
                  "replace_key", "keep_in_inbox", "inbox_expiry_hours"]

    def clean_replace_key(self) -> str:
        key = self.cleaned_data.get("replace_key", "")
        if key and not _REPLACE_KEY.match(key):
            raise forms.ValidationError("1-32 of A-Z a-z 0-9 - _ (it becomes the web push Topic header).")
        return key


class TranslationForm(ContentValidationMixin, forms.ModelForm):
    class Meta:
        model = TemplateTranslation
        fields = ["locale", *CONTENT_FIELDS]


class TranslationInline(admin.StackedInline):
    model = TemplateTranslation
    form = TranslationForm
    extra = 0
    classes = ["collapse"]


class PreviewForm(forms.Form):
    customer = forms.CharField(max_length=128, help_text="The customer's external_id.")
    channel = forms.ChoiceField(choices=[("", "their own order"), *Channel.choices], required=False)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    inlines = [TranslationInline]
    list_display = ["key", "name", "topic", "default_locale", "replace_key", "keep_in_inbox", "updated_at"]
    list_filter = ["topic"]
    search_fields = ["key", "name"]
    prepopulated_fields = {"key": ["name"]}
    change_form_template = "admin/messaging/messagetemplate/change_form.html"
    fieldsets = [
        (None, {"fields": ["key", "name", "topic", "default_locale"],
                "description": "Every text is a Django template over customer (fields and attributes), "
                "data/event (the event's properties), topic and links (preferences, inbox, unsubscribe)."}),
        ("Web push", {"fields": ["push_title", "push_body", "push_url", "push_image", "push_icon", "push_ttl",
                                 "push_urgency", "replace_key", "keep_in_inbox"]}),
        ("Email", {"fields": ["email_subject", "email_html", "email_text"]}),
        ("SMS", {"fields": ["sms_text"]}),
        ("Inbox", {"fields": ["inbox_title", "inbox_body", "inbox_url", "inbox_image", "inbox_expiry_hours"]}),
    ]

    def get_urls(self) -> list[Any]:
        own = [
            path("sms-info/", self.admin_site.admin_view(self.sms_info), name="messaging_sms_info"),
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview), name="messaging_template_preview"),
        ]
        return own + super().get_urls()

    def sms_info(self, request: HttpRequest) -> JsonResponse:
        """Length, encoding and segments of an SMS text (the truth; the page's JS only asks)."""
        info = sms_segments(request.GET.get("text", "")[:5000])
        return JsonResponse({"length": info.length, "encoding": info.encoding, "segments": info.segments})

    def preview(self, request: HttpRequest, pk: int) -> HttpResponse:
        template = get_object_or_404(MessageTemplate, pk=pk)
        if not self.has_view_permission(request, template):
            return HttpResponseRedirect(reverse("admin:index"))
        form = PreviewForm(request.POST or request.GET or None)
        rendered, customer, error = None, None, ""
        if form.is_bound and form.is_valid():
            customer = Customer.objects.filter(external_id=form.cleaned_data["customer"]).first()
            if customer is None:
                form.add_error("customer", "No such customer.")
        if customer is not None:
            if request.method == "POST" and self.has_change_permission(request, template):
                delivery = template_test_send(template_id=template.pk, customer_id=customer.pk,
                                              channel=form.cleaned_data["channel"] or None)
                url = reverse("admin:messaging_delivery_change", args=[delivery.pk])
                self.message_user(request, f"Test message planned: delivery {delivery.pk} ({url}).", messages.SUCCESS)
                return HttpResponseRedirect(request.path + f"?customer={customer.external_id}")
            raw = rendering.content_for(template=template, content=None, locale=customer.locale)
            context = rendering.build_context(customer=customer, data={"test": True}, topic=template.topic,
                                              channel=form.cleaned_data["channel"] or Channel.EMAIL)
            try:
                rendered = rendering.render_content(raw, context)
            except rendering.RenderError as exc:
                error = str(exc)
        sms = sms_segments(rendered.sms_text) if rendered else None
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": template,
                   "title": f"Preview: {template}", "form": form, "rendered": rendered, "customer": customer,
                   "error": error, "sms": sms, "can_send": self.has_change_permission(request, template)}
        return TemplateResponse(request, "admin/messaging/messagetemplate/preview.html", context)


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "at", "detail"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "topic", "template", "channel", "status", "suppressed_reason", "source",
                    "attempts", "scheduled_at", "sent_at", "opened_at"]
    list_filter = ["status", "channel", "source", "suppressed_reason", "topic"]
    search_fields = ["customer__external_id", "dedupe_key", "provider_message_id"]
    list_select_related = ["customer", "topic", "template"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryEventInline]
    actions = ["retry_failed", "cancel_scheduled"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of rows on every page view is not worth it

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Retry the selected failed deliveries", permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.filter(status=DeliveryStatus.FAILED).values_list("pk", flat=True))
        self.message_user(request, f"{deliveries_retry(delivery_ids=ids)} deliveries queued again.")

    @admin.action(description="Cancel the selected scheduled deliveries", permissions=["change"])
    def cancel_scheduled(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.filter(status=DeliveryStatus.SCHEDULED).values_list("pk", flat=True))
        self.message_user(request, f"{deliveries_cancel_scheduled(delivery_ids=ids)} deliveries cancelled.")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is read-only (no save), but the actions need the change permission.
        return obj is None and super().has_change_permission(request, obj)


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "topic", "created_at", "read_at", "archived_at", "expires_at", "replace_key"]
    list_filter = ["topic"]
    search_fields = ["customer__external_id", "title"]
    raw_id_fields = ["customer", "delivery"]
    readonly_fields = ["created_at", "read_at", "archived_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages arrive through deliveries


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


