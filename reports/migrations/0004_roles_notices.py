from django.db import migrations


class Migration(migrations.Migration):
    """Staff roles also read notices, their messages and (auditors) provider keys."""

    dependencies = [("reports", "0003_notices"), ("hotline", "0002_provider_api_keys")]

    # Roles are synced after every migrate (hotline.roles, post_migrate).
    operations = []
