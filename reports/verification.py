"""Removal verification: the service checks itself whether a URL still answers (write service).

A check is a ``RemovalCheck`` row with its ``due_at``; the probes queue runs the due ones
(``probes_run``), politely (a few per host per round, a pause between rounds on one host, a
bounded number at once), each a status-only probe (hotline/integrations/probe.py) that never
reads a body. Checks are scheduled only once the provider has the notice (never in the police
window or before the hand-off, so a probe never tells a host about a case first), every
HOTLINE_CHECK_INTERVAL while it runs and at its deadline; none runs while the report is on hold.

What the outcomes decide:
- gone HOTLINE_GONE_CHECKS times in a row, HOTLINE_GONE_SPACING apart: removed, verified. The
  removal time is the first of those misses, or the provider's claim if it said so earlier,
  never earlier than the last check that found the content online;
- online after the provider said removed: the claim is contested and the notice runs on;
- online again at a re-check after removal (1, 7 and 30 days): a new report, linked to the old;
- changed (a soft 404, another content type, a redirect elsewhere): the analysts decide.
"""

import ipaddress
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from hotline import outside
from hotline.actors import Actor
from hotline.addresses import non_public_reason
from hotline.domains import host_suffixes
from hotline.integrations import dns, probe
from hotline.models import HostRule
from hotline.policy import duration_setting
from reports.audit import event_build, events_append
from reports.hosting import resolvers
from reports.models import (
    RUNNING_NOTICE_STATUSES,
    Channel,
    Notice,
    RemovalCheck,
    Report,
    ReportStatus,
)

logger = logging.getLogger(__name__)

ACTOR = Actor.system("verification")
C = RemovalCheck.Outcome
P = RemovalCheck.Purpose
# A check taken by a worker is its for this long; one lost with its worker runs again after.
LEASE = timedelta(minutes=5)
CONTENT_HEADERS = ("content-type", "content-length", "etag", "last-modified")


# --- scheduling (called by the workflow, in the deciding transaction) --------------------------


def checks_enabled_for(report: Report, notice: Notice | None, opt_outs=None) -> bool:
    """Probes on, the report not opted out, no host rule saying never for its host or provider.
    ``opt_outs``: the rules as ``_opt_outs`` reads them, when many checks are judged at once."""
    if not settings.HOTLINE_PROBES_ENABLED or report.probes_off:
        return False
    domains, providers = opt_outs if opt_outs is not None else _opt_outs()
    return not (
        domains.intersection(host_suffixes(report.host))
        or (notice is not None and notice.provider_id in providers)
    )


def _opt_outs() -> tuple[set[str], set[int]]:
    """The "never check" rules: their domains, and the providers they cover whole."""
    domains, providers = set(), set()
    rules = HostRule.objects.filter(kind=HostRule.Kind.NO_PROBES)
    for domain, provider_id in rules.values_list("domain", "provider_id"):
        if domain:
            domains.add(domain)
        else:
            providers.add(provider_id)
    return domains, providers


def checks_after_hand_off(notice: Notice, at) -> None:
    """The provider has the notice: one check now, and one at its deadline."""
    if checks_enabled_for(notice.report, notice):
        RemovalCheck.objects.bulk_create(
            [
                _check(notice, P.HANDED_OFF, at),
                _check(notice, P.DEADLINE, notice.deadline_at),
            ]
        )


def check_after_claim(notice: Notice, at) -> None:
    """The provider says removed: check at once."""
    if checks_enabled_for(notice.report, notice):
        _check(notice, P.CLAIMED, at).save()


def rechecks_after_removal(notice: Notice, removed_at) -> None:
    """Does it come back? Checks 1, 7 and 30 days (HOTLINE_RECHECK_DAYS) after the removal."""
    if checks_enabled_for(notice.report, notice):
        RemovalCheck.objects.bulk_create(
            [
                _check(notice, P.RECHECK, removed_at + timedelta(days=day), recheck_day=day)
                for day in settings.HOTLINE_RECHECK_DAYS
            ]
        )


def verification_applies(notice: Notice) -> bool:
    """Whether a provider's "removed" waits for the checks (else it closes the notice at once)."""
    return checks_enabled_for(notice.report, notice)


def _check(notice: Notice, purpose: str, due_at, **extra) -> RemovalCheck:
    return RemovalCheck(
        report_id=notice.report_id,
        notice=notice,
        purpose=purpose,
        due_at=due_at,
        url=notice.report.canonical_url,
        **extra,
    )


# --- running the due checks (the probes queue) ---------------------------------------------------


def probes_run(now=None) -> int:
    """Run the checks that are due, within the politeness limits; how many ran."""
    if not settings.HOTLINE_PROBES_ENABLED:
        return 0
    taken = _take_due(now or timezone.now())
    if not taken:
        return 0
    with ThreadPoolExecutor(max_workers=settings.HOTLINE_PROBE_CONCURRENCY) as pool:
        answers = list(pool.map(_probe, [check.url for check in taken]))
    checks_record(taken, answers)
    return len(taken)


def _take_due(now) -> list[RemovalCheck]:
    """Lock and lease the due checks, at most HOTLINE_PROBE_PER_HOST per host, none for a host
    checked less than HOTLINE_PROBE_HOST_INTERVAL ago (the others wait for a later round)."""
    per_host: dict[str, int] = {}
    taken = []
    opt_outs = _opt_outs()  # read once for the round, not per check
    with transaction.atomic():
        due = (
            RemovalCheck.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("report", "notice")
            .filter(checked_at__isnull=True, due_at__lte=now)
            .order_by("due_at")[: settings.HOTLINE_PROBE_BATCH * 4]
        )
        for check in due:
            if _not_now(check, now, opt_outs):
                continue
            host = check.report.host
            if per_host.get(host, 0) >= settings.HOTLINE_PROBE_PER_HOST:
                continue
            if per_host.get(host) is None and not _host_free(host):
                continue
            per_host[host] = per_host.get(host, 0) + 1
            taken.append(check)
            if len(taken) >= settings.HOTLINE_PROBE_BATCH:
                break
        for check in taken:
            check.due_at = now + LEASE
        RemovalCheck.objects.bulk_update(taken, ["due_at"])
    return taken


def _not_now(check: RemovalCheck, now, opt_outs) -> bool:
    """A check that must not run: while the report is on hold it waits an interval; one of a
    notice that ended (withdrawn, or removed before it ran) is recorded as skipped."""
    if check.report.status == ReportStatus.ON_HOLD:
        check.due_at = now + duration_setting("HOTLINE_CHECK_INTERVAL")
        check.save(update_fields=["due_at"])
        return True
    ended = check.notice_id is not None and not check.notice.is_running
    if check.purpose != P.RECHECK and ended:
        return _skipped(check, now, "the notice has ended")
    if not checks_enabled_for(check.report, check.notice, opt_outs):
        return _skipped(check, now, "checks are off for this report, host or provider")
    return False


def _skipped(check: RemovalCheck, now, why: str) -> bool:
    check.checked_at, check.outcome, check.detail = now, C.SKIPPED, why
    check.save(update_fields=["checked_at", "outcome", "detail"])
    return True


def _host_free(host: str) -> bool:
    """One round per host per interval, across workers (the shared cache)."""
    interval = settings.HOTLINE_PROBE_HOST_INTERVAL_SECONDS
    return interval <= 0 or cache.add(f"probe-host:{host}", 1, timeout=interval)


def _probe(url: str):
    """The probe's answer, or its ProbeError: never raises for an outside failure."""
    try:
        return probe.probe(
            url,
            resolve=address_resolve,
            address_check=address_refusal,
            route=outside.outside_route,
            ca_file=outside.outside_ca_file(),
            connect_timeout=settings.HOTLINE_PROBE_CONNECT_TIMEOUT,
            header_timeout=settings.HOTLINE_PROBE_HEADER_TIMEOUT,
            user_agent=settings.HOTLINE_PROBE_USER_AGENT,
            proxy=settings.HOTLINE_PROBE_PROXY or None,
        )
    except probe.ProbeError as exc:
        return exc
    except ValueError as exc:  # a URL the probe cannot check (e.g. not http/https)
        return probe.ProbeError("bad_response", str(exc))
    except OSError as exc:  # e.g. HOTLINE_OUTSIDE_CA_FILE missing: said, not a crash of the round
        return probe.ProbeError("tls", f"{type(exc).__name__}: {exc}")


def address_resolve(host: str) -> list[str]:
    try:
        return list(
            dns.resolve(host, resolvers=resolvers(), timeout=settings.HOTLINE_DNS_TIMEOUT).addresses
        )
    except ValueError as exc:
        raise probe.ProbeError("dns", str(exc)) from None
    except dns.DNSLookupError as exc:
        kind = "nxdomain" if exc.kind == "nxdomain" else "dns"
        raise probe.ProbeError(kind, str(exc)) from None


def address_refusal(address: str) -> str | None:
    """The intake's non-public-address rule (documentation ranges admitted in the sandbox)."""
    return non_public_reason(
        ipaddress.ip_address(address), documentation_admitted=outside.documentation_admitted()
    )


# --- what an answer means -----------------------------------------------------------------------

GONE_STATUSES = {404, 410, 451}
UNREACHABLE_KINDS = {"dns", "connect", "timeout", "tls", "proxy"}


def outcome_of(check: RemovalCheck, answer) -> tuple[str, str]:
    """(outcome, why) of one answer, against the first answer that found the content online."""
    if isinstance(answer, probe.ProbeError):
        if answer.kind == "nxdomain":
            return C.GONE, "the host name no longer exists"
        if answer.kind in UNREACHABLE_KINDS:
            return C.UNREACHABLE, f"{answer.kind}: {answer}"
        return C.ERROR, f"{answer.kind}: {answer}"
    status = answer.status
    if status in GONE_STATUSES:
        return C.GONE, f"HTTP {status}"
    if status >= 500 or status in (401, 403, 407, 429):
        return C.UNREACHABLE, f"HTTP {status}"
    if answer.redirected_to and _removal_page(check.report.host, answer.redirected_to):
        return C.GONE, f"redirected to the host's removal page {answer.redirected_to}"
    if answer.redirected_to and urlsplit(answer.redirected_to).path != urlsplit(check.url).path:
        return C.CHANGED, f"redirected to {answer.redirected_to}"
    if 300 <= status < 400:
        return C.CHANGED, f"HTTP {status} to {answer.headers.get('location', '')}"
    if not 200 <= status < 300:
        return C.ERROR, f"HTTP {status}"
    baseline = (
        RemovalCheck.objects.filter(report_id=check.report_id, outcome=C.ONLINE)
        .order_by("checked_at")
        .values_list("headers", flat=True)
        .first()
    )
    if baseline is not None and not _looks_alike(baseline, answer.headers):
        return C.CHANGED, (
            f"answers {answer.headers.get('content-type', 'no content type')} "
            f"({answer.headers.get('content-length', '?')} bytes), first seen as "
            f"{baseline.get('content-type', 'no content type')} "
            f"({baseline.get('content-length', '?')} bytes)"
        )
    return C.ONLINE, f"HTTP {status}"


def _looks_alike(first: dict, now: dict) -> bool:
    """The same content-type family, and the same length or ETag where the host gives them."""
    family = [(h.get("content-type") or "").split("/")[0].strip().lower() for h in (first, now)]
    if family[0] != family[1]:
        return False
    same = [
        first[name] == now[name]
        for name in ("content-length", "etag")
        if first.get(name) and now.get(name)
    ]
    return not same or any(same)


def _removal_page(host: str, target: str) -> bool:
    paths = HostRule.objects.filter(
        kind=HostRule.Kind.REMOVAL_PAGE, domain__in=host_suffixes(host)
    ).values_list("removal_path", flat=True)
    path = urlsplit(target).path
    return any(prefix and path.startswith(prefix) for prefix in paths)


# --- recording and deciding ----------------------------------------------------------------------


RECORDED = [
    "checked_at",
    "outcome",
    "detail",
    "address",
    "status_code",
    "redirected_to",
    "headers",
    "elapsed_ms",
]


def checks_record(checks: list[RemovalCheck], answers: list) -> None:
    """Store what a round of checks saw, with an audit event each, in one transaction; then
    what each decides."""
    now = timezone.now()
    for check, answer in zip(checks, answers, strict=True):
        _answer_apply(check, answer, now)
    with transaction.atomic():
        reports = {
            report.pk: report
            for report in Report.objects.select_for_update()
            .filter(pk__in={check.report_id for check in checks})
            .order_by("pk")  # the order every writer locks reports in
        }
        RemovalCheck.objects.bulk_update(checks, RECORDED)
        events_append(_event(reports[check.report_id], check) for check in checks)
    for check in checks:
        decide(check)


def _answer_apply(check: RemovalCheck, answer, now) -> None:
    outcome, why = outcome_of(check, answer)
    check.checked_at, check.outcome, check.detail = now, outcome, why[:500]
    if isinstance(answer, probe.ProbeError):
        hops = answer.hops
        check.address = hops[-1].address if hops else ""
        check.status_code = hops[-1].status if hops else None
    else:
        check.address, check.status_code = answer.address, answer.status
        check.redirected_to = answer.redirected_to[:2048]
        check.headers = {k: v for k, v in answer.headers.items() if k in CONTENT_HEADERS}
        check.elapsed_ms = answer.elapsed_ms


def _event(report: Report, check: RemovalCheck):
    return event_build(
        "removal_check",
        actor=ACTOR,
        at=check.checked_at,
        report=report,
        from_status=report.status,
        to_status=report.status,
        data={
            "check": check.pk,
            "purpose": check.purpose,
            "outcome": check.outcome,
            "status_code": check.status_code,
            "address": check.address,
        },
    )


def decide(check: RemovalCheck) -> None:
    from reports import workflow  # the workflow schedules checks through this module

    notice = (
        Notice.objects.select_related("report").get(pk=check.notice_id) if check.notice_id else None
    )
    if check.purpose == P.RECHECK:
        if check.outcome == C.ONLINE:
            recurrence_open(check)
        return
    if notice is None or notice.status not in (*RUNNING_NOTICE_STATUSES, Notice.Status.REMOVED):
        return
    if check.outcome == C.ONLINE:
        workflow.notice_seen_online(notice.pk, at=check.checked_at)
    elif check.outcome == C.GONE:
        misses = consecutive_misses(notice)
        if len(misses) >= settings.HOTLINE_GONE_CHECKS:
            workflow.notice_removal_verified(notice.pk, first_miss_at=misses[-1].checked_at)
            return
        _check(
            notice, P.CONFIRM, check.checked_at + duration_setting("HOTLINE_GONE_SPACING")
        ).save()
        return
    if notice.is_running:
        _next_interval_check(notice, check.checked_at)


def consecutive_misses(notice: Notice) -> list[RemovalCheck]:
    """The latest gone outcomes with nothing online or changed between them, newest first.
    Unreachable and error answers say nothing either way: they neither count nor break."""
    misses = []
    for check in (
        notice.checks.exclude(checked_at__isnull=True)
        .exclude(outcome__in=[C.UNREACHABLE, C.ERROR, C.SKIPPED])
        .order_by("-checked_at")[: settings.HOTLINE_GONE_CHECKS]
    ):
        if check.outcome != C.GONE:
            break
        misses.append(check)
    return misses


def _next_interval_check(notice: Notice, after) -> None:
    waiting = notice.checks.filter(checked_at__isnull=True).exclude(purpose=P.DEADLINE)
    if not waiting.exists():
        _check(notice, P.INTERVAL, after + duration_setting("HOTLINE_CHECK_INTERVAL")).save()


def recurrence_open(check: RemovalCheck) -> Report | None:
    """Online again after removal: a new report of the same URL, linked to the removed one, for
    an analyst to assess (it counts against the provider only once assessed illegal)."""
    from reports.intake import report_submit, submission_clean

    old = Report.objects.get(pk=check.report_id)
    if old.status != ReportStatus.REMOVED:
        return None
    result = report_submit(
        submission=submission_clean(url=old.canonical_url), channel=Channel.RECHECK, actor=ACTOR
    )
    return result.report
