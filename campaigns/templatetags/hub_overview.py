from django import template

from campaigns.selectors import overview
from config.charts import line_chart

register = template.Library()


@register.inclusion_tag("admin/campaigns/overview.html")
def hub_overview() -> dict:
    data = overview()
    return {"o": data, "chart": line_chart(data.days, data.series, label="Last 7 days")}
