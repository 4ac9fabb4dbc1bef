from django.db import migrations

from hotline.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    """Staff roles also read notices and their messages."""

    dependencies = [("reports", "0003_notices")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
