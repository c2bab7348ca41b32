from django.db import migrations

from orders.roles import REVIEWER, grant


def forwards(apps, schema_editor):
    # W1: reviewers read endpoints and delivery logs and retry on a merchant's behalf.
    grant(
        apps,
        "orders",
        {
            REVIEWER: [
                "view_webhookendpoint",
                "change_webhookendpoint",
                "view_webhookdelivery",
                "change_webhookdelivery",
            ]
        },
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0016_webhooks"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
