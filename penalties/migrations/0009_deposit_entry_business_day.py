# P3: every deduction entry records the business day (Asia/Shanghai) it
# belongs to: its judgement's day + 1. Existing deductions are backfilled from
# their violation in one UPDATE (on a large ledger, run it in a quiet hour).

from django.db import migrations, models

POSTGRES = """
UPDATE penalties_depositentry e
   SET business_day = v.judgement_day + 1
  FROM penalties_violation v
 WHERE v.id = e.violation_id AND e.kind = 'deduction' AND e.business_day IS NULL
"""

SQLITE = """
UPDATE penalties_depositentry
   SET business_day = (SELECT date(v.judgement_day, '+1 day') FROM penalties_violation v
                        WHERE v.id = penalties_depositentry.violation_id)
 WHERE kind = 'deduction' AND business_day IS NULL
"""


def backfill(apps, schema_editor):
    sql = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("penalties", "0008_merge_0006_job_run_attempts_0007_appeal_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="depositentry",
            name="business_day",
            field=models.DateField(blank=True, null=True, verbose_name="business day"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
