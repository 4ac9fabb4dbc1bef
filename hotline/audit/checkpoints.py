"""Signed checkpoints of the audit chain: the Ed25519 key (HOTLINE_AUDIT_SIGNING_KEY), the
line format any Ed25519 tool can check, and where checkpoints are handed outside the database
(HOTLINE_AUDIT_ANCHOR)."""

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.mail import send_mail

from hotline import keyfiles
from hotline.audit.hashing import sha256_hex

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "hotline-audit-checkpoint/1"


def signing_key_generate() -> str:
    """A new Ed25519 private key, PEM (PKCS#8), as HOTLINE_AUDIT_SIGNING_KEY takes it."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def development_key_create(path: Path) -> None:
    """A new key in ``path`` unless another process wrote one first (hotline/keyfiles.py)."""
    keyfiles.development_key_create(path, signing_key_generate)


def signing_key() -> Ed25519PrivateKey:
    """HOTLINE_AUDIT_SIGNING_KEY: a PEM private key, or the path of a file holding one.
    Development generates one under var/ (production settings refuse to start without it)."""
    configured = settings.HOTLINE_AUDIT_SIGNING_KEY
    if configured.startswith("-----BEGIN"):
        pem = configured.encode()
    else:
        path = Path(configured) if configured else settings.VAR_DIR / "audit-signing-key.pem"
        if not configured and not path.exists():
            development_key_create(path)
        pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("HOTLINE_AUDIT_SIGNING_KEY must be an Ed25519 private key.")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)[:16]


@dataclass(frozen=True)
class SignedCheckpoint:
    """``<format> seq=<n> hash=<hex> at=<UTC time> key=<key id> sig=<base64 signature>``: the
    signature covers the bytes before `` sig=``."""

    seq: int
    chain_hash: str
    at: str
    key_id: str
    payload: str
    signature: bytes

    @property
    def line(self) -> str:
        return f"{self.payload} sig={base64.b64encode(self.signature).decode()}"

    @classmethod
    def parse(cls, line: str) -> "SignedCheckpoint":
        payload, separator, signature = line.strip().rpartition(" sig=")
        fields = dict(part.split("=", 1) for part in payload.split(" ")[1:] if "=" in part)
        if not separator or not payload.startswith(CHECKPOINT_FORMAT + " "):
            raise ValueError(f"not a {CHECKPOINT_FORMAT} line")
        try:
            return cls(
                seq=int(fields["seq"]),
                chain_hash=fields["hash"],
                at=fields["at"],
                key_id=fields["key"],
                payload=payload,
                signature=base64.b64decode(signature, validate=True),
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(
                f"a {CHECKPOINT_FORMAT} line needs seq, hash, at, key and sig"
            ) from exc

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(self.signature, self.payload.encode())
        except InvalidSignature:
            return False
        return True


def checkpoint_sign(seq: int, chain_hash: str, at: datetime) -> SignedCheckpoint:
    key = signing_key()
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kid = key_id(key.public_key())
    payload = f"{CHECKPOINT_FORMAT} seq={seq} hash={chain_hash} at={stamp} key={kid}"
    return SignedCheckpoint(seq, chain_hash, stamp, kid, payload, key.sign(payload.encode()))


def checkpoint_anchor(line: str) -> None:
    """Hand the checkpoint outside the database: each file gets the line appended, each
    address an e-mail. A failure is logged; the checkpoint stays in the API for auditors."""
    addresses = [a for a in settings.HOTLINE_AUDIT_ANCHOR if "@" in a]
    for path in (Path(a) for a in settings.HOTLINE_AUDIT_ANCHOR if "@" not in a):
        try:
            with path.open("a", encoding="utf-8") as anchor:
                anchor.write(line + "\n")
        except OSError as exc:
            logger.error("audit checkpoint not appended to %s: %s", path, exc)
    if addresses:
        try:
            send_mail("Audit checkpoint", line + "\n", None, addresses)
        except Exception as exc:  # the next checkpoint covers this one
            logger.error("audit checkpoint not e-mailed: %s", type(exc).__name__)


def checkpoints_read(lines: Iterable[str], key: Ed25519PublicKey) -> list[SignedCheckpoint]:
    """Parse and check the signature of every checkpoint line (blank lines skipped)."""
    checkpoints = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoint = SignedCheckpoint.parse(line)
        except ValueError as exc:
            raise ValueError(f"checkpoint line {number}: {exc}") from None
        if not checkpoint.signed_by(key):
            raise ValueError(
                f"checkpoint line {number} (seq {checkpoint.seq}) is not signed by key "
                f"{key_id(key)}: it was altered, or signed by another key (give it with "
                "--public-key)."
            )
        checkpoints.append(checkpoint)
    return checkpoints
