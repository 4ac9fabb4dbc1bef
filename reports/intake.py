"""Intake: validate, canonicalise, de-duplicate and create reports (write service).

A URL whose canonical form matches an open report becomes a ``duplicate`` pointing at it, and the
open report counts it; a URL that only matches closed reports opens a new report linked to the
latest of them by ``previous``. The partial unique index ``one_open_report_per_url`` makes the
database, not this code, the last word when two submissions race.
"""

import hashlib
import json
import secrets
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, When
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.url import CanonicalURL, canonicalize, refuse_embedded_payload
from reports import hosting, workflow
from reports.audit import event_build, events_append
from reports.models import (
    DESCRIPTION_MAX_LENGTH,
    OPEN_STATUSES,
    Channel,
    Event,
    PartnerSubmission,
    Report,
    ReporterCategory,
    ReportStatus,
)

# Crockford's base32: no I, L, O or U, so a reference read aloud is not misheard.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EXTERNAL_ID_MAX_LENGTH = 200
# A collision on the open-URL index or on a reference is retried with fresh data this often.
INTAKE_ATTEMPTS = 3


def reference_generate() -> str:
    # 40 random bits, five per character: one read of the system's random source.
    bits = secrets.randbits(40)
    chars = "".join(REFERENCE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(8))
    return f"HL-{chars[:4]}-{chars[4:]}"


def tracking_secret_hash(secret: str) -> str:
    # The secret carries 192 random bits, so a plain digest is enough to make it useless if read.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    """One report as checked by ``submission_clean``."""

    url: CanonicalURL
    submitted_url: str
    description: str = ""
    reporter_email: str = ""
    category: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class IntakeResult:
    report: Report
    duplicate: bool
    tracking_secret: str | None


def submission_clean(
    *, url, description="", reporter_email="", category="", external_id=""
) -> Submission:
    """Check one submission; raises ``ValidationError`` with a message per field."""
    errors: dict[str, list[str]] = {}
    canonical = None
    if not isinstance(url, str) or not url.strip():
        errors["url"] = [_("A URL is required.")]
    else:
        try:
            canonical = canonicalize(url)
        except ValidationError as exc:
            errors["url"] = exc.messages
    text_fields = {
        "description": description,
        "reporter_email": reporter_email,
        "category": category,
        "external_id": external_id,
    }
    for name, value in text_fields.items():
        if not isinstance(value, str):
            errors[name] = [_("This field must be text.")]
    if errors:
        raise ValidationError(errors)
    description = description.strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [
            _("The description is %(length)d characters; at most %(max)d are accepted.")
            % {"length": len(description), "max": DESCRIPTION_MAX_LENGTH}
        ]
    else:
        try:
            refuse_embedded_payload(description)
        except ValidationError as exc:
            errors["description"] = exc.messages
    reporter_email = reporter_email.strip()
    if reporter_email:
        try:
            validate_email(reporter_email)
        except ValidationError:
            errors["reporter_email"] = [_("Enter a valid e-mail address, or leave it empty.")]
    if category and category not in ReporterCategory.values:
        errors["category"] = [
            _("Unknown category %(category)r; choose one of: %(choices)s.")
            % {"category": category, "choices": ", ".join(ReporterCategory.values)}
        ]
    if len(external_id) > EXTERNAL_ID_MAX_LENGTH:
        errors["external_id"] = [
            _("The external id is at most %(max)d characters.") % {"max": EXTERNAL_ID_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    return Submission(
        url=canonical,
        submitted_url=url.strip(),
        description=description,
        reporter_email=reporter_email,
        category=category,
        external_id=external_id,
    )


def _report_build(submission: Submission, *, channel, partner, now, secret_hash="") -> Report:
    return Report(
        reference=reference_generate(),
        submitted_url=submission.submitted_url,
        canonical_url=submission.url.url,
        url_sha256=submission.url.sha256,
        host=submission.url.host,
        channel=channel,
        partner=partner,
        external_id=submission.external_id,
        category=submission.category,
        description=submission.description,
        reporter_email=submission.reporter_email,
        tracking_secret_hash=secret_hash,
        received_at=now,
        status_changed_at=now,
    )


def _event_build(report: Report, actor: Actor, now) -> Event:
    data = {"channel": report.channel}
    if report.partner_id:
        data["partner"] = report.partner_id
    if report.duplicate_of_id:
        data["duplicate_of"] = report.duplicate_of.reference
    if report.previous_id:
        data["previous"] = report.previous.reference
    return event_build(
        "received", actor=actor, at=now, report=report, to_status=report.status, data=data
    )


def _latest_reports(url_hashes) -> dict[str, Report]:
    """The newest report of each URL hash: with no open one, it is what a new one recurs after.

    Duplicates are skipped: a recurrence links to the earlier case, which a duplicate never is.
    """
    newest_ids = (
        Report.objects.filter(url_sha256__in=url_hashes)
        .exclude(status=ReportStatus.DUPLICATE)
        .values("url_sha256")
        .annotate(newest=Max("id"))
        .values("newest")
    )
    rows = Report.objects.filter(pk__in=newest_ids).only("id", "reference", "url_sha256")
    return {report.url_sha256: report for report in rows}


def _open_reports_locked(url_hashes) -> dict[str, Report]:
    # Locking re-evaluates the status filter, so a report closed meanwhile is not attached to.
    rows = (
        Report.objects.select_for_update()
        .filter(url_sha256__in=url_hashes, status__in=OPEN_STATUSES)
        .order_by("pk")  # one lock order for every batch: overlapping batches cannot deadlock
        .only("id", "reference", "url_sha256")
    )
    return {report.url_sha256: report for report in rows}


def report_submit(
    *, submission: Submission, channel: str, actor: Actor, partner=None
) -> IntakeResult:
    """File one checked submission: a new report, a duplicate, or a recurrence."""
    secret = secrets.token_urlsafe(24) if channel != Channel.PARTNER else None
    secret_hash = tracking_secret_hash(secret) if secret else ""
    for attempt in range(INTAKE_ATTEMPTS):
        now = timezone.now()
        report = _report_build(
            submission, channel=channel, partner=partner, now=now, secret_hash=secret_hash
        )
        try:
            with transaction.atomic():
                _report_file(report, actor, now)
        except IntegrityError:
            # Another submission of this URL (or the same reference) won the race: retry, and
            # this time its committed row is visible.
            if attempt == INTAKE_ATTEMPTS - 1:
                raise
            continue
        return IntakeResult(
            report=report, duplicate=report.duplicate_of_id is not None, tracking_secret=secret
        )
    raise AssertionError("unreachable")


def _report_file(report: Report, actor: Actor, now) -> None:
    # The newest earlier case of this URL is the open one if any is open (only one can be),
    # otherwise the one a new report recurs after: one indexed look-up serves both.
    newest = (
        Report.objects.filter(url_sha256=report.url_sha256)
        .exclude(status=ReportStatus.DUPLICATE)
        .order_by("-id")
        .only("id", "reference", "status")
        .first()
    )
    original = None
    if newest is not None and newest.is_open:
        original = _open_reports_locked([report.url_sha256]).get(report.url_sha256)
    if original is not None:
        workflow.report_file_as_duplicate(report, original=original)
        Report.objects.filter(pk=original.pk).update(times_reported=F("times_reported") + 1)
    else:
        report.previous = newest
    report.save(force_insert=True)
    events_append([_event_build(report, actor, now)])
    if original is None:
        hosting.lookups_request_for_new([report])


# --- Partner batches --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    items: list[dict]
    replayed: bool


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came back with a different body."""


def partner_batch_submit(
    *, partner, items: list[dict], actor: Actor, idempotency_key: str | None = None
) -> BatchResult:
    """File a partner's batch in one transaction; an Idempotency-Key replays the first answer."""
    if not idempotency_key:
        with transaction.atomic():
            return BatchResult(items=_batch_file(partner, items, actor), replayed=False)
    body_sha = hashlib.sha256(
        json.dumps(items, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = PartnerSubmission.objects.create(
                    partner=partner, idempotency_key=idempotency_key, body_sha256=body_sha
                )
        except IntegrityError:
            # A concurrent twin waits here until the first commits, then reads its answer.
            stored = PartnerSubmission.objects.get(partner=partner, idempotency_key=idempotency_key)
            if stored.body_sha256 != body_sha:
                raise IdempotencyKeyReused from None
            return BatchResult(items=stored.response, replayed=True)
        claim.response = _batch_file(partner, items, actor)
        claim.save(update_fields=["response"])
        return BatchResult(items=claim.response, replayed=False)


def _batch_file(partner, items: list[dict], actor: Actor) -> list[dict]:
    results: list[dict | None] = [None] * len(items)
    accepted: list[tuple[int, Submission]] = []
    for index, item in enumerate(items):
        external_id = item.get("external_id", "") if isinstance(item, dict) else ""
        try:
            if not isinstance(item, dict):
                raise ValidationError(_("Each item must be an object with at least a url."))
            submission = submission_clean(
                url=item.get("url"),
                description=item.get("description") or "",
                external_id=external_id or "",
            )
        except ValidationError as exc:
            results[index] = _rejected(index, external_id, exc)
        else:
            accepted.append((index, submission))

    for index, report in _submissions_file(accepted, Channel.PARTNER, partner, actor):
        results[index] = {
            "index": index,
            "outcome": "duplicate" if report.duplicate_of_id else "created",
            "reference": report.reference,
            "external_id": report.external_id,
        }
    return results


def _submissions_file(accepted, channel, partner, actor: Actor) -> list[tuple[int, Report]]:
    """File checked submissions in one transaction, retried when a concurrent one of the same
    URL won the race (the open-URL index decides)."""
    for attempt in range(INTAKE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _batch_insert(accepted, channel, partner, actor)
        except IntegrityError:
            if attempt == INTAKE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _refusal_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def _rejected(index: int, external_id, exc: ValidationError) -> dict:
    return {
        "index": index,
        "outcome": "rejected",
        "external_id": external_id if isinstance(external_id, str) else "",
        "reason": _refusal_text(exc),
    }


def _batch_insert(accepted, channel, partner, actor: Actor) -> list[tuple[int, Report]]:
    """Set-based: a fixed number of queries whatever the batch size."""
    now = timezone.now()
    hashes = {submission.url.sha256 for _, submission in accepted}
    open_by_hash = _open_reports_locked(hashes)
    latest_by_hash = _latest_reports(hashes - open_by_hash.keys())

    originals: list[Report] = []
    duplicates: list[Report] = []
    filed: list[tuple[int, Report]] = []
    added_to_existing: Counter[int] = Counter()
    for index, submission in accepted:
        report = _report_build(submission, channel=channel, partner=partner, now=now)
        sha = submission.url.sha256
        original = open_by_hash.get(sha)
        if original is None:
            # The first of its URL in this batch opens the report; later ones attach to it.
            report.previous = latest_by_hash.get(sha)
            open_by_hash[sha] = report
            originals.append(report)
        else:
            workflow.report_file_as_duplicate(report, original=original)
            duplicates.append(report)
            if original.pk is None:
                original.times_reported += 1
            else:
                added_to_existing[original.pk] += 1
        filed.append((index, report))

    Report.objects.bulk_create(originals)
    # The duplicates' foreign keys pick up the ids bulk_create just gave their originals.
    Report.objects.bulk_create(duplicates)
    if added_to_existing:
        Report.objects.filter(pk__in=added_to_existing).update(
            times_reported=F("times_reported")
            + Case(*(When(pk=pk, then=count) for pk, count in added_to_existing.items()))
        )
    events_append(_event_build(report, actor, now) for _, report in filed)
    # One lookup per new report; their DNS and registry answers are shared through the cache.
    hosting.lookups_request_for_new(originals)
    return filed


# --- Pasted by an analyst ---------------------------------------------------------------------


@dataclass(frozen=True)
class PastedLine:
    """What became of one pasted line: filed (``report``: new, or a duplicate of an open one),
    the same URL as an earlier line (``same_as``), or refused (``reason``)."""

    number: int
    url: str
    report: Report | None = None
    same_as: int | None = None
    reason: str = ""


def analyst_urls_submit(lines, *, actor: Actor, note: str = "") -> list[PastedLine]:
    """File the URLs an analyst pasted, as channel ``analyst``, in one transaction: each line
    ``(number, url, its note)`` is checked and de-duplicated as every intake does, the line's
    note and ``note`` (for all) become the description, and a URL pasted twice is filed once."""
    cap = settings.HOTLINE_PASTE_MAX_URLS
    if len(lines) > cap:
        raise DomainError(
            f"{len(lines)} URLs were pasted; at most {cap} are taken at once "
            "(HOTLINE_PASTE_MAX_URLS). Nothing was filed: paste them in parts."
        )
    refused: dict[int, str] = {}
    first_line: dict[str, int] = {}  # URL hash -> the line that files it
    line_hash: dict[int, str] = {}
    accepted: list[tuple[int, Submission]] = []
    for number, url, line_note in lines:
        description = "\n".join(part for part in (line_note.strip(), note.strip()) if part)
        try:
            submission = submission_clean(url=url, description=description)
        except ValidationError as exc:
            refused[number] = _refusal_text(exc)
            continue
        line_hash[number] = submission.url.sha256
        if first_line.setdefault(submission.url.sha256, number) == number:
            accepted.append((number, submission))
    filed = dict(_submissions_file(accepted, Channel.ANALYST, None, actor))
    answers = []
    for number, url, _line_note in lines:
        if number in refused:
            answers.append(PastedLine(number, url, reason=refused[number]))
            continue
        first = first_line[line_hash[number]]
        same_as = first if first != number else None
        answers.append(PastedLine(number, url, report=filed[first], same_as=same_as))
    return answers
