"""Support staff handle tickets in the admin (open, review, edit service
types); reviewers may look at them."""

from django.db import migrations

from orders.roles import REVIEWER, SUPPORT, grant

TABLE = {
    SUPPORT: [
        "view_servicetype",
        "add_servicetype",
        "change_servicetype",
        "view_ticket",
        "add_ticket",
        "review_ticket",
        "view_ticketreply",
        "view_ticketevidence",
        "view_ticketevent",
    ],
    REVIEWER: ["view_servicetype", "view_ticket", "view_ticketreply", "view_ticketevidence", "view_ticketevent"],
}


def forwards(apps, schema_editor):
    grant(apps, "tickets", TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_service_types"),
        ("orders", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
