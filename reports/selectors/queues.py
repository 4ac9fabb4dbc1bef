"""The analysts' report list in the admin: the queues, their counts, order and search."""

import contextlib
import re

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from hotline.pagination import fast_count
from hotline.url import URLRefused, canonicalize, refang
from reports.models import RUNNING_NOTICE_STATUSES, Notice, RemovalCheck, Report
from reports.models import ReportStatus as S

# The analysts' queues: name -> (label, condition on Report for the signed-in user).
QUEUES = {
    "new": (_("New"), lambda request: Q(status=S.NEW)),
    "mine": (_("Mine"), lambda request: Q(assigned_to=request.user, status=S.IN_REVIEW)),
    "in_review": (_("In review"), lambda request: Q(status=S.IN_REVIEW)),
    "actionable": (_("Actionable"), lambda request: Q(status=S.ACTIONABLE)),
    "on_hold": (_("On hold"), lambda request: Q(status=S.ON_HOLD)),
    "forwarded": (_("Forwarded"), lambda request: Q(status=S.FORWARDED)),
    "ready_to_send": (
        _("Ready to send"),
        lambda request: (
            Q(status=S.ACTIONABLE, provider__isnull=False)
            & ~Q(
                Exists(
                    Notice.objects.filter(report=OuterRef("pk"), status__in=RUNNING_NOTICE_STATUSES)
                )
            )
        ),
    ),
    "scheduled": (
        _("Scheduled"),
        lambda request: Q(
            Exists(Notice.objects.filter(report=OuterRef("pk"), status=Notice.Status.SCHEDULED))
        ),
    ),
    "overdue": (_("Overdue"), lambda request: Q(status=S.OVERDUE)),
    # The provider said removed, a check still found it online: the notice runs on.
    "contested": (
        _("Claimed removed but online"),
        lambda request: Q(
            Exists(
                Notice.objects.filter(
                    report=OuterRef("pk"),
                    status__in=RUNNING_NOTICE_STATUSES,
                    removal_contested_at__isnull=False,
                )
            )
        ),
    ),
    # A check's answer no longer looks like what was first seen (a soft 404?): an analyst decides.
    "check_changed": (
        _("Check: answer changed"),
        lambda request: (
            Q(status__in=[S.TAKEDOWN_REQUESTED, S.OVERDUE])
            & Q(
                Exists(
                    RemovalCheck.objects.filter(
                        report=OuterRef("pk"), outcome=RemovalCheck.Outcome.CHANGED
                    )
                )
            )
        ),
    ),
    # A lookup before a hand-off found the content elsewhere: the message waits for a decision.
    "hosting_changed": (_("Hosting changed"), lambda request: Q(hosting_changed__isnull=False)),
    # The lookup found only a registry's holder: no notice until a supervisor approves it.
    "waiting_on_candidate": (
        _("Waiting on a provider candidate"),
        lambda request: Q(
            status__in=[S.NEW, S.IN_REVIEW, S.ACTIONABLE],
            provider__isnull=True,
            hosting_lookup__candidate__decision="pending",
        ),
    ),
    # No channel reached the provider: an analyst fixes the contact and delivers it again.
    "delivery_failed": (
        _("Delivery failed"),
        lambda request: Q(
            Exists(Notice.objects.filter(report=OuterRef("pk"), status=Notice.Status.UNDELIVERABLE))
        ),
    ),
    # Until an analyst answers the dispute (upheld or rejected).
    "disputed": (
        _("Disputed"),
        lambda request: Q(
            Exists(
                Notice.objects.filter(
                    report=OuterRef("pk"),
                    status__in=RUNNING_NOTICE_STATUSES,
                    disputed_at__isnull=False,
                    dispute_answered_at__isnull=True,
                )
            )
        ),
    ),
}


def reports_in_queue(reports: QuerySet, queue: str, request) -> QuerySet:
    """``queue``: one of QUEUES, for the signed-in user."""
    return reports.filter(QUEUES[queue][1](request))


def queue_counts(request) -> dict[str, int]:
    """One cheap count per queue (estimated on PostgreSQL when large)."""
    return {
        name: fast_count(reports_in_queue(Report.objects.all(), name, request)) for name in QUEUES
    }


# Queues worked oldest first; elsewhere the newest report comes first.
OLDEST_FIRST = {
    "new",
    "in_review",
    "mine",
    "actionable",
    "ready_to_send",
    "overdue",
    "disputed",
    "hosting_changed",
    "waiting_on_candidate",
    "contested",
    "check_changed",
    "delivery_failed",
}
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def queue_ordering(queue: str | None) -> list[str]:
    if queue in OLDEST_FIRST:
        return ["status_changed_at", "id"]
    return ["-received_at", "-id"]


def reports_with_running_deadline(reports: QuerySet) -> QuerySet:
    """Each report with the deadline of its running notice (``running_deadline``), or None."""
    running = Notice.objects.filter(report=OuterRef("pk"), status__in=RUNNING_NOTICE_STATUSES)
    return reports.annotate(running_deadline=Subquery(running.values("deadline_at")[:1]))


def reports_matching(reports: QuerySet, term: str) -> QuerySet:
    """A reference, a host, a URL's SHA-256 or a pasted URL (exact or defanged, canonicalised as
    intake does and found by its hash), matched exactly on their own indexes.

    Django's ``=field`` search compares ``UPPER(column)``, which no index serves: every
    search read the whole table. References are stored upper-case, hosts lower-case
    (canonical) and hashes in lower-case hex, so the term is put in each one's case.
    """
    found = Q(reference=term.upper()) | Q(host=term.lower().rstrip("."))
    if SHA256_HEX.fullmatch(term.lower()):
        found |= Q(url_sha256=term.lower())
    pasted = refang(term)
    # A URL intake would refuse has no report: nothing more to match.
    if "://" in pasted:
        with contextlib.suppress(URLRefused):
            found |= Q(url_sha256=canonicalize(pasted).sha256)
    return reports.filter(found)


def report_next_in_queue(queue: str, request, *, after: int, term: str = "") -> int | None:
    """The report an analyst works next in the queue they came from (with their search, if
    any): the first in the queue's order other than the one just worked; None when empty."""
    reports = reports_in_queue(Report.objects.exclude(pk=after), queue, request)
    if term.strip():
        reports = reports_matching(reports, term.strip())
    return reports.order_by(*queue_ordering(queue)).values_list("pk", flat=True).first()
