"""Platform reviewers get the penalties permissions (read everything; top up,
reverse, sanction, preview); support staff get none."""

from django.db import migrations

from orders.roles import REVIEWER, grant

TABLE = {
    REVIEWER: [
        "view_violation",
        "preview_deductions",
        "view_depositentry",
        "top_up_deposit",
        "reverse_deduction",
        "view_productban",
        "view_shopsanction",
        "sanction_shop",
        "view_sanctioncandidate",
        "view_shoprating",
        "view_jobrun",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, "penalties", TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("penalties", "0001_initial"),
        ("orders", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
