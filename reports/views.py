"""The public pages (plain HTML, work without JavaScript: the report form and the reporter's
status page, in the visitor's public language), the providers' one-click answer page (in the
provider's language), and the clock's health."""

import math
from datetime import UTC
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.languages import in_public_language
from hotline.throttling import (
    AnswerLinkThrottle,
    AnswerPageClientThrottle,
    PublicIntakeThrottle,
    ReportStatusThrottle,
)
from reports.answers import ANSWER_ACKNOWLEDGE, ANSWER_REMOVED, notice_answer
from reports.forms import NoticeAnswerForm, PublicReportForm, ReporterStatusForm
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Notice
from reports.notices import message_reference
from reports.selectors.answer_page import answer_link_find, answer_link_notice, answer_page_entries
from reports.selectors.clock import clock_health
from reports.selectors.reporter import report_status_for_reporter
from reports.workflow import NoticeClosed

# The session key under which a filed report's reference and secret wait for their one answer.
RECEIVED_SESSION_KEY = "report_received"


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303  # the answer page is fetched with GET, whatever filed the report


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
            # Post, redirect, get: a reload of the answer files nothing again. The secret waits
            # in the (server-side) session for that one answer, never in the redirect's URL.
            request.session[RECEIVED_SESSION_KEY] = {
                "reference": result.report.reference,
                "tracking_secret": result.tracking_secret,
            }
            return HttpResponseSeeOther(reverse("report-received"))
    return render(request, "reports/report_form.html", {"form": form}, status=400)


@never_cache
@require_GET
@in_public_language
def report_received(request):
    """The answer to a report, shown once: a reload says it was shown and shows nothing."""
    received = request.session.pop(RECEIVED_SESSION_KEY, None)
    return render(request, "reports/report_received.html", {"received": received})


@never_cache
@require_http_methods(["GET", "POST"])
@in_public_language
def report_status(request):
    """The reporter's coarse status. Reference and secret are posted, never put in the URL,
    so that neither ends up in a log or a browser's history."""
    if request.method == "GET":
        return render(request, "reports/report_status.html", {"form": ReporterStatusForm()})
    form = ReporterStatusForm(request.POST)
    throttle = ReportStatusThrottle()
    if not throttle.allow_request(request, None):
        form.add_error(
            None,
            _("Too many look-ups from your connection just now. Please try again in a minute."),
        )
        response = render(request, "reports/report_status.html", {"form": form}, status=429)
        response["Retry-After"] = str(math.ceil(throttle.wait() or 1))  # as the API says
        return response
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


# --- the one-click answer page ----------------------------------------------------------------


def _secret_url(view):
    """Headers for a page whose URL is a secret: nothing keeps or passes it on."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # same-origin (the site's policy, restated): the URL never goes to another site, and the
        # page's own posts keep their Origin, so Django's CSRF check stays whole.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)  # Cache-Control: ... no-store ...
        return response

    return wrapper


@_secret_url
@require_http_methods(["GET", "POST"])
def notice_answer_page(request, token):
    """A provider's notices from one message, answered without an account: GET shows them and
    never changes anything (mail scanners open links); each answer is a POST that redirects
    back here with what was recorded."""
    for throttle in (AnswerPageClientThrottle(), AnswerLinkThrottle()):
        if not throttle.allow_request(request, None):
            response = render(request, "reports/answer/throttled.html", status=429)
            response["Retry-After"] = str(math.ceil(throttle.wait() or 1))
            return response
    link = answer_link_find(token)
    if link is None:  # unknown or expired: one answer, in the asker's language
        return render(
            request,
            "reports/answer/link_invalid.html",
            {"org_email": settings.HOTLINE_ORG_EMAIL},
            status=404,
        )
    language = link.provider.language
    with translation.override(language):
        if request.method == "POST":
            response = _answer_record(request, link)
        else:
            response = _answer_page(request, link)
    response["Content-Language"] = language
    return response


def _answer_page(request, link, *, status=200, not_found=False):
    context = {
        "provider": link.provider,
        "entries": answer_page_entries(link),
        "message_ref": message_reference(link.message),
        "not_found": not_found,
        "org_name": settings.HOTLINE_ORG_NAME,
        "org_email": settings.HOTLINE_ORG_EMAIL,
        "api_docs": f"{settings.HOTLINE_PUBLIC_URL}/api/docs/",
    }
    return render(request, "reports/answer/page.html", context, status=status)


def _answer_record(request, link):
    notice = answer_link_notice(link, request.POST.get("notice", ""))
    if notice is None:  # not on this page: another message's, another provider's, or none
        return _answer_page(request, link, status=404, not_found=True)
    reference = notice.report.reference
    form = NoticeAnswerForm(request.POST, notice=notice)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(
                    request,
                    _("%(reference)s: nothing was recorded. %(why)s")
                    % {"reference": reference, "why": error},
                )
        return HttpResponseRedirect(request.path)
    answer = form.cleaned_data["answer"]
    try:
        answered = notice_answer(
            link,
            notice,
            answer,
            removed_at=form.cleaned_data["removed_at"],
            reason=form.cleaned_data["reason"],
        )
    except NoticeClosed:
        notice.refresh_from_db()
        messages.error(
            request,
            _("%(reference)s is %(state)s: it can no longer be answered. Nothing was recorded.")
            % {"reference": reference, "state": notice.get_status_display()},
        )
    except DomainError as error:
        messages.error(
            request,
            _("%(reference)s: nothing was recorded. %(why)s")
            % {"reference": reference, "why": error.message},
        )
    else:
        messages.success(request, _answer_recorded(answer, answered, reference))
    return HttpResponseRedirect(request.path)


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _answer_recorded(answer: str, notice: Notice, reference: str) -> str:
    """What the provider is told was recorded, by the notice's state after its answer."""
    if answer == ANSWER_REMOVED and notice.status == Notice.Status.REMOVED:
        return _("Recorded: %(reference)s removed at %(at)s (UTC). Thank you.") % {
            "reference": reference,
            "at": _utc(notice.removed_at),
        }
    if answer == ANSWER_REMOVED:
        return _(
            "Recorded: you told us %(reference)s was removed at %(at)s (UTC). Our checks will "
            "confirm it; the notice stays open until they find the content gone."
        ) % {"reference": reference, "at": _utc(notice.removal_confirmed_at)}
    if answer == ANSWER_ACKNOWLEDGE:
        return _("Recorded: you acknowledged %(reference)s.") % {"reference": reference}
    return _(
        "Recorded: your dispute of %(reference)s. The hotline will review it and answer you."
    ) % {"reference": reference}
