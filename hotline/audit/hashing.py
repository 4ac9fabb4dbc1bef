"""The audit trail's hashing: one canonical encoding, SHA-256, salted digests of personal
fields, and the chain link. Used by the case's events (reports.audit); nothing here knows them."""

import hashlib
import json
from datetime import UTC, datetime


def utc_text(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def personal_digest(salt: str, value) -> str | None:
    """A personal field as it enters the content: withheld or erased later, links still hold."""
    if value is None or value == "":
        return None
    return sha256_hex(f"{salt}\n{value}".encode())


def chain_link(seq: int, prev_chain_hash: str, event_content_hash: str) -> str:
    return sha256_hex(f"{prev_chain_hash}\n{seq}\n{event_content_hash}".encode())
