"""The order's timeline shows each judgement from its violation row
(``penalties.selectors.judgement_timeline_entries``); the judgement no longer
writes an ``overdue_judged`` order event. The ones written before would show
twice: remove them (the violation rows hold the same facts: order, judgement
number, time, the system as actor)."""

from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("orders", "OrderEvent").objects.filter(kind="overdue_judged").delete()


class Migration(migrations.Migration):
    dependencies = [("penalties", "0013_topup_approval"), ("orders", "0025_product_search_by_sold_name")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
