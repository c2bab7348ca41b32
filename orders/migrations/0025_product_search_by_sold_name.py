"""O2 product search at 10M orders: sold names and the items' placement time.

``OrderItem.placed_at`` (the order's, copied) and the index ``(name,
placed_at DESC, order_id DESC)`` let the admin read the newest orders of a
product name from one index; ``SoldName`` holds each distinct name once, with
a trigram index on PostgreSQL, so what the reviewer types is matched against
a few thousand names instead of every order's ``product_names``.

The backfill runs in batches of item ids outside one big transaction
(``atomic = False``): on 12.5M items a single ``UPDATE`` would hold its locks
and its dead rows for minutes."""

from django.db import migrations, models

BATCH = 250_000

TRGM = "CREATE INDEX IF NOT EXISTS sold_name_trgm ON orders_soldname USING gin (UPPER(name) gin_trgm_ops)"


def backfill(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        cur.execute("SELECT MIN(id), MAX(id) FROM orders_orderitem")
        low, high = cur.fetchone()
        if low is not None:
            for start in range(low, high + 1, BATCH):
                cur.execute(
                    "UPDATE orders_orderitem SET placed_at = "
                    "(SELECT o.placed_at FROM orders_order o WHERE o.id = orders_orderitem.order_id) "
                    "WHERE id >= %s AND id < %s AND placed_at IS NULL",
                    [start, start + BATCH],
                )
        cur.execute("INSERT INTO orders_soldname (name) SELECT DISTINCT name FROM orders_orderitem")
        if conn.vendor == "postgresql":
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cur.execute(TRGM)


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS sold_name_trgm")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("orders", "0024_merge_platform_decision_excel")]

    operations = [
        migrations.CreateModel(
            name="SoldName",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="name as sold")),
            ],
            options={"verbose_name": "sold product name", "verbose_name_plural": "sold product names"},
        ),
        migrations.AddField(
            model_name="orderitem",
            name="placed_at",
            field=models.DateTimeField(null=True, verbose_name="placed at"),
        ),
        migrations.RunPython(backfill, unfill),
        migrations.AlterField(
            model_name="orderitem",
            name="placed_at",
            field=models.DateTimeField(verbose_name="placed at"),
        ),
        migrations.AddIndex(
            model_name="orderitem",
            index=models.Index(fields=["name", "-placed_at", "-order"], name="item_name_placed"),
        ),
    ]
