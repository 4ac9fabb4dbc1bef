"""The audit trail: events hashed in the request, sealed into one chain, signed checkpoints.

Attacks are made the way someone with the service's database role could: that role owns the
tables, so on PostgreSQL it can switch the triggers off (``ALTER TABLE ... DISABLE TRIGGER``)
and then write what it likes. ``audit verify`` must name the first sequence number that no
longer holds, against a checkpoint an auditor kept from before the attack. The settings any
session may set (``pgtrigger.ignore``) and TRUNCATE are refused outright.
"""

from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from hotline.actors import Actor
from reports.audit import audit_checkpoint
from reports.intake import report_submit, submission_clean
from reports.models import AuditCheckpoint, Channel

README = Path(settings.BASE_DIR) / "README.md"
AUDIT_TABLES = (
    "reports_event",
    "reports_escalation",
    "reports_auditseal",
    "reports_auditcheckpoint",
)


def verify(*checkpoint_files) -> str:
    out = StringIO()
    args = [arg for path in checkpoint_files for arg in ("--checkpoint", str(path))]
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_broken(*checkpoint_files) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*checkpoint_files)
    return str(caught.value)


def submit(url: str):
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


def keep_checkpoint(folder: Path) -> Path:
    """What an auditor does: take a checkpoint and keep it outside the service."""
    path = folder / f"checkpoint-{AuditCheckpoint.objects.count()}.txt"
    path.write_text(audit_checkpoint().line + "\n")
    return path


@contextmanager
def triggers_off(*tables):
    """The table owner's way past the triggers (on SQLite there are none)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with
        for table in tables:  # foreign-key checks pending
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
