from django.db import migrations

from hotline.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    """Staff roles also read notices, their messages and (auditors) provider keys."""

    dependencies = [("reports", "0003_notices"), ("hotline", "0002_provider_api_keys")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
