"""The audit trail: checkpoints: written, handed out, checkable with the public key alone."""

import subprocess
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.utils import timezone

from hotline.actors import Actor
from hotline.audit import checkpoints
from reports import audit, workflow
from reports.audit import audit_checkpoint
from reports.models import AuditCheckpoint, AuditSeal
from tests.reports.audit.support import README, submit, verify

# --- checkpoints: written, handed out, checkable with the public key alone -------------------


def test_the_tick_seals_every_second_and_checkpoints_at_the_interval(history, settings, tmp_path):
    anchor = tmp_path / "anchor.txt"
    settings.HOTLINE_AUDIT_ANCHOR = [str(anchor)]
    settings.HOTLINE_AUDIT_CHECKPOINT_SECONDS = 300
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        audit.audit_tick()
    assert AuditCheckpoint.objects.count() == 1
    workflow.report_release(history[-1].report_id, actor=Actor.for_user(history[-1].actor_user))
    with time_machine.travel(now + timedelta(seconds=299), tick=False):
        assert audit.audit_tick() == 1  # sealed, no checkpoint yet
    assert AuditCheckpoint.objects.count() == 1
    with time_machine.travel(now + timedelta(seconds=300), tick=False):
        audit.audit_tick()
    with time_machine.travel(now + timedelta(seconds=900), tick=False):
        audit.audit_tick()  # nothing new since: no checkpoint
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [10, 11]


def test_beat_runs_the_tick_every_second(settings):
    from config.celery import app
    from reports import tasks

    assert tasks.audit_tick.name == "reports.tasks.audit_tick"
    entry = settings.CELERY_BEAT_SCHEDULE["audit-seal"]
    assert entry["schedule"] == 1.0
    assert entry["task"] in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_checkpoint_is_appended_to_each_file_and_mailed_to_each_address(
    settings, tmp_path, mailoutbox
):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    settings.HOTLINE_AUDIT_ANCHOR = [str(first), "auditor@regulator.example", str(second)]
    submit("https://anchored.example.com/x")
    one = audit_checkpoint()
    two = audit_checkpoint()
    assert first.read_text() == second.read_text() == f"{one.line}\n{two.line}\n"
    assert [m.to for m in mailoutbox] == [["auditor@regulator.example"]] * 2
    assert mailoutbox[0].body.strip() == one.line
    assert verify(first).startswith("OK: 1 events sealed, chain intact, 2 checkpoints matched")


def test_the_checkpoint_command_prints_the_line(history):
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    line = out.getvalue().strip()
    assert line == AuditCheckpoint.objects.get().line
    assert line.startswith(
        f"hotline-audit-checkpoint/1 seq=10 hash={AuditSeal.objects.last().chain_hash} "
    )


def _readme_block(marker: str) -> str:
    text = README.read_text()
    start = text.index(marker)
    opening = text.index("```", start)
    body_start = text.index("\n", opening) + 1
    return text[body_start : text.index("```", body_start)]


# What each of the README's procedures prints for a good checkpoint.
README_CHECKS = {
    "<!-- check-with-openssl -->": "Signature Verified Successfully",
    "<!-- check-with-python -->": "OK hotline-audit-checkpoint/1 seq=10 ",
}


@pytest.mark.parametrize("marker", sorted(README_CHECKS))
def test_the_readmes_way_checks_a_checkpoint_with_the_public_key_alone(history, tmp_path, marker):
    """The documented commands run as written, in a folder holding only what an auditor has."""
    out = StringIO()
    call_command("audit", "public-key", stdout=out, stderr=StringIO())
    (tmp_path / "audit-public.pem").write_text(out.getvalue())
    checkpoints = tmp_path / "checkpoints.txt"
    checkpoints.write_text(audit_checkpoint().line + "\n")
    script = _readme_block(marker)

    good = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    checkpoints.write_text(checkpoints.read_text().replace("seq=10 ", "seq=11 "))
    bad = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )

    assert good.returncode == 0, good.stderr
    assert README_CHECKS[marker] in good.stdout + good.stderr
    assert bad.returncode != 0


def test_the_public_key_command_prints_a_pem_any_tool_reads(db):
    out = StringIO()
    call_command("audit", "public-key", stdout=out, stderr=StringIO())
    key = serialization.load_pem_public_key(out.getvalue().encode())
    assert checkpoints.key_id(key) == checkpoints.key_id(checkpoints.signing_key().public_key())


def test_a_process_that_lost_the_race_for_the_development_key_keeps_the_winners(tmp_path, settings):
    # Two workers (or parallel test processes) may both find no key and both create one: the
    # second must not replace the key the first already signs with, nor show a half-written file.
    settings.VAR_DIR = tmp_path
    settings.HOTLINE_AUDIT_SIGNING_KEY = ""
    first = checkpoints.key_id(checkpoints.signing_key().public_key())
    path = tmp_path / "audit-signing-key.pem"
    written = path.read_bytes()

    checkpoints.development_key_create(path)  # the late process, which saw no file a moment ago

    assert path.read_bytes() == written
    assert checkpoints.key_id(checkpoints.signing_key().public_key()) == first
    assert [p.name for p in tmp_path.iterdir()] == ["audit-signing-key.pem"]
    assert path.stat().st_mode & 0o777 == 0o600
