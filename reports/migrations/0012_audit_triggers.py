"""Append-only in the database itself: UPDATE, DELETE and TRUNCATE of events, escalations, seals
and checkpoints are refused by plain triggers that consult no setting. And every event inserted
is queued for the sealer by the database (no statement of the request's own, none to forget).

django-pgtrigger's triggers step aside for ``SET pgtrigger.ignore``, which any session may set,
so they are replaced. What still passes these triggers needs more than the service's queries:
``session_replication_role = replica`` needs a superuser, ``ALTER TABLE ... DISABLE TRIGGER``
the table's owner. Signed checkpoints held outside the database catch what those do.
"""

import django.db.models.deletion
import pgtrigger.migrations
from django.db import migrations, models


TABLES = ("reports_event", "reports_escalation", "reports_auditseal", "reports_auditcheckpoint")

FUNCTION = """
CREATE FUNCTION hotline_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TRIGGERS = "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION hotline_audit_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION hotline_audit_append_only();
"""
    for table in TABLES
)

QUEUE = """
CREATE FUNCTION hotline_audit_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_auditpending (event_id, at) VALUES (NEW.id, NEW.at);
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_event_queue AFTER INSERT ON reports_event
    FOR EACH ROW EXECUTE FUNCTION hotline_audit_queue();
"""

# SQLite drops a table's triggers when a migration rebuilds it: a later migration that alters
# reports_event must create this one again (the tests on SQLite fail otherwise: nothing seals).
SQLITE_QUEUE = """
CREATE TRIGGER reports_event_queue AFTER INSERT ON reports_event
BEGIN
    INSERT INTO reports_auditpending (event_id, at) VALUES (NEW.id, NEW.at);
END;
"""

DROP = "".join(
    f"DROP TRIGGER {table}_append_only ON {table}; DROP TRIGGER {table}_no_truncate ON {table};"
    for table in TABLES
) + "DROP FUNCTION hotline_audit_append_only();"
DROP_QUEUE = "DROP TRIGGER reports_event_queue ON reports_event; DROP FUNCTION hotline_audit_queue();"


def _run_sql(postgresql: str, sqlite: str = ""):
    def run(apps, schema_editor):
        sql = {"postgresql": postgresql, "sqlite": sqlite}.get(schema_editor.connection.vendor)
        if sql:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the '%' are plpgsql's

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_audit_seal"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(model_name="escalation", name="escalation_append_only"),
        pgtrigger.migrations.RemoveTrigger(model_name="event", name="event_append_only"),
        migrations.AlterModelOptions(name="event", options={"ordering": ["id"]}),
        migrations.RemoveField(model_name="event", name="hash"),
        migrations.RemoveField(model_name="event", name="prev_hash"),
        migrations.RemoveField(model_name="event", name="seq"),
        migrations.AlterField(
            model_name="event",
            name="report",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="reports.report",
            ),
        ),
        migrations.RunPython(_run_sql(FUNCTION + TRIGGERS), _run_sql(DROP)),
        migrations.RunPython(
            _run_sql(QUEUE, SQLITE_QUEUE),
            _run_sql(DROP_QUEUE, "DROP TRIGGER reports_event_queue;"),
        ),
    ]
