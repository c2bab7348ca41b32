"""Deep paging: page of 100 at the middle of the data set (offset 500,000 at
1M orders) by ``OFFSET`` and by keyset (the cursor the API's
``CursorPagination`` uses: ``(placed_at, id) <`` the previous page's last)."""

from __future__ import annotations

from django.db import connection

from .core import Ctx, median_ms

OFFSET_SQL = "SELECT * FROM orders_order ORDER BY placed_at DESC, id DESC LIMIT 100 OFFSET %s"
KEYSET_SQL = "SELECT * FROM orders_order WHERE (placed_at, id) < (%s, %s) ORDER BY placed_at DESC, id DESC LIMIT 100"


def run(ctx: Ctx) -> dict:
    offset = ctx.orders // 2
    with connection.cursor() as cur:
        cur.execute(
            "SELECT placed_at, id FROM orders_order ORDER BY placed_at DESC, id DESC LIMIT 1 OFFSET %s", [offset - 1]
        )
        cursor = cur.fetchone()

        def by_offset():
            cur.execute(OFFSET_SQL, [offset])
            return cur.fetchall()

        def by_keyset():
            cur.execute(KEYSET_SQL, list(cursor))
            return cur.fetchall()

        assert [r[0] for r in by_offset()] == [r[0] for r in by_keyset()]
        return {
            "offset": {"ms": median_ms(by_offset, 3), "at": offset},
            "keyset": {"ms": median_ms(by_keyset, ctx.reps), "at": offset},
        }
