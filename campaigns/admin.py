import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from campaigns.dryrun import campaign_dry_run
from campaigns.models import Campaign, CampaignStatus, CampaignStep, Segment, SegmentGroup, SegmentRule, Variant
from campaigns.results import campaign_results
from campaigns.segments import rule_validate, segment_customers
from campaigns.services import (
    InvalidTransition,
    NotReady,
    campaign_launch,
    campaign_pause,
    campaign_resume,
    campaign_stop,
)
from config.charts import line_chart

SAMPLE = 10
RULE_FIELDS = ["kind", "negate", "field", "operator", "value", "value_type", "event_name", "event_filters",
               "within_days", "min_count"]


class SegmentGroupInline(admin.TabularInline):
    model = SegmentGroup
    extra = 0
    fields = ["name", "match", "position"]


class SegmentRuleInline(admin.StackedInline):
    model = SegmentRule
    extra = 1
    fields = [("group", "position"), ("kind", "negate"), ("field", "operator", "value", "value_type"),
              ("event_name", "within_days", "min_count"), "event_filters"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "group":
            segment_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = SegmentGroup.objects.filter(segment_id=segment_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "match", "rule_count", "updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["audience"]
    fields = ["name", "description", "match", "audience"]
    inlines = [SegmentGroupInline, SegmentRuleInline]

    class Media:
        js = ["admin/js/segment-preview.js"]

    @admin.display(description="Rules")
    def rule_count(self, obj: Segment) -> int:
        return obj.rules.count()

    @admin.display(description="Audience now")
    def audience(self, obj: Segment) -> str:
        if obj.pk is None:
            return "Save the segment to see who is in it."
        return _audience_html(segment_customers(obj))

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [path("preview/", self.admin_site.admin_view(self.preview), name="campaigns_segment_preview"),
                *super().get_urls()]

    def preview(self, request: HttpRequest) -> JsonResponse:
        """Count and sample for rules as they stand in the (unsaved) form: the page posts them as JSON."""
        if request.method != "POST" or not self.has_view_permission(request):
            return JsonResponse({"error": "POST the rules."}, status=405)
        try:
            data = json.loads(request.body or b"{}")
            segment, rules = _unsaved_segment(data)
        except (ValueError, TypeError, KeyError) as exc:
            return JsonResponse({"error": f"Unreadable rules: {exc}"}, status=400)
        except ValidationError as exc:
            return JsonResponse({"error": "; ".join(f"rule: {m}" for m in exc.messages)}, status=400)
        customers = segment_customers(segment, rules=rules)
        return JsonResponse({"html": _audience_html(customers)})


def _audience_html(customers) -> str:  # type: ignore[no-untyped-def]
    count = customers.count()
    sample = customers.order_by("pk")[:SAMPLE]
    rows = format_html_join(", ", '<a href="{}">{}</a>', (
        (reverse("admin:accounts_customer_change", args=[c.pk]), c.external_id) for c in sample))
    return format_html("<strong>{}</strong> customers match. {}{}", f"{count:,}",
                       "For example: " if count else "", rows)


def _unsaved_segment(data: dict[str, Any]) -> tuple[Segment, list[SegmentRule]]:
    segment = Segment(name="preview", match=data.get("match") or "all")
    groups = {g["id"]: SegmentGroup(segment=segment, name=g.get("name", ""), match=g.get("match") or "any")
              for g in data.get("groups", []) if g.get("id")}
    rules = []
    for raw in data.get("rules", []):
        values = {k: raw[k] for k in RULE_FIELDS if k in raw and raw[k] not in ("", None)}
        if "event_filters" in values and isinstance(values["event_filters"], str):
            values["event_filters"] = json.loads(values["event_filters"])
        for int_field in ("within_days", "min_count"):
            if int_field in values:
                values[int_field] = int(values[int_field])
        for fk in ("campaign", "topic"):
            if raw.get(fk):
                values[f"{fk}_id"] = int(raw[fk])
        values["negate"] = bool(raw.get("negate"))
        rule = SegmentRule(segment=segment, **values)
        rule.group = groups.get(raw.get("group")) if raw.get("group") else None
        rule_validate(rule)
        rules.append(rule)
    return segment, rules


# --- Campaigns ------------------------------------------------------------------------------------------

EDITABLE = {CampaignStatus.DRAFT}


class LockedWhenLaunched:
    """Content of a launched campaign is locked: what customers got must match what results report."""

    def _locked(self, obj) -> bool:  # type: ignore[no-untyped-def]
        campaign = obj if isinstance(obj, Campaign) else getattr(obj, "campaign", None)
        return campaign is not None and campaign.pk is not None and campaign.status not in EDITABLE

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_add_permission(self, request, *obj):  # type: ignore[no-untyped-def]
        # ModelAdmin asks with the request alone, inlines with the parent object too.
        return super().has_add_permission(request, *obj) and not self._locked(obj[0] if obj else None)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return super().has_delete_permission(request, obj) and not self._locked(obj)


class CampaignStepInline(LockedWhenLaunched, admin.TabularInline):
    model = CampaignStep
    extra = 0
    fields = ["position", "template", "delay_minutes", "condition", "channel_strategy", "channels"]


class VariantInline(LockedWhenLaunched, admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["name", "weight", "templates"]


@admin.register(Campaign)
class CampaignAdmin(LockedWhenLaunched, admin.ModelAdmin):
    list_display = ["name", "kind", "status", "audience_size", "launched_at", "results_link"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "trigger_event"]
    readonly_fields = ["status", "launched_at", "fanout_done_at", "results_link", "dry_run_link"]
    autocomplete_fields = ["segment"]
    inlines = [CampaignStepInline, VariantInline]
    actions = ["launch", "pause", "resume", "stop"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "status", "segment", ("results_link", "dry_run_link")]}),
        ("Broadcast", {"fields": ["send_at", "local_send_time"], "classes": ["collapse"],
                       "description": "Send once to the segment, at launch or at a time."}),
        ("Triggered", {"fields": ["trigger_event", "trigger_filters", "exception_events", ("starts_at", "ends_at"),
                                  "reentry_days", ("cap_count", "cap_days")], "classes": ["collapse"],
                       "description": "Each matching event enters its customer; exception events cancel what is "
                       "still pending for them."}),
        ("Lifecycle", {"fields": ["lifecycle", "inactive_days", "local_hour"], "classes": ["collapse"],
                       "description": "Checked every hour; customers enter at the local hour given."}),
        ("When to send", {"fields": [("window_start", "window_end")],
                          "description": "Outside this daily window (the customer's local time) sends wait for "
                          "it to open."}),
        ("Experiment and goal", {"fields": ["control_percent", "goal_event", "goal_filters", "attribution_days"]}),
        ("History", {"fields": ["launched_at", "fanout_done_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Audience")
    def audience_size(self, obj: Campaign) -> int:
        return obj.entries.count()

    @admin.display(description="Results")
    def results_link(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "—"
        return format_html('<a href="{}">Results</a>', reverse("admin:campaigns_campaign_results", args=[obj.pk]))

    @admin.display(description="Dry run")
    def dry_run_link(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "Save first."
        return format_html('<a href="{}">Dry run: who would get it, and who not</a>',
                           reverse("admin:campaigns_campaign_dry_run", args=[obj.pk]))

    def get_urls(self):  # type: ignore[no-untyped-def]
        view = self.admin_site.admin_view
        return [path("<int:pk>/results/", view(self.results_view), name="campaigns_campaign_results"),
                path("<int:pk>/dry-run/", view(self.dry_run_view), name="campaigns_campaign_dry_run"),
                *super().get_urls()]

    def results_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        results = campaign_results(campaign)
        days = [d for d, *_ in results.daily]
        chart = line_chart(days, {"sends": [r[1] for r in results.daily], "opens": [r[2] for r in results.daily],
                                  "conversions": [r[3] for r in results.daily]}, label="Sends, opens and conversions")
        return TemplateResponse(request, "admin/campaigns/results.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "campaign": campaign,
            "results": results, "chart": chart, "title": f"Results: {campaign.name}"})

    def dry_run_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        report = campaign_dry_run(campaign=campaign)
        return TemplateResponse(request, "admin/campaigns/dry_run.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "campaign": campaign,
            "report": report, "channels": sorted(report.by_channel.items()),
            "reasons": sorted(report.suppressed.items()), "title": f"Dry run: {campaign.name}"})

    def _confirm(self, request: HttpRequest, queryset, verb: str, service, consequence: str):  # type: ignore[no-untyped-def]
        """Ask once, then apply the service to each campaign and say what happened to each."""
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(request, "admin/campaigns/confirm.html", {
                **self.admin_site.each_context(request), "opts": self.model._meta, "campaigns": queryset,
                "verb": verb, "consequence": consequence, "action": request.POST.get("action"),
                "title": f"{verb.capitalize()} campaigns?"})
        for campaign in queryset:
            try:
                service(campaign_id=campaign.pk)
                self.message_user(request, f"{campaign.name}: {verb} done.", messages.SUCCESS)
            except (InvalidTransition, NotReady) as exc:
                self.message_user(request, f"{campaign.name}: {exc}", messages.ERROR)
        return None

    @admin.action(description="Launch selected campaigns", permissions=["view"])
    def launch(self, request, queryset):  # type: ignore[no-untyped-def]
        return self._confirm(request, queryset, "launch", campaign_launch,
                             "Broadcasts start sending to their audience at once (or at their send time); "
                             "triggered and lifecycle campaigns start listening. Their content is then locked.")

    @admin.action(description="Pause selected campaigns", permissions=["view"])
    def pause(self, request, queryset):  # type: ignore[no-untyped-def]
        return self._confirm(request, queryset, "pause", campaign_pause,
                             "Nothing new is planned until you resume; deliveries already queued still go out.")

    @admin.action(description="Resume selected campaigns", permissions=["view"])
    def resume(self, request, queryset):  # type: ignore[no-untyped-def]
        return self._confirm(request, queryset, "resume", campaign_resume,
                             "Steps that came due while paused are planned at once.")

    @admin.action(description="Stop selected campaigns", permissions=["view"])
    def stop(self, request, queryset):  # type: ignore[no-untyped-def]
        return self._confirm(request, queryset, "stop", campaign_stop,
                             "For good: customers leave the campaign and deliveries not yet sent are cancelled.")
