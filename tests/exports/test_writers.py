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


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_csv_items_violations_and_times_agree_with_python(tmp_path, merchant, shop_a):
    """The items (the order's "name × quantity; …" written at placement), the
    violation count (late orders only) and the Shanghai times truncated to the
    second give COPY the Python writer's text: an order with two items and two
    judgements, one with none, times with microseconds."""
    from datetime import timedelta
    from decimal import Decimal

    from orders.services.placement import ItemSpec, order_place
    from penalties.models import Violation
    from penalties.services.judgement import violations_judge
    from tests.factories import ProductFactory

    placed = T0.replace(microsecond=999_999)
    tea, cup = ProductFactory(shop=shop_a, name="龙井, 特级"), ProductFactory(shop=shop_a, name='Cup "L"')
    late = order_place(
        shop=shop_a,
        buyer_name="李四",
        buyer_phone="13811112222",
        address="上海",
        items=[ItemSpec(tea, 2, Decimal("9.90")), ItemSpec(cup, 1, Decimal("5.00"))],
        now=placed,
        placed_at=placed,
        paid_at=placed,
    )
    order_placed(shop=shop_a, placed_at=T0 + timedelta(days=9), now=T0 + timedelta(days=9))
    violations_judge(now=late.ship_by + timedelta(hours=1))
    violations_judge(now=late.ship_by + timedelta(hours=26))
    assert Violation.objects.filter(order=late).count() == 2
    from orders.services import order_ship

    # Shipped after its judgements: still counted (only an order shipped in time is never looked up).
    order_ship(order=late, carrier="SF", tracking_no="SF0000000001", by=None, now=late.ship_by + timedelta(hours=27))
    resource = ORDERS.resource_class(user=merchant)
    qs = ORDERS.scoped_queryset(merchant).order_by(*ORDERS.ordering)

    n_copy = write_csv_copy(resource, qs, tmp_path / "copy.csv")
    n_py = write_csv_python(resource, qs, tmp_path / "py.csv")

    assert n_copy == n_py == 2
    copied = (tmp_path / "copy.csv").read_bytes()
    assert copied == (tmp_path / "py.csv").read_bytes()
    last = copied.decode("utf-8-sig").splitlines()[-1]
    assert '"龙井, 特级 × 2; Cup ""L"" × 1"' in last  # in the order they were placed
    assert "2026-03-02 10:00:00," in last and last.endswith(",2")


@pytest.mark.django_db
def test_export_reads_no_items_and_counts_violations_without_group_by(merchant):
    """The items come with the order (``items_summary``), not from the item
    table; the violations are a plain per-row aggregate: no ``GROUP BY … LIMIT 1``
    (cheaper on PostgreSQL)."""
    from orders.exports.writers import copy_sql

    resource = ORDERS.resource_class(user=merchant)
    sql, _ = copy_sql(resource, ORDERS.scoped_queryset(merchant).order_by(*ORDERS.ordering))
    assert "GROUP BY" not in sql and "EXISTS" not in sql  # no hash of every violation first
    assert sql.count("LIMIT") == 0
    assert '"orders_order"."shipped_at" > ("orders_order"."ship_by")' in sql  # only late orders are looked up
    assert "orders_orderitem" not in sql and '"items_summary"' in sql


@pytest.mark.django_db
def test_xlsx_cells_keep_their_types_and_strings_stay_data(tmp_path, merchant, shop_a):
    """XLSX: a string that looks like a formula or a link stays a string,
    control characters XLSX cannot hold are dropped, times are Excel dates in
    Asia/Shanghai, amounts and counts are numbers, empty values empty cells."""
    from openpyxl import load_workbook

    from orders.exports.writers import write_xlsx

    order_placed(shop=shop_a, placed_at=T0, now=T0, buyer_name='=HYPERLINK("http://x.example","a")\x01')
    order_placed(shop=shop_a, placed_at=T0.replace(hour=9), now=T0, buyer_name="http://x.example", paid=False)
    resource = ORDERS.resource_class(user=merchant)
    qs = ORDERS.scoped_queryset(merchant).order_by(*ORDERS.ordering)

    assert write_xlsx(resource, qs, tmp_path / "out.xlsx") == 2

    sheet = load_workbook(tmp_path / "out.xlsx").active
    headers = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(headers, sheet[2], strict=True)}
    second = {h: c for h, c in zip(headers, sheet[3], strict=True)}
    buyer, placed, paid, total = (str(resource.columns[i].header) for i in (9, 3, 4, 8))
    assert first[buyer].data_type == "s" and first[buyer].value == '=HYPERLINK("http://x.example","a")'
    assert second[buyer].data_type == "s" and second[buyer].hyperlink is None
    assert first[placed].is_date and first[placed].value == T0.replace(tzinfo=None)
    assert second[paid].value is None
    assert first[total].data_type == "n" and first[total].value == 99
    assert first[str(resource.columns[-1].header)].value == 0


@pytest.mark.django_db
def test_csv_typed_text_never_starts_a_formula(tmp_path, merchant, shop_a):
    """CSV injection: text a person typed (buyer, carrier, tracking number…)
    that starts with = + - @ gets a leading apostrophe, so a spreadsheet shows
    it as text; the same text on both CSV paths; other columns are untouched."""
    import csv

    from orders.exports.writers import write_csv

    risky = {'=HYPERLINK("http://x.example","a")', "+1+1", "-2+3", "@SUM(A1)"}
    for i, name in enumerate(sorted(risky)):
        order_placed(shop=shop_a, placed_at=T0, now=T0, buyer_name=name, order_no=f"2026030200000000{i:03d}")
    resource = ORDERS.resource_class(user=merchant)
    qs = ORDERS.scoped_queryset(merchant).order_by(*ORDERS.ordering)

    assert write_csv(resource, qs, tmp_path / "out.csv") == len(risky)
    rows = list(csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()))
    buyer, order_no = str(resource.columns[9].header), str(resource.columns[0].header)
    assert {r[buyer] for r in rows} == {"'" + name for name in risky}
    assert all(r[order_no].isdigit() for r in rows)


@pytest.mark.postgres
@pytest.mark.django_db
def test_csv_typed_text_guard_is_the_same_on_both_paths(tmp_path, merchant, shop_a):
    """PostgreSQL's COPY applies the same guard as the Python writer, byte for byte."""
    for i, name in enumerate(["=1+1", "+86", "-x", "@a", "\tTab", "a=b", "安全"]):
        order_placed(shop=shop_a, placed_at=T0, now=T0, buyer_name=name, order_no=f"2026030200000000{i:03d}")
    resource = ORDERS.resource_class(user=merchant)
    qs = ORDERS.scoped_queryset(merchant).order_by(*ORDERS.ordering)
    write_csv_copy(resource, qs, tmp_path / "copy.csv")
    write_csv_python(resource, qs, tmp_path / "py.csv")
    copied = (tmp_path / "copy.csv").read_bytes()
    assert copied == (tmp_path / "py.csv").read_bytes()
    assert "'=1+1" in copied.decode() and ",a=b," in copied.decode()
