"""The analysts' report list in the admin: the queues, their counts, order and search."""

import contextlib
import re
from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Replace, Reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.domains import is_public_suffix
from hotline.pagination import fast_count
from hotline.url import URLRefused, canonicalize, refang
from reports.models import (
    CLOCK_RUNNING_NOTICE_STATUSES,
    DISPUTE_WAITING,
    RUNNING_NOTICE_STATUSES,
    Notice,
    RemovalCheck,
    Report,
)
from reports.models import ReportStatus as S

DUE_SOON = timedelta(hours=4)
# The report's statuses while its notice runs and it is not held. Stated beside the notice's
# condition, so that the planner counts from the report's status index and a hash of the
# running clocks, not a lookup per notice (tens of milliseconds at a million reports).
NOTICE_RUNS = (S.TAKEDOWN_REQUESTED, S.OVERDUE)


def _clock_running_notices() -> QuerySet:
    """The report's notice that the provider has (or is being given) and whose clock runs; the
    partial index notice_clock_running_idx holds exactly these."""
    return Notice.objects.filter(report=OuterRef("pk"), status__in=CLOCK_RUNNING_NOTICE_STATUSES)


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
    # The provider has the notice and its clock runs (not held): the hotline waits for removal.
    "awaiting_removal": (
        _("Awaiting removal"),
        lambda request: Q(status__in=NOTICE_RUNS) & Q(Exists(_clock_running_notices())),
    ),
    "due_soon": (
        _("Due within 4 h"),
        lambda request: (
            Q(status__in=NOTICE_RUNS)
            & Q(
                Exists(
                    _clock_running_notices().filter(
                        deadline_at__gt=timezone.now(),
                        deadline_at__lte=timezone.now() + DUE_SOON,
                    )
                )
            )
        ),
    ),
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
                    DISPUTE_WAITING, report=OuterRef("pk"), status__in=RUNNING_NOTICE_STATUSES
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
    "awaiting_removal",
    "disputed",
    "hosting_changed",
    "waiting_on_candidate",
    "contested",
    "check_changed",
    "delivery_failed",
}
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# A part of a reference (HL-XXXX-XXXX: letters and digits), at least four characters of it.
REFERENCE_PART = re.compile(r"[A-Z0-9]{4,10}")
# Written exactly as the trigram index's expression (migration 0017) for PostgreSQL to use it.
REFERENCE_COMPACT = Replace("reference", Value("-"), Value(""))
HOST_REVERSED = Reverse("host")


def queue_ordering(queue: str | None) -> list[str]:
    if queue == "due_soon":
        return [F("running_deadline").asc(nulls_last=True), "id"]
    if queue in OLDEST_FIRST:
        return ["status_changed_at", "id"]
    return ["-received_at", "-id"]


def reports_with_running_deadline(reports: QuerySet) -> QuerySet:
    """Each report with the deadline of its running notice (``running_deadline``), or None."""
    running = Notice.objects.filter(report=OuterRef("pk"), status__in=RUNNING_NOTICE_STATUSES)
    return reports.annotate(running_deadline=Subquery(running.values("deadline_at")[:1]))


def reports_matching(reports: QuerySet, term: str) -> QuerySet:
    """What an analyst pastes, each matched on its own index: a reference or a part of one
    (any case, with or without its dashes), a host or a domain with its subdomains, a URL's
    SHA-256, or a URL (exact or defanged, canonicalised as intake does and found by its hash).

    Django's ``=field`` search compares ``UPPER(column)``, which no index serves. References are
    stored upper-case, hosts lower-case (canonical) and hashes in lower-case hex, so the term is
    put in each one's case. A part of a reference is a ``LIKE '%...%'`` on the reference without
    its dashes, served on PostgreSQL by a trigram index (migration 0017).
    """
    found = Q(reference=term.upper())
    compact = term.upper().replace("-", "")
    if REFERENCE_PART.fullmatch(compact):
        found |= Q(reference_compact__contains=compact)
        reports = reports.alias(reference_compact=REFERENCE_COMPACT)
    found |= _host_or_domain(term.lower().rstrip("."))
    reports = reports.alias(host_reversed=HOST_REVERSED)
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


def _host_or_domain(name: str) -> Q:
    """The host and its subdomains: ``example.org`` finds ``files.example.org``, and
    ``files.example.org`` finds ``a.files.example.org``; a public suffix (``org``, ``co.uk``)
    only itself. The subdomains are one prefix of the reversed host (migration 0017's index)."""
    found = Q(host=name)
    if "." in name and not is_public_suffix(name):
        found |= Q(host_reversed__startswith=f"{name[::-1]}.")
    return found
