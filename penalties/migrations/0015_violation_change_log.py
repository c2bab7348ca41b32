"""W2: violations' change log replaces the index on ``updated_at``.

The triggers come first: ``CREATE TRIGGER`` locks the table against writes
until this migration commits, so the backfill (every violation's current
``updated_at``) misses no change made meanwhile. PostgreSQL then leaves half
of each new page free (``fillfactor`` 50: the nightly batch's update of a row
stays on its page, a HOT update); existing pages keep their rows. SQLite gets
the same row triggers in its own syntax (pgtrigger installs PostgreSQL's).
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER violation_change_log_{op} AFTER {op.upper()} ON penalties_violation{when}
        BEGIN
          INSERT OR IGNORE INTO penalties_violationchange (changed_at, first_id, last_id) VALUES (NEW.updated_at, NEW.id, NEW.id);
        END"""
    for op, when in (("insert", ""), ("update", " WHEN NEW.updated_at IS NOT OLD.updated_at"))
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)
    schema_editor.execute(
        "INSERT INTO penalties_violationchange (changed_at, first_id, last_id)"
        " SELECT updated_at, id, id FROM penalties_violation WHERE true ON CONFLICT DO NOTHING"
    )
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE penalties_violation SET (fillfactor = 50)")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for op in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS violation_change_log_{op}")
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE penalties_violation RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("penalties", "0014_judgement_events_from_violations"),
    ]

    operations = [
        migrations.CreateModel(
            name="ViolationChange",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "changed_at",
                        "first_id",
                        "last_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
                ("first_id", models.BigIntegerField(verbose_name="first violation id")),
                ("last_id", models.BigIntegerField(verbose_name="last violation id")),
            ],
            options={
                "verbose_name": "violation change",
                "verbose_name_plural": "violation changes",
            },
        ),
        migrations.RemoveIndex(
            model_name="violation",
            name="violation_sync",
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="violation",
            trigger=pgtrigger.compiler.Trigger(
                name="violation_change_log_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (current_setting('penalties.change_log', true) IS DISTINCT FROM 'written')",
                    func="\n    INSERT INTO penalties_violationchange (changed_at, first_id, last_id) VALUES (NEW.updated_at, NEW.id, NEW.id)\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n",
                    hash="8f04a2176ce2e73bade10c72b62c36aef5384488",
                    operation="INSERT",
                    pgid="pgtrigger_violation_change_log_insert_d4a3c",
                    table="penalties_violation",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="violation",
            trigger=pgtrigger.compiler.Trigger(
                name="violation_change_log_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (NEW.updated_at IS DISTINCT FROM OLD.updated_at AND current_setting('penalties.change_log', true) IS DISTINCT FROM 'written')",
                    func="\n    INSERT INTO penalties_violationchange (changed_at, first_id, last_id) VALUES (NEW.updated_at, NEW.id, NEW.id)\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n",
                    hash="7967fa68dfbd5d1af58662af979c0d966827f489",
                    operation="UPDATE",
                    pgid="pgtrigger_violation_change_log_update_24d86",
                    table="penalties_violation",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
