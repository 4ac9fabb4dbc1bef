"""The tamper-evident audit trail.

Every event's hash covers its canonical content and the previous event's hash, in one chain
over all events. Appending locks the one ``AuditChainHead`` row, so concurrent writers chain in
commit order; callers append as the last step of their transaction to hold the lock briefly.
``audit_verify`` recomputes the chain; on PostgreSQL a trigger also refuses UPDATE and DELETE.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from django.db import transaction

from reports.models import GENESIS_HASH, AuditChainHead, Event

VERIFY_CHUNK = 5000


def event_content(event: Event) -> bytes:
    """The fields the hash covers, in a fixed, unambiguous encoding."""
    content = {
        "seq": event.seq,
        "report": event.report_id,
        "verb": event.verb,
        "from": event.from_status,
        "to": event.to_status,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_kind": event.actor_kind,
        "actor_label": event.actor_label,
        "actor_user": event.actor_user_id,
        "data": event.data,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: Event, prev_hash: str) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + event_content(event)).hexdigest()


def events_append(events: Iterable[Event]) -> list[Event]:
    """Chain and insert events; must run inside the caller's transaction."""
    events = list(events)
    if not events:
        return events
    assert transaction.get_connection().in_atomic_block, "append events inside a transaction"
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    for event in events:
        head.seq += 1
        event.seq = head.seq
        event.prev_hash = head.hash
        event.hash = event_hash(event, head.hash)
        head.hash = event.hash
    Event.objects.bulk_create(events)
    head.save(update_fields=["seq", "hash"])
    return events


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    broken_seq: int | None = None
    problem: str = ""


def audit_verify() -> VerifyResult:
    """Walk the chain in order; report the first event whose link or content does not hold.

    The chain head is read first and the walk stops at it: events appended while the walk runs
    are left for the next run instead of being taken for a head that does not match.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    events = Event.objects.order_by("seq")
    if head is not None:
        events = events.filter(seq__lte=head.seq)
    for event in events.iterator(chunk_size=VERIFY_CHUNK):
        if event.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != expected_prev:
            return VerifyResult(
                False, count, event.seq, "its previous-hash does not match the event before it"
            )
        if event.hash != event_hash(event, event.prev_hash):
            return VerifyResult(False, count, event.seq, "its content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        count += 1
    if head is None and count:
        return VerifyResult(
            False, count, count + 1, "the chain head is missing: events may have been removed"
        )
    if head is not None and (head.seq, head.hash) != (count, expected_prev):
        return VerifyResult(
            False,
            count,
            count + 1,
            f"the chain head records {head.seq} events: events were removed",
        )
    return VerifyResult(True, count)
