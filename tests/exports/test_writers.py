"""The two CSV paths (PostgreSQL COPY, Python) write the same file."""

import pytest

from orders.exports.orders_kind import ORDERS
from orders.exports.writers import write_csv_copy, write_csv_python
from tests.factories import order_placed

from .conftest import T0


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_and_python_csv_paths_agree(tmp_path, merchant, shop_a):
    """COPY's CSV equals the Python writer's byte for byte: empty strings,
    NULL times, quotes, commas, newlines and non-ASCII text included."""
    order_placed(shop=shop_a, placed_at=T0, now=T0, buyer_name='王 "小" 明, Jr.\nline2')
    order_placed(shop=shop_a, placed_at=T0, now=T0, paid=False)
    resource = ORDERS.resource_class(user=merchant)
    qs = ORDERS.scoped_queryset(merchant).order_by(*ORDERS.ordering)
    n_copy = write_csv_copy(resource, qs, tmp_path / "copy.csv")
    n_py = write_csv_python(resource, qs, tmp_path / "py.csv")
    assert n_copy == n_py == 2
    assert (tmp_path / "copy.csv").read_bytes() == (tmp_path / "py.csv").read_bytes()
