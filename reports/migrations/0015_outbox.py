"""The outbox: a message may carry several notices (its items) and is delivered with backoff
until it is sent or gives up.

Each message written so far becomes a message with one item (its notice, kind and attempt, by
e-mail to the address it had). Sent ones are ``sent``; unsent ones are ``pending`` and due now,
with the attempts they already failed counted once; the Message-ID they had stays.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


def messages_to_outbox(apps, schema_editor):
    OutgoingMessage = apps.get_model("reports", "OutgoingMessage")
    MessageItem = apps.get_model("reports", "MessageItem")
    now = django.utils.timezone.now()
    for message in OutgoingMessage.objects.select_related("notice").iterator():
        escalation = message.kind == "escalation"
        message.uuid = uuid.uuid4()
        message.channel = "email"
        message.target = message.to_address
        message.provider_id = None if escalation else message.notice.provider_id
        message.status = "sent" if message.sent_at else "pending"
        message.attempts = 1 if (message.sent_at or message.last_error) else 0
        message.next_attempt_at = now
        if message.last_error and not message.sent_at:
            message.first_failed_at = message.created_at
        message.save()
        MessageItem.objects.create(
            notice_id=message.notice_id,
            message=message,
            kind=message.kind,
            attempt=message.attempt,
            channel="email",
            target=message.to_address,
            created_at=message.created_at,
        )


def messages_from_outbox(apps, schema_editor):
    OutgoingMessage = apps.get_model("reports", "OutgoingMessage")
    MessageItem = apps.get_model("reports", "MessageItem")
    for item in MessageItem.objects.filter(message__isnull=False, channel="email"):
        OutgoingMessage.objects.filter(pk=item.message_id).update(
            notice_id=item.notice_id, attempt=item.attempt, to_address=item.target
        )
    # Messages that carried more than one notice, webhooks and tests have no earlier form.
    MessageItem.objects.all().delete()
    OutgoingMessage.objects.filter(notice__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0008_provider_channels"),
        ("reports", "0014_removal_checks"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnswerLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_sha256", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="DeliveryAlert",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("email", "e-mail"), ("webhook", "webhook")], max_length=16
                    ),
                ),
                ("failing_since", models.DateTimeField()),
                ("raised_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("cleared_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=500)),
            ],
            options={
                "ordering": ["-raised_at"],
            },
        ),
        migrations.CreateModel(
            name="MessageItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("notice", "notice"),
                            ("reminder", "reminder"),
                            ("repeat", "repeat notice"),
                            ("escalation", "escalation"),
                            ("test", "test delivery"),
                            ("alert", "staff alert"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "attempt",
                    models.PositiveIntegerField(default=0, help_text="The repeat's number."),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("email", "e-mail"), ("webhook", "webhook")],
                        default="email",
                        max_length=16,
                    ),
                ),
                ("target", models.CharField(max_length=500)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "dropped",
                    models.CharField(
                        blank=True,
                        help_text="Why it was left out when its message went.",
                        max_length=200,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="notice",
            name="one_running_notice_per_report",
        ),
        migrations.AddField(
            model_name="notice",
            name="undeliverable_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Delivery gave up (first time): a contact failure, not the provider's miss.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="channel",
            field=models.CharField(
                choices=[("email", "e-mail"), ("webhook", "webhook")],
                default="email",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="first_failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="next_attempt_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When the next attempt is due (while sending: when it counts as lost).",
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="possible_duplicate",
            field=models.BooleanField(
                default=False,
                help_text="An earlier attempt's outcome is unknown: it may have arrived.",
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="provider",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="messages",
                to="hotline.provider",
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "pending"),
                    ("sending", "sending"),
                    ("sent", "sent"),
                    ("failed", "failed (gave up)"),
                    ("cancelled", "cancelled (nothing left to say)"),
                ],
                default="pending",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="target",
            field=models.CharField(
                default="", help_text="The e-mail address or the webhook endpoint.", max_length=500
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="notice",
            name="status",
            field=models.CharField(
                choices=[
                    ("scheduled", "scheduled (police window)"),
                    ("delivering", "delivering (not yet accepted by the provider)"),
                    ("undeliverable", "undeliverable (no channel reached the provider)"),
                    ("open", "open"),
                    ("overdue", "overdue"),
                    ("removed", "removed"),
                    ("withdrawn", "withdrawn"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="body_text",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("notice", "notice"),
                    ("reminder", "reminder"),
                    ("repeat", "repeat notice"),
                    ("escalation", "escalation"),
                    ("test", "test delivery"),
                    ("alert", "staff alert"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="subject",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="xarf",
            field=models.JSONField(
                blank=True, help_text="The X-ARF documents it carried.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="outgoingmessage",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "sending"])),
                fields=["next_attempt_at"],
                name="message_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="outgoingmessage",
            index=models.Index(
                condition=models.Q(("status", "failed")),
                fields=["-failed_at"],
                name="message_failed_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="outgoingmessage",
            index=models.Index(
                condition=models.Q(("first_failed_at__isnull", False)),
                fields=["first_failed_at"],
                name="message_failing_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("status__in", ("scheduled", "delivering", "undeliverable", "open", "overdue"))
                ),
                fields=("report",),
                name="one_running_notice_per_report",
            ),
        ),
        migrations.AddField(
            model_name="answerlink",
            name="message",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="answer_link",
                to="reports.outgoingmessage",
            ),
        ),
        migrations.AddField(
            model_name="answerlink",
            name="provider",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="hotline.provider"
            ),
        ),
        migrations.AddField(
            model_name="deliveryalert",
            name="provider",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="hotline.provider"
            ),
        ),
        migrations.AddField(
            model_name="messageitem",
            name="message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="reports.outgoingmessage",
            ),
        ),
        migrations.AddField(
            model_name="messageitem",
            name="notice",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="message_items",
                to="reports.notice",
            ),
        ),
        migrations.AddConstraint(
            model_name="deliveryalert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("cleared_at__isnull", True)),
                fields=("provider", "channel"),
                name="one_open_alert_per_channel",
            ),
        ),
        migrations.AddIndex(
            model_name="messageitem",
            index=models.Index(
                condition=models.Q(("message__isnull", True)),
                fields=["created_at"],
                name="item_unbound_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="messageitem",
            constraint=models.UniqueConstraint(
                fields=("notice", "kind", "attempt", "channel"),
                name="one_item_per_notice_kind_attempt_channel",
            ),
        ),
        migrations.RunPython(messages_to_outbox, messages_from_outbox),
        migrations.RemoveConstraint(
            model_name="outgoingmessage",
            name="one_message_per_notice_kind_attempt",
        ),
        migrations.RemoveIndex(
            model_name="outgoingmessage",
            name="message_unsent_idx",
        ),
        migrations.RemoveField(
            model_name="outgoingmessage",
            name="attempt",
        ),
        migrations.RemoveField(
            model_name="outgoingmessage",
            name="notice",
        ),
        migrations.RemoveField(
            model_name="outgoingmessage",
            name="to_address",
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="target",
            field=models.CharField(
                help_text="The e-mail address or the webhook endpoint.", max_length=500
            ),
        ),
    ]
