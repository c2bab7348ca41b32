"""PostgreSQL-only search index for O2 product-name substring search.

Django's ``icontains`` compiles to ``UPPER(col) LIKE UPPER(%s)``, so the
trigram GIN index must be on ``UPPER(product_names)`` to be used (measured:
6–30 ms vs 400–550 ms at 1M rows, shared/RECIPES.md). SQLite has no such
index and falls back to a scan."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS order_product_names_trgm ON orders_order USING gin (UPPER(product_names) gin_trgm_ops)"
)
DROP = "DROP INDEX IF EXISTS order_product_names_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
