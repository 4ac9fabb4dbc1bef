from django import template
from django.urls import reverse

from reports.selectors.queues import QUEUES, queue_counts

register = template.Library()


@register.inclusion_tag("admin/reports/queues.html", takes_context=True)
def triage_queues(context):
    """The queues with their counts, for the admin index."""
    request = context["request"]
    if not request.user.has_perm("reports.view_report"):
        return {"queues": [], "sla": False}
    counts = queue_counts(request)
    changelist = reverse("admin:reports_report_changelist")
    return {
        "queues": [
            {"label": label, "count": counts[name], "url": f"{changelist}?queue={name}"}
            for name, (label, _condition) in QUEUES.items()
        ],
        "sla": request.user.has_perm("reports.view_sla"),
    }
