"""What the admin's search and the new queues need at a million reports.

On PostgreSQL (SQLite scans: its databases are small), two expression indexes that the
expressions in reports.selectors.queues match exactly:

- a trigram index on the reference without its dashes: a pasted part of a reference ("HA5W",
  "ha5w-49x1", "HA5W49X1") is a ``LIKE '%...%'`` that a B-tree cannot serve;
- the host reversed, in byte order (``text_pattern_ops``): a domain and all its subdomains are
  one prefix of it (``gro.elpmaxe.%``), one range scan whatever the depth of the domain.

And on both, a partial index on the deadlines of the notices whose clock runs (the queues
"due within 4 h" and "awaiting removal").
"""

from django.db import migrations, models

POSTGRESQL_INDEXES = {
    "report_reference_trgm_idx": "USING gin ((REPLACE(reference, '-', '')) gin_trgm_ops)",
    "report_host_reversed_idx": "((REVERSE(host)) text_pattern_ops)",
}


def search_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in POSTGRESQL_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON reports_report {definition}")


def search_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in POSTGRESQL_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0016_workbench"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(
                condition=models.Q(("status__in", ("delivering", "open", "overdue"))),
                fields=["deadline_at", "report"],
                name="notice_clock_running_idx",
            ),
        ),
        migrations.RunPython(search_indexes_create, search_indexes_drop),
    ]
