from django.db import migrations, models

# The orders placed before the column existed get their summary from their
# items: one statement on PostgreSQL, order by order elsewhere (a development
# database).
BACKFILL_PG = """
UPDATE orders_order o
   SET items_summary = s.summary
  FROM (SELECT order_id, string_agg(name || ' × ' || quantity, '; ' ORDER BY id) AS summary
          FROM orders_orderitem GROUP BY order_id) s
 WHERE s.order_id = o.id
"""


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKFILL_PG)
        return
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    lines: dict[int, list[str]] = {}
    for order_id, name, quantity in OrderItem.objects.order_by("id").values_list("order_id", "name", "quantity"):
        lines.setdefault(order_id, []).append(f"{name} × {quantity}")
    changed = [Order(pk=pk, items_summary="; ".join(parts)) for pk, parts in lines.items()]
    Order.objects.bulk_update(changed, ["items_summary"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_event_actor_unchecked"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="items_summary",
            field=models.TextField(blank=True, default="", verbose_name="products × quantity"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
