from django.db import migrations, models
from django.db.models import F


def holds_ended_backfill(apps, schema_editor):
    # A hold released at its "until" expired (release_hold clamps to it); any other was released.
    Hold = apps.get_model("reports", "Hold")
    ended = Hold.objects.filter(released_at__isnull=False)
    ended.filter(released_at__gte=F("until")).update(end_reason="expired")
    ended.filter(released_at__lt=F("until")).update(end_reason="released")


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_notice_handoff")]

    operations = [
        migrations.AddField(
            model_name="hold",
            name="end_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("released", "released at the agency's request"),
                    ("expired", "expired"),
                    ("removed", "content removed during the hold"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(holds_ended_backfill, migrations.RunPython.noop),
    ]
