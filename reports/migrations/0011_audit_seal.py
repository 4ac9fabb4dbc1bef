"""The audit trail is sealed off the request path (reports/audit.py): events get a content hash
and a queue entry, the sealer links them into AuditSeal, and checkpoints are signed.

The chain from before becomes the first segment of the seal table, marked ``legacy``: each of
its seals keeps the event's old sequence number and hash, which ``audit verify`` still checks
with the formula they were made with. The old columns go in 0012, in a transaction of its own
(PostgreSQL refuses to alter a table with pending foreign-key checks from this one's inserts).
"""

import hashlib
import json
from datetime import UTC

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

BATCH = 5000


def _legacy_content(event) -> bytes:
    # Frozen copy of reports.audit.legacy_content: a migration does not import live code.
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


def chain_to_first_segment(apps, schema_editor):
    Event = apps.get_model("reports", "Event")
    AuditSeal = apps.get_model("reports", "AuditSeal")
    now = django.utils.timezone.now()
    seals = []
    for event in Event.objects.order_by("seq").iterator(chunk_size=BATCH):
        seals.append(
            AuditSeal(
                seq=event.seq,
                event_id=event.pk,
                content_hash=hashlib.sha256(_legacy_content(event)).hexdigest(),
                chain_hash=event.hash,
                sealed_at=now,
                legacy=True,
            )
        )
        if len(seals) == BATCH:
            AuditSeal.objects.bulk_create(seals)
            seals = []
    AuditSeal.objects.bulk_create(seals)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0010_reporter_status"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField()),
                ("chain_hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("line", models.TextField()),
            ],
            options={"ordering": ["seq", "id"]},
        ),
        migrations.CreateModel(
            name="AuditPending",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="pending",
                        serialize=False,
                        to="reports.event",
                    ),
                ),
                ("at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("seq", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="seal",
                        to="reports.event",
                    ),
                ),
                ("content_hash", models.CharField(max_length=64)),
                ("chain_hash", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("legacy", models.BooleanField(default=False)),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.AddField(
            model_name="event",
            name="content_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="event",
            name="salt",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="event",
            name="state",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(chain_to_first_segment, migrations.RunPython.noop),
    ]
