"""The public pages (plain HTML, work without JavaScript: the report form and the reporter's
status page, in the visitor's public language) and the clock's health."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from hotline.actors import Actor
from hotline.languages import in_public_language
from hotline.throttling import PublicIntakeThrottle, ReportStatusThrottle
from reports.forms import PublicReportForm, ReporterStatusForm
from reports.intake import report_submit, submission_clean
from reports.models import Channel
from reports.selectors.clock import clock_health
from reports.selectors.reporter import report_status_for_reporter


@require_http_methods(["GET", "POST"])
@in_public_language
def report_form(request):
    if request.method == "GET":
        return render(request, "reports/report_form.html", {"form": PublicReportForm()})
    form = PublicReportForm(request.POST)
    throttle = PublicIntakeThrottle()
    if not throttle.allow_request(request, None):
        form.add_error(
            None,
            _("Too many reports from your connection just now. Please try again in a minute."),
        )
        return render(request, "reports/report_form.html", {"form": form}, status=429)
    if form.is_valid():
        try:
            result = report_submit(
                submission=submission_clean(**form.cleaned_data),
                channel=Channel.WEB,
                actor=Actor.public(),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field, message)
        else:
            return render(
                request,
                "reports/report_received.html",
                {"reference": result.report.reference, "tracking_secret": result.tracking_secret},
                status=201,
            )
    return render(request, "reports/report_form.html", {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@in_public_language
def report_status(request):
    """The reporter's coarse status. Reference and secret are posted, never put in the URL,
    so that neither ends up in a log or a browser's history."""
    if request.method == "GET":
        return render(request, "reports/report_status.html", {"form": ReporterStatusForm()})
    form = ReporterStatusForm(request.POST)
    if not ReportStatusThrottle().allow_request(request, None):
        form.add_error(
            None,
            _("Too many look-ups from your connection just now. Please try again in a minute."),
        )
        return render(request, "reports/report_status.html", {"form": form}, status=429)
    if form.is_valid():
        found = report_status_for_reporter(
            reference=form.cleaned_data["reference"], secret=form.cleaned_data["tracking_secret"]
        )
        if found is not None:
            return render(request, "reports/report_status.html", {"form": None, "found": found})
        form.add_error(
            None,
            _("No report matches this reference and tracking secret. Check both and try again."),
        )
    return render(request, "reports/report_status.html", {"form": form}, status=400)


@never_cache
@require_GET
def clock_healthz(request):
    """Readiness of the deadline clock: 200 while workers sweep and nothing due waits, 503
    naming what stalled. /healthz (the web process's own liveness) does not depend on it."""
    health = clock_health()
    body = {
        "clock": "stalled" if health.stalled else "ok",
        "last_sweep_age_seconds": health.last_sweep_age,
        "workers": health.workers,
        "due_notices": health.due_notices,
        "oldest_due_age_seconds": health.oldest_due_age,
        "stall_after_seconds": settings.HOTLINE_CLOCK_STALL_SECONDS,
    }
    if health.stalled:
        body["detail"] = f"Clock stalled: {health.detail}."
    return JsonResponse(body, status=503 if health.stalled else 200)
