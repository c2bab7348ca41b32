from django.db import migrations

from orders.roles import REVIEWER, grant


def forwards(apps, schema_editor):
    # W3: reviewers upload shipment files on a merchant's behalf and read the results.
    grant(apps, "orders", {REVIEWER: ["view_shipmentimport", "add_shipmentimport"]})


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_shipment_imports")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
