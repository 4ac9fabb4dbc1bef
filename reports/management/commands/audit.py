import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from hotline.audit import checkpoints
from reports import audit


class Command(BaseCommand):
    help = (
        "The audit trail: verify the sealed chain (against checkpoints an auditor kept), seal "
        "what waits now, write a signed checkpoint now, or print the public key."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk the whole sealed chain")
        verify.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="a file of checkpoint lines kept outside the service (repeatable)",
        )
        verify.add_argument(
            "--public-key",
            metavar="PEM_FILE",
            help="the public key the checkpoints were signed with (default: the service's)",
        )
        seal = sub.add_parser(
            "seal", help="seal the events waiting now (the beat does it each second)"
        )
        seal.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep sealing at this interval until stopped (where no Celery beat runs)",
        )
        sub.add_parser("checkpoint", help="seal, then sign and hand out a checkpoint now")
        sub.add_parser("public-key", help="print the checkpoints' public key (PEM) and key id")

    def handle(self, *args, action, **options):
        if action == "seal" and options["every"]:
            while True:  # until the process is stopped
                audit.audit_seal()
                time.sleep(options["every"])
        elif action == "seal":
            self.stdout.write(f"Sealed {audit.audit_seal()} events.")
        elif action == "checkpoint":
            self.stdout.write(audit.audit_checkpoint().line)
        elif action == "public-key":
            key = checkpoints.signing_key().public_key()
            self.stderr.write(f"key id {checkpoints.key_id(key)}")
            self.stdout.write(checkpoints.public_key_pem(key), ending="")
        else:
            self._verify(options["checkpoint"], options["public_key"])

    def _verify(self, checkpoint_files: list[str], public_key_file: str | None) -> None:
        try:
            key = None
            if public_key_file:
                key = serialization.load_pem_public_key(Path(public_key_file).read_bytes())
            lines = [
                line for name in checkpoint_files for line in Path(name).read_text().splitlines()
            ]
            result = audit.audit_verify(lines, key)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if not result.ok:
            where = f"event {result.broken_seq}" if result.broken_seq else "an unsealed event"
            raise CommandError(
                f"BROKEN at {where}: {result.problem} ({result.count} events verified before it)."
            )
        checked = f", {result.checkpoints} checkpoints matched" if result.checkpoints else ""
        self.stdout.write(
            f"OK: {result.count} events sealed, chain intact{checked}; {result.unsealed} not "
            f"sealed yet (oldest {result.oldest_unsealed_seconds:.0f} s)."
        )
