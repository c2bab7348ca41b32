"""Groups for the platform's staff roles, with the orders permissions their
work needs. Reviewers judge cancellations and refunds and may see buyer
contact; support staff read orders (to open tickets); the intake system user
has no admin permission at all (its API access is by group)."""

from django.db import migrations

from orders.roles import INTAKE, REVIEWER, SUPPORT, grant

TABLE = {
    REVIEWER: [
        "view_shop",
        "change_shop",
        "view_shopmembership",
        "view_product",
        "view_order",
        "view_orderitem",
        "view_orderevent",
        "view_buyer_contact",
        "view_cancellationrequest",
        "review_cancellation",
        "view_refund",
        "settle_refund",
        "view_aftersale",
    ],
    SUPPORT: [
        "view_shop",
        "view_product",
        "view_order",
        "view_orderitem",
        "view_orderevent",
        "view_aftersale",
    ],
    INTAKE: [],
}


def forwards(apps, schema_editor):
    grant(apps, "orders", TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
