"""What the report page shows besides the report: its removal checks and the provider its
hosting lookup suggests (read queries)."""

from django.conf import settings

from hotline.url import defang
from reports.models import HostingLookup, RemovalCheck, Report

CHECKS_SHOWN = 50  # the newest removal checks on the report page


def removal_checks_context(report: Report) -> dict:
    """The report page's "Removal checks": the history newest first (one query) and the next
    check due (one more, only while checks run)."""
    history = [
        {
            "check": check,
            "redirected_to": defang(check.redirected_to) if check.redirected_to else "",
            "content_type": check.headers.get("content-type", ""),
            "length": check.headers.get("content-length", ""),
        }
        for check in report.checks.filter(checked_at__isnull=False).order_by("-checked_at", "-id")[
            :CHECKS_SHOWN
        ]
    ]
    enabled = settings.HOTLINE_PROBES_ENABLED
    next_check = (
        RemovalCheck.objects.filter(report=report, checked_at__isnull=True)
        .order_by("due_at", "id")
        .first()
        if enabled
        else None
    )
    return {"checks": history, "next_check": next_check, "probes_enabled": enabled}


def lookup_suggestion(lookup: HostingLookup | None):
    """The directory provider the lookup points at (a candidate only once approved)."""
    if lookup is None:
        return None
    if lookup.provider is not None:
        return lookup.provider
    candidate = lookup.candidate
    return candidate.provider if candidate is not None and candidate.provider else None
