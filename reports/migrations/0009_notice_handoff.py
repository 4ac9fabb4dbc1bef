"""The notice clock starts at the hand-off (the provider's mail server accepted the notice).

Notices whose e-mail went keep their deadline: their hand-off is taken to be when they were
sent, as the clock always counted. Open notices whose e-mail never left become ``delivering``
(no deadline until it does). A never-sent notice e-mail of a notice that has already turned
overdue or ended is dropped: the hand-off of an ended notice is never made, so it would stay
unsent for ever (an overdue notice's repeats carry the same notice). Unsent messages get the
Message-ID their retries will keep.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail.message import make_msgid
from django.db import migrations, models
from django.db.models import F


def hand_offs_record(apps, schema_editor):
    Notice = apps.get_model("reports", "Notice")
    OutgoingMessage = apps.get_model("reports", "OutgoingMessage")
    notice_messages = OutgoingMessage.objects.filter(kind="notice")
    handed_off = notice_messages.filter(sent_at__isnull=False).values("notice_id")
    never_sent = notice_messages.filter(sent_at__isnull=True)
    Notice.objects.filter(pk__in=handed_off).update(handed_off_at=F("sent_at"))
    Notice.objects.filter(status="open", pk__in=never_sent.values("notice_id")).update(
        status="delivering", deadline_at=None, policy="", due_at=None
    )
    never_sent.exclude(notice__status="delivering").delete()
    for pk in OutgoingMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        OutgoingMessage.objects.filter(pk=pk).update(
            message_id=make_msgid(domain=settings.HOTLINE_ORG_DOMAIN)
        )


def hand_offs_forget(apps, schema_editor):
    # Back to the clock starting at the sending: a delivering notice is open from then, with
    # the deadline the policy gave when this was written (12 h under a legal order, else the
    # provider's own or 24 h); migrations do not import the live policy.
    Notice = apps.get_model("reports", "Notice")
    for notice in Notice.objects.filter(status="delivering").select_related("provider"):
        hours = 12 if notice.kind == "legal_order" else notice.provider.deadline_hours or 24
        notice.status = "open"
        notice.deadline_at = notice.sent_at + timedelta(hours=hours)
        notice.policy = f"restored: {hours}h"
        notice.due_at = notice.deadline_at
        notice.save(update_fields=["status", "deadline_at", "policy", "due_at"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_worker_heartbeat")]

    operations = [
        migrations.RemoveConstraint(model_name="notice", name="one_running_notice_per_report"),
        migrations.AddField(
            model_name="notice",
            name="handed_off_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the provider's mail server accepted it: the clock runs from here.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="outgoingmessage",
            name="message_id",
            field=models.CharField(
                blank=True,
                help_text="The Message-ID header, the same on every retry.",
                max_length=255,
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="sent_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the hotline sent it (the e-mail may leave later).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="status",
            field=models.CharField(
                choices=[
                    ("scheduled", "scheduled (police window)"),
                    ("delivering", "delivering (not yet accepted by the provider)"),
                    ("open", "open"),
                    ("overdue", "overdue"),
                    ("removed", "removed"),
                    ("withdrawn", "withdrawn"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("scheduled", "delivering", "open", "overdue"))),
                fields=("report",),
                name="one_running_notice_per_report",
            ),
        ),
        migrations.RunPython(hand_offs_record, hand_offs_forget),
    ]
