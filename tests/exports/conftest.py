import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from orders.policy import PLATFORM_TZ
from tests.factories import order_placed

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=PLATFORM_TZ)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def orders_world(merchant, merchant2, shop_a, shop_b, shop_c):
    """Two orders in A, one in B (merchant's), one in C (merchant2's)."""
    return {
        "a1": order_placed(shop=shop_a, phone="13811112222", placed_at=T0, now=T0),
        "a2": order_placed(shop=shop_a, phone="13833334444", placed_at=T0.replace(hour=11), now=T0, paid=False),
        "b1": order_placed(shop=shop_b, phone="13855556666", placed_at=T0.replace(hour=12), now=T0),
        "c1": order_placed(shop=shop_c, phone="13877778888", placed_at=T0.replace(hour=13), now=T0),
    }


def read_file(response, fmt: str) -> list[list]:
    """The downloaded export as rows (header first)."""
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]
