"""The tamper-evident audit trail: events hashed in the request, sealed into one chain by one
sealer, and signed checkpoints handed outside the database.

- ``events_append`` (in the caller's transaction) gives each event its content hash and the
  state it leaves the report in; the database queues it for sealing. No lock is taken:
  requests never wait for one another on the audit trail.
- ``audit_seal`` (the beat task every second, or ``audit seal``) links queued events, in the
  order it seals them, into ``AuditSeal``: each chain hash covers the previous chain hash, the
  sequence number and the event's content hash. One sealer at a time: an advisory lock on
  PostgreSQL, the ``AuditChainHead`` row on SQLite.
- ``audit_checkpoint`` signs (Ed25519) the newest chain hash and appends the line to each
  ``HOTLINE_AUDIT_ANCHOR``; ``audit_verify`` checks the chain, the state each report's latest
  event recorded, and any checkpoints an auditor kept.

The triggers (migration 0011) refuse UPDATE, DELETE and TRUNCATE on events, escalations, seals
and checkpoints whatever the session has set; what a superuser can still do is what the
checkpoints an auditor holds catch.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from hotline.audit.checkpoints import (
    SignedCheckpoint,
    checkpoint_anchor,
    checkpoint_sign,
    checkpoints_read,
    key_id,
    signing_key,
)
from hotline.audit.hashing import canonical_json, chain_link, personal_digest, sha256_hex, utc_text
from reports.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditCheckpoint,
    AuditPending,
    AuditSeal,
    Escalation,
    Event,
    Hold,
    MessageItem,
    Notice,
    OutgoingMessage,
    Report,
)

logger = logging.getLogger(__name__)

VERIFY_CHUNK = 5000
SEAL_BATCH = 5000
SEAL_BATCHES_PER_RUN = 100  # a run stops after this many batches; the next second goes on
SEALER_LOCK = 0x686F746C  # "hotl": the advisory lock number the sealers share
UNSEALED_WARNING_SECONDS = 60


# --- content --------------------------------------------------------------------------------


def _plain_fields(event: Event) -> dict:
    return {
        "report": event.report_id,
        "verb": event.verb,
        "from": event.from_status,
        "to": event.to_status,
        "at": utc_text(event.at),
        "actor_kind": event.actor_kind,
        "data": event.data,
    }


def event_content(event: Event) -> bytes:
    """What the content hash covers: every field, personal ones as salted hashes."""
    return canonical_json(
        _plain_fields(event)
        | {
            "actor_label": personal_digest(event.salt, event.actor_label),
            "actor_user": personal_digest(event.salt, event.actor_user_id),
            "state": event.state,
        }
    )


def content_hash(event: Event) -> str:
    return sha256_hex(event_content(event))


def legacy_content(event: Event, seq: int) -> bytes:
    """The content the chain from before sealing hashed (it covered the sequence number)."""
    return canonical_json(
        _plain_fields(event)
        | {"seq": seq, "actor_label": event.actor_label, "actor_user": event.actor_user_id}
    )


def legacy_link(prev_chain_hash: str, event: Event, seq: int) -> str:
    return sha256_hex(prev_chain_hash.encode() + b"\n" + legacy_content(event, seq))


# --- the state an event leaves its report in ------------------------------------------------

REPORT_MOMENTS = ("status_changed_at", "received_at", "claimed_at", "assessed_at", "forwarded_at")
NOTICE_MOMENTS = (
    "created_at",
    "scheduled_for",
    "sent_at",
    "handed_off_at",
    "deadline_at",
    "reminder_sent_at",
    "acknowledged_at",
    "removal_confirmed_at",
    "removed_at",
    "disputed_at",
    "withdrawn_at",
    "escalated_at",
)


def _notice_state(notice: Notice) -> dict:
    state = {name: utc_text(getattr(notice, name)) for name in NOTICE_MOMENTS}
    return state | {
        "status": notice.status,
        "kind": notice.kind,
        "provider": notice.provider_id,
        "held_seconds": notice.held_seconds,
        "repeats_sent": notice.repeats_sent,
    }


def _hold_state(hold: Hold) -> dict:
    return {
        "notice": hold.notice_id,
        "agency": hold.agency_id,
        "started_at": utc_text(hold.started_at),
        "until": utc_text(hold.until),
        "released_at": utc_text(hold.released_at),
        "end_reason": hold.end_reason,
    }


def _escalation_state(escalation: Escalation) -> dict:
    return {
        "agency": escalation.agency_id,
        "kind": escalation.kind,
        "channel": escalation.channel,
        "corrects": escalation.corrects_id,
        "created_at": utc_text(escalation.created_at),
        "body_sha256": sha256_hex(canonical_json([escalation.agency_reference, escalation.note])),
    }


def _message_state(item: MessageItem) -> dict:
    """What the report's notice was to be told, by which channel and, once it went, when, by which
    message and a hash of what that message said (a message may speak about other reports: only
    its hash is here). Grouping, attempts, retries and an item left out of its message write no
    event, so they are not in it."""
    message = item.message
    sent = (
        message is not None and not item.dropped and message.status == OutgoingMessage.Status.SENT
    )
    state = {
        "notice": item.notice_id,
        "kind": item.kind,
        "attempt": item.attempt,
        "channel": item.channel,
        "created_at": utc_text(item.created_at),
        "message": message.pk if sent else None,
        "handed_off_at": utc_text(message.sent_at) if sent else None,
    }
    if sent:
        body = [message.target, message.subject, message.body_text, message.body_html]
        state["body_sha256"] = sha256_hex(canonical_json([*body, message.xarf]))
    return state


def report_states(reports: Iterable[Report], born: frozenset[int] = frozenset()) -> dict[int, dict]:
    """Each report's audited state: its SLA moments and every notice, hold, escalation and
    outgoing message it has (messages by their hand-off time and a hash of their body).
    Reports being ``born`` in this transaction have none of those yet: no query for them."""
    states = {
        report.pk: {
            "report": {name: utc_text(getattr(report, name)) for name in REPORT_MOMENTS}
            | {"status": report.status},
            "notices": {},
            "holds": {},
            "escalations": {},
            "messages": {},
        }
        for report in reports
    }
    ids = [pk for pk in states if pk not in born]
    if not ids:
        return states
    rows = [
        ("notices", Notice.objects.filter(report_id__in=ids), _notice_state),
        ("holds", Hold.objects.filter(report_id__in=ids), _hold_state),
        ("escalations", Escalation.objects.filter(report_id__in=ids), _escalation_state),
        (
            "messages",
            MessageItem.objects.filter(notice__report_id__in=ids)
            .select_related("message")
            .annotate(report_id=F("notice__report_id")),
            _message_state,
        ),
    ]
    for key, queryset, describe in rows:
        for row in queryset.order_by():
            states[row.report_id][key][str(row.pk)] = describe(row)
    return states


# --- writing --------------------------------------------------------------------------------


def event_build(
    verb: str,
    *,
    actor,
    at: datetime,
    report: Report | None = None,
    report_id: int | None = None,
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
) -> Event:
    """The one way an audit event is made: who did it comes whole from the ``Actor``.

    Give the ``report`` row where the caller holds it (appending then reads no more), else its
    id; neither for an event of no report (the directory's).
    """
    return Event(
        **({"report": report} if report is not None else {"report_id": report_id}),
        verb=verb,
        from_status=from_status,
        to_status=to_status,
        at=at,
        actor_kind=actor.kind,
        actor_label=actor.label,
        actor_user=actor.user,
        data=data or {},
    )


def directory_change_append(sender, *, actor, verb: str, data: dict, **signal) -> None:
    """A change to the directory (``hotline.directory.directory_changed``): an event of no
    report in the same chain, written in the transaction that made the change."""
    events_append([event_build(verb, actor=actor, at=timezone.now(), data=data)])


def events_append(events: Iterable[Event]) -> list[Event]:
    """Hash and insert events (the database queues them for sealing); in the caller's transaction,
    after the writes they record, so that the state they carry is the one committed."""
    events = list(events)
    if not events:
        return events
    assert transaction.get_connection().in_atomic_block, "append events inside a transaction"
    reports = {e.report.pk: e.report for e in events if Event.report.is_cached(e) and e.report}
    missing = {e.report_id for e in events if e.report_id and e.report_id not in reports}
    reports.update(Report.objects.in_bulk(missing))
    # A report's first event (from no status) is written with the report: nothing refers to it.
    born = frozenset(e.report_id for e in events if e.report_id and not e.from_status)
    states = report_states(reports.values(), born)
    for event in events:
        event.state = states.get(event.report_id)
        event.salt = secrets.token_hex(16)
        event.content_hash = content_hash(event)
    Event.objects.bulk_create(events)  # the database queues each for sealing (migration 0012)
    return events


def _sealer_lock() -> AuditChainHead:
    """Wait for the other sealers; return the head, locked for this transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK])
    else:  # the first write takes SQLite's one write lock
        AuditChainHead.objects.filter(pk=1).update(seq=F("seq"))
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def _seal_batch() -> int:
    with transaction.atomic():
        head = _sealer_lock()
        queued = list(
            AuditPending.objects.order_by("event_id").values_list("event_id", flat=True)[
                :SEAL_BATCH
            ]
        )
        if not queued:
            return 0
        hashes = dict(Event.objects.filter(pk__in=queued).values_list("pk", "content_hash"))
        now = timezone.now()
        seals = []
        for event_id in queued:
            head.seq += 1
            head.hash = chain_link(head.seq, head.hash, hashes[event_id])
            seals.append(
                AuditSeal(
                    seq=head.seq,
                    event_id=event_id,
                    content_hash=hashes[event_id],
                    chain_hash=head.hash,
                    sealed_at=now,
                )
            )
        AuditSeal.objects.bulk_create(seals)
        AuditPending.objects.filter(event_id__in=queued).delete()
        head.save(update_fields=["seq", "hash"])
    return len(seals)


def audit_seal() -> int:
    """Seal what is queued; returns how many events were sealed. Safe to run from many workers."""
    sealed = 0
    for _ in range(SEAL_BATCHES_PER_RUN):
        count = _seal_batch()
        sealed += count
        if count < SEAL_BATCH:
            break
    return sealed


# --- checkpoints ----------------------------------------------------------------------------


def audit_checkpoint() -> AuditCheckpoint:
    """Seal what is queued, then sign the newest chain hash and hand it outside."""
    audit_seal()
    with transaction.atomic():
        head = _sealer_lock()
        signed = checkpoint_sign(head.seq, head.hash, timezone.now())
        checkpoint = AuditCheckpoint.objects.create(
            seq=head.seq,
            chain_hash=head.hash,
            at=datetime.fromisoformat(signed.at),
            key_id=signed.key_id,
            line=signed.line,
        )
        transaction.on_commit(lambda: checkpoint_anchor(signed.line))
    return checkpoint


def checkpoints_after(seq: int, limit: int) -> list[AuditCheckpoint]:
    """The checkpoints past a sequence number, oldest first: what an auditor fetches next."""
    return list(AuditCheckpoint.objects.filter(seq__gt=seq).order_by("seq", "id")[:limit])


def audit_tick() -> int:
    """The beat's second: seal, and write a checkpoint when the interval has passed since the
    last one and something was sealed since."""
    sealed = audit_seal()
    last = AuditCheckpoint.objects.order_by("-id").first()
    head = AuditChainHead.objects.filter(pk=1).first()
    interval = settings.HOTLINE_AUDIT_CHECKPOINT_SECONDS
    due = last is None or (timezone.now() - last.at).total_seconds() >= interval
    if due and head is not None and (last is None or head.seq > last.seq):
        audit_checkpoint()
    return sealed


# --- health ---------------------------------------------------------------------------------


def audit_health() -> dict:
    """The audit part of /healthz: what waits to be sealed, warning past a minute."""
    oldest = AuditPending.objects.order_by("at").values_list("at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    detail = {
        "unsealed": AuditPending.objects.count(),
        "oldest_unsealed_seconds": round(age, 1),
        "status": "ok",
    }
    if age > UNSEALED_WARNING_SECONDS:
        detail["status"] = "warning"
        detail["detail"] = (
            f"Audit events have waited {age:.0f} s to be sealed: is the Celery beat running? "
            "Run `manage.py audit seal` to seal them now."
        )
    return detail


# --- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    broken_seq: int | None = None
    problem: str = ""
    unsealed: int = 0
    oldest_unsealed_seconds: float = 0.0
    checkpoints: int = 0


def _state_digest(state: dict) -> bytes:
    return hashlib.sha256(canonical_json(state)).digest()


@dataclass
class _Walk:
    """What the walk over the seals keeps: per report, its latest event's id, seq and a digest
    of the state that event recorded (a digest: a million reports fit in memory)."""

    latest_state: dict[int, tuple[int, int | None, bytes]] = field(default_factory=dict)

    def record(self, event: Event, seq: int | None) -> None:
        if event.report_id is None or event.state is None:
            return
        known = self.latest_state.get(event.report_id)
        if known is None or event.pk > known[0]:
            self.latest_state[event.report_id] = (event.pk, seq, _state_digest(event.state))


class _Broken(Exception):
    def __init__(self, seq: int | None, problem: str):
        super().__init__(problem)
        self.seq = seq
        self.problem = problem


def _check_event(seal: AuditSeal, event: Event, prev_hash: str) -> None:
    if seal.legacy:
        if seal.chain_hash != legacy_link(prev_hash, event, seal.seq):
            raise _Broken(seal.seq, "its content or link does not match its hash")
        return
    if event.content_hash != content_hash(event):
        raise _Broken(seal.seq, "its content does not match its hash")
    if seal.content_hash != event.content_hash:
        raise _Broken(seal.seq, "its content hash differs from the one sealed")
    if seal.chain_hash != chain_link(seal.seq, prev_hash, seal.content_hash):
        raise _Broken(seal.seq, "its chain hash does not follow from the seal before it")


def _walk(walk: _Walk, checkpoints: dict[int, list[SignedCheckpoint]]) -> int:
    """Every seal in order, up to the newest when the walk started."""
    last = AuditSeal.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    prev_hash = GENESIS_HASH
    expected = 1
    good_checkpoint = 0
    seals = AuditSeal.objects.filter(seq__lte=last).select_related("event").order_by("seq")
    for seal in seals.iterator(chunk_size=VERIFY_CHUNK):
        if seal.seq != expected:
            raise _Broken(expected, f"event {expected} is missing")
        _check_event(seal, seal.event, prev_hash)
        for checkpoint in checkpoints.get(seal.seq, ()):
            if checkpoint.chain_hash != seal.chain_hash:
                raise _Broken(
                    seal.seq,
                    f"its chain hash differs from the checkpoint signed at {checkpoint.at}: "
                    f"events {good_checkpoint + 1} to {seal.seq} were rewritten and the chain "
                    "recomputed",
                )
            good_checkpoint = seal.seq
        walk.record(seal.event, seal.seq)
        prev_hash = seal.chain_hash
        expected += 1
    return expected - 1


def _check_tail(
    count: int, head: AuditChainHead | None, checkpoints: list[SignedCheckpoint]
) -> None:
    beyond = [c for c in checkpoints if c.seq > count]
    if beyond:
        checkpoint = max(beyond, key=lambda c: c.seq)
        raise _Broken(
            count + 1,
            f"the checkpoint signed at {checkpoint.at} records {checkpoint.seq} events, the "
            f"trail has {count}: events were removed",
        )
    if head is not None and head.seq > count:
        raise _Broken(count + 1, f"the chain head records {head.seq} events: events were removed")


def _check_states(walk: _Walk) -> None:
    """The SLA moments, holds, escalations and messages must be as the latest event of their
    report recorded them: a change made without an event is a change behind the trail's back."""
    unsealed = Event.objects.filter(seal__isnull=True, state__isnull=False)
    for event in unsealed.iterator(chunk_size=VERIFY_CHUNK):
        walk.record(event, None)
    report_ids = sorted(walk.latest_state)
    problems = []
    for start in range(0, len(report_ids), VERIFY_CHUNK):
        chunk = Report.objects.filter(pk__in=report_ids[start : start + VERIFY_CHUNK])
        for report_id, state in report_states(chunk).items():
            event_id, seq, recorded = walk.latest_state[report_id]
            if _state_digest(state) != recorded and not _same_before_the_outbox(event_id, state):
                problems.append((seq or 0, event_id, report_id, state))
    if problems:
        seq, event_id, report_id, state = min(problems, key=lambda problem: problem[:3])
        where = seq if seq else None
        recorded = Event.objects.values_list("state", flat=True).get(pk=event_id)
        difference = _difference(recorded, state)
        reference = Report.objects.values_list("reference", flat=True).get(pk=report_id)
        raise _Broken(
            where,
            f"report {reference} differs from what its latest event (id {event_id}) recorded: "
            f"{difference}",
        )


def _same_before_the_outbox(event_id: int, state: dict) -> bool:
    """A report whose latest event was written before the outbox (migration reports 0015)
    recorded its messages in their old form, one per notice, kind and attempt. Its state is
    unchanged if everything else is equal and each message it recorded as handed off is, with the
    same hand-off time and body hash, one the report's notices carried."""
    recorded = Event.objects.values_list("state", flat=True).get(pk=event_id)
    messages = recorded.get("messages", {})
    if not messages or any("channel" in entry for entry in messages.values()):
        return False
    rest = {part: value for part, value in recorded.items() if part != "messages"}
    if canonical_json(rest) != canonical_json(
        {part: value for part, value in state.items() if part != "messages"}
    ):
        return False

    def sent(entries) -> list:
        return sorted(
            canonical_json([e["notice"], e["kind"], e["attempt"], e["handed_off_at"]])
            + (e.get("body_sha256") or "").encode()
            for e in entries
            if e.get("handed_off_at")
        )

    return sent(messages.values()) == sent(state.get("messages", {}).values())


def _difference(recorded: dict, current: dict) -> str:
    for part in ("report", "notices", "holds", "escalations", "messages"):
        before, now = recorded.get(part, {}), current.get(part, {})
        if part == "report":
            before, now = {"": before}, {"": now}
        for key in sorted(set(before) | set(now)):
            if key not in now:
                return f"{part} {key} is gone"
            if key not in before:
                return f"{part} {key} was added"
            for name in sorted(set(before[key]) | set(now[key])):
                if before[key].get(name) != now[key].get(name):
                    label = part[:-1] + f" {key} " if key else "its "
                    return (
                        f"{label}{name} is {now[key].get(name)}, recorded {before[key].get(name)}"
                    )
    return "it changed"


def audit_verify(checkpoint_lines: Iterable[str] = (), public_key=None) -> VerifyResult:
    """Check the sealed chain, the checkpoints stored and given, and the recorded states.

    ``checkpoint_lines`` are checkpoints an auditor kept (signature checked with
    ``public_key``, by default the service's own). The walk stops at the newest seal when it
    started: events sealed meanwhile are left for the next run.
    """
    key = public_key or signing_key().public_key()
    given = checkpoints_read(checkpoint_lines, key)
    stored = [
        SignedCheckpoint.parse(line)
        for line in AuditCheckpoint.objects.order_by("seq").values_list("line", flat=True)
    ]
    own = key_id(key)
    for checkpoint in stored:
        if checkpoint.key_id == own and not checkpoint.signed_by(key):
            return VerifyResult(False, 0, checkpoint.seq, "a stored checkpoint's signature is bad")
    stored = [c for c in stored if c.key_id == own]  # others are checked with their own key
    by_seq: dict[int, list[SignedCheckpoint]] = {}
    for checkpoint in [*given, *stored]:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    walk = _Walk()
    count = 0
    try:
        # The head is read before the walk reads the newest seal: a sealer between them only
        # adds seals the walk then covers.
        head = AuditChainHead.objects.filter(pk=1).first()
        count = _walk(walk, by_seq)
        _check_tail(count, head, [*given, *stored])
        _check_states(walk)
    except _Broken as broken:
        verified = (broken.seq - 1) if broken.seq else count
        return VerifyResult(False, verified, broken.seq, broken.problem)
    stray = Event.objects.filter(seal__isnull=True, pending__isnull=True).order_by("pk").first()
    if stray is not None:
        return VerifyResult(
            False, count, count + 1, f"event id {stray.pk} is neither sealed nor queued to be"
        )
    oldest = AuditPending.objects.order_by("at").values_list("at", flat=True).first()
    return VerifyResult(
        True,
        count,
        unsealed=Event.objects.filter(seal__isnull=True).count(),
        oldest_unsealed_seconds=(timezone.now() - oldest).total_seconds() if oldest else 0.0,
        checkpoints=len(given),
    )
