"""Keep the product-name trigram index's pending list short (O2 at scale).

A GIN index with ``fastupdate`` queues new entries in a pending list that
every search reads in full until VACUUM (or a 4 MB overflow) merges it. Order
updates are not HOT (status is indexed), so each one re-queues ~20 trigrams:
measured on the bench data, a 139-page pending list made the product search
10× slower at 100k orders (11 ms → 1.2 ms after merging) and 2.6× at 1M
(42 ms → 16 ms). A 256 kB limit makes the writer merge small batches early;
searches never read more than 32 pending pages."""

from django.db import migrations

INDEX = "order_product_names_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} SET (gin_pending_list_limit = 256)")
        schema_editor.execute(
            f"SELECT gin_clean_pending_list('{INDEX}'::regclass) WHERE to_regclass('{INDEX}') IS NOT NULL"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_integrity_constraints")]
    operations = [migrations.RunPython(forwards, backwards)]
