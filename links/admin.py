"""Admin for links (with click statistics, a 30-day chart and QR downloads), landing pages and clicks."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from links.models import Click, LandingPage, Link
from links.selectors import link_clicks_by_day, link_recent_clicks, links_with_stats
from links.services import landing_page_save, link_create, link_update, links_delete, normalize_slug

CHART_DAYS = 30
# "shop.example/app" typed without a scheme becomes https://, the only sensible default for a destination.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class LinkAdminForm(forms.ModelForm):
    class Meta:
        model = Link
        fields = ["title", "slug", "campaign", "is_active", "ios_url", "android_url", "default_url", "landing_page",
                  "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "valid_from",
                  "valid_until", "max_clicks", "description", "image_url", "qr_error_correction"]

    def clean_slug(self) -> str:
        # Lower-cased before the uniqueness check, so "Spring" is reported as taken when "spring" exists.
        return normalize_slug(self.cleaned_data.get("slug"))


def _chart(days: list[tuple[Any, int]]) -> SafeString:
    """An inline SVG bar chart (no script, no CDN): one bar per day, the day and count as its tooltip."""
    width, height, gap = 600, 120, 2
    bar = width / len(days)
    peak = max((n for _, n in days), default=0) or 1
    # format_html escapes its arguments into strings, so the numbers are formatted first.
    bars = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" fill="#1f6feb">'
                            "<title>{}: {}</title></rect>",
                            ((f"{i * bar:.1f}", f"{height - n * height / peak:.1f}", f"{bar - gap:.1f}",
                              f"{n * height / peak:.1f}", d.isoformat(), n) for i, (d, n) in enumerate(days)))
    total = sum(n for _, n in days)
    return format_html(
        '<svg role="img" aria-label="Clicks per day" viewBox="0 0 {} {}" width="{}" height="{}" '
        'style="background:#f6f8fa;border:1px solid #d0d7de">{}</svg>'
        '<div class="help">{} to {} (UTC): {} clicks, at most {} a day.</div>',
        width, height, width, height, bars, days[0][0].isoformat(), days[-1][0].isoformat(), total, peak
        if total else 0)


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    form = LinkAdminForm
    formfield_overrides = URL_FIELDS
    list_display = ["slug", "title", "campaign", "is_active", "total_clicks", "by_device", "qr_or_direct",
                    "last_click", "created_at"]
    list_filter = ["is_active", "qr_error_correction", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["slug", "title", "campaign"]
    autocomplete_fields = ["landing_page"]
    readonly_fields = ["short_link", "qr_code", "click_chart", "recent_clicks", "created_by", "created_at",
                       "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "short_link", "campaign", "is_active"]}),
        ("Destinations", {"fields": ["ios_url", "android_url", "default_url", "landing_page"],
                          "description": "iOS and Android fall back to the default destination (or the landing "
                          "page). Only http(s) URLs."}),
        ("UTM parameters", {"fields": [("utm_source", "utm_medium", "utm_campaign"), ("utm_term", "utm_content")],
                            "description": "Added to every destination; its own parameters and #fragment stay."}),
        ("Validity", {"fields": [("valid_from", "valid_until"), "max_clicks"]}),
        ("Link preview (WhatsApp, Slack, ...)", {"fields": ["description", "image_url"]}),
        ("QR code", {"fields": ["qr_error_correction", "qr_code"]}),
        ("Clicks", {"fields": ["click_chart", "recent_clicks"]}),
        ("History", {"fields": ["created_by", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Link]:
        # One query for the whole page of links, their click counts and last click.
        return links_with_stats(super().get_queryset(request).defer("qr_svg", "qr_png"))

    def get_fieldsets(self, request: HttpRequest, obj: Link | None = None) -> list[Any]:
        if obj is None:  # nothing to show before the link exists
            return [(n, {**o, "fields": [f for f in o["fields"] if f not in self.readonly_fields]})
                    for n, o in self.fieldsets[:-2]]
        return self.fieldsets

    @admin.display(description="Clicks", ordering="clicks_total")
    def total_clicks(self, obj: Link) -> int:
        return obj.clicks_total

    @admin.display(description="By device")
    def by_device(self, obj: Link) -> str:
        return (f"iOS {obj.clicks_ios} · Android {obj.clicks_android} · Desktop {obj.clicks_desktop}"
                f" · Other {obj.clicks_other}")

    @admin.display(description="QR / direct", ordering="clicks_qr")
    def qr_or_direct(self, obj: Link) -> str:
        return f"{obj.clicks_qr} / {obj.clicks_direct}"

    @admin.display(description="Last click", ordering="last_click_at")
    def last_click(self, obj: Link) -> Any:
        return obj.last_click_at

    @admin.display(description="Short URL")
    def short_link(self, obj: Link) -> str:
        if obj.pk is None:
            return "—"
        return format_html(
            '<input type="text" readonly value="{}" size="40" onfocus="this.select()"> '
            '<button type="button" class="button" data-url="{}" '
            "onclick=\"navigator.clipboard.writeText(this.dataset.url).then(() => {{ this.textContent = 'Copied'; }})"
            '">Copy</button>', obj.short_url, obj.short_url)

    @admin.display(description="QR code")
    def qr_code(self, obj: Link) -> str:
        if obj.pk is None:
            return "—"
        base = f"/l/{obj.slug}"
        return format_html(
            '<img src="{}/qr.svg" width="180" height="180" alt="QR code" style="background:#fff"><br>'
            '<a class="button" href="{}/qr.svg?download=1">Download SVG for print</a> '
            '<a class="button" href="{}/qr.png?size=1024&amp;download=1">Download PNG (1024 px)</a>'
            '<div class="help">Encodes {} (scans are counted apart from clicks).</div>',
            base, base, base, obj.qr_payload)

    @admin.display(description=f"Last {CHART_DAYS} days")
    def click_chart(self, obj: Link) -> str:
        if obj.pk is None:
            return "—"
        return _chart(link_clicks_by_day(link_id=obj.pk, days=CHART_DAYS))

    @admin.display(description="Latest clicks")
    def recent_clicks(self, obj: Link) -> str:
        clicks = link_recent_clicks(link_id=obj.pk, limit=50) if obj.pk else []
        if not clicks:
            return "No clicks yet."
        rows = format_html_join("", "<tr>" + "<td>{}</td>" * 9 + "</tr>", (
            (f"{c.clicked_at:%Y-%m-%d %H:%M:%S}", c.get_platform_display(), c.device, c.os, c.browser,
             "yes" if c.from_qr else "", c.referrer, c.customer_id or "", c.delivery_id or "") for c in clicks))
        return format_html("<table><thead><tr><th>When (UTC)</th><th>Device</th><th>Model</th><th>OS</th>"
                           "<th>Browser</th><th>QR</th><th>Referrer</th><th>Customer</th><th>Delivery</th></tr>"
                           "</thead><tbody>{}</tbody></table>", rows)

    def save_model(self, request: HttpRequest, obj: Link, form: forms.ModelForm, change: bool) -> None:
        if change:
            link = link_update(link_id=obj.pk, data=form.cleaned_data)
        else:
            link = link_create(data=form.cleaned_data, created_by_id=request.user.pk)
            obj.pk = link.pk
            obj._state.adding = False
        obj.slug = link.slug

    def delete_model(self, request: HttpRequest, obj: Link) -> None:
        links_delete(link_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Link]) -> None:
        links_delete(link_ids=list(queryset.values_list("pk", flat=True)))


@admin.register(LandingPage)
class LandingPageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_published", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    formfield_overrides = URL_FIELDS
    readonly_fields = ["preview"]
    fields = ["title", "slug", "is_published", "hero_image_url", "body", "app_store_url", "play_store_url",
              "preview"]

    @admin.display(description="Preview (phone width)")
    def preview(self, obj: LandingPage) -> str:
        if obj.pk is None:
            return "Save to preview."
        return format_html('<a href="{}" target="_blank">Open /p/{}</a><br>'
                           '<iframe src="{}" title="Preview" width="390" height="700" '
                           'style="border:1px solid #d0d7de;border-radius:12px;margin-top:.5rem"></iframe>',
                           obj.get_absolute_url(), obj.slug, obj.get_absolute_url())

    def save_model(self, request: HttpRequest, obj: LandingPage, form: forms.ModelForm, change: bool) -> None:
        landing_page_save(page=obj)


@admin.register(Click)
class ClickAdmin(admin.ModelAdmin):
    """Clicks are facts: readable and filterable here, never edited."""

    list_display = ["clicked_at", "link", "platform", "device", "os", "browser", "from_qr", "customer",
                    "delivery_id"]
    list_filter = ["platform", "from_qr", ("clicked_at", admin.DateFieldListFilter)]
    search_fields = ["=link__slug", "=customer__external_id"]
    list_select_related = ["link", "customer"]
    date_hierarchy = "clicked_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Click | None = None) -> bool:
        return False
