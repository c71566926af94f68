import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from campaigns.models import Segment, SegmentGroup, SegmentRule
from campaigns.segments import rule_validate, segment_customers

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
