"""Platform reviewers read and decide appeals (V2); support staff do not."""

from django.db import migrations

from orders.roles import REVIEWER, grant

TABLE = {REVIEWER: ["view_appeal", "decide_appeal", "view_appealevidence"]}


def forwards(apps, schema_editor):
    grant(apps, "penalties", TABLE)


class Migration(migrations.Migration):
    dependencies = [("penalties", "0006_appeals")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
