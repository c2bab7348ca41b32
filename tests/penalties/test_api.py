"""Merchant API of the penalties app (API.md): scoped, filtered, paginated."""

from datetime import timedelta
from decimal import Decimal

import pytest

from penalties.services import deductions_run, deposit_top_up, ratings_compute, violations_judge
from tests.factories import order_placed

from .conftest import sh, ship

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)


@pytest.fixture
def world(shop_a, shop_b, shop_c, reviewer):
    a1 = order_placed(shop=shop_a, now=T, paid_at=T)
    a2 = order_placed(shop=shop_a, now=T, paid_at=T)
    b1 = order_placed(shop=shop_b, now=T, paid_at=T)
    c1 = order_placed(shop=shop_c, now=T, paid_at=T)
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="initial", now=T)
    j1 = T + timedelta(hours=49)
    violations_judge(now=j1)
    ship(a2, j1 + timedelta(hours=1))
    violations_judge(now=j1 + timedelta(hours=24))
    deductions_run(now=sh(2026, 3, 6, 0, 30))
    return {"a1": a1, "a2": a2, "b1": b1, "c1": c1, "j1": j1}


def test_p6_violations_listed_for_my_shops_only_with_next_judgement(api, merchant, merchant2, world, shop_a, shop_c):
    """The merchant sees its shops' violations (order_no, judgement_no, time,
    charge) and when the next judgement falls; never another shop's."""
    body = api(merchant).get("/api/v1/violations/").json()
    rows = body["results"]
    assert {r["order_no"] for r in rows} == {world["a1"].order_no, world["a2"].order_no, world["b1"].order_no}
    latest_a1 = next(r for r in rows if r["order_no"] == world["a1"].order_no and r["judgement_no"] == 2)
    assert latest_a1["charge_status"] == "charged" and latest_a1["charged_amount"] == "10.00"
    assert latest_a1["next_judgement_at"] is not None
    shipped = next(r for r in rows if r["order_no"] == world["a2"].order_no)
    assert shipped["next_judgement_at"] is None  # shipped: no further judgement
    assert set(rows[0]) >= {"id", "order_no", "shop", "judgement_no", "judged_at", "charge_status", "charged_amount"}

    only = api(merchant).get("/api/v1/violations/", {"order_no": world["a1"].order_no}).json()["results"]
    assert [r["judgement_no"] for r in only] == [2, 1]
    assert api(merchant).get("/api/v1/violations/", {"shop": shop_c.pk}).json()["results"] == []
    other = api(merchant2).get("/api/v1/violations/").json()["results"]
    assert {r["order_no"] for r in other} == {world["c1"].order_no}
    after = (world["j1"] + timedelta(hours=1)).isoformat()
    later = api(merchant).get("/api/v1/violations/", {"judged_after": after}).json()["results"]
    assert {r["judgement_no"] for r in later} == {2}
    assert api(merchant).get("/api/v1/violations/", {"judged_before": after}).json()["results"]


def test_violations_bad_filter_is_400_not_500(api, merchant, world):
    resp = api(merchant).get("/api/v1/violations/", {"judged_after": "yesterday", "shop": "x"})
    assert resp.status_code == 400 and resp.json()["code"] == "invalid"


def test_p8_deposit_entries_with_running_balance(api, merchant, merchant2, world, shop_a):
    """Entries newest first, signed amounts and the balance after each; filters shop and kind."""
    rows = api(merchant).get("/api/v1/deposit/entries/", {"shop": shop_a.pk}).json()["results"]
    assert [(r["kind"], r["amount"], r["balance_after"]) for r in rows] == [
        ("deduction", "-10.00", "70.00"),
        ("deduction", "-10.00", "80.00"),
        ("deduction", "-10.00", "90.00"),
        ("top_up", "100.00", "100.00"),
    ]
    kinds = api(merchant).get("/api/v1/deposit/entries/", {"kind": "top_up"}).json()["results"]
    assert [r["kind"] for r in kinds] == ["top_up"]
    assert api(merchant2).get("/api/v1/deposit/entries/", {"shop": shop_a.pk}).json()["results"] == []
    assert api(merchant).get("/api/v1/deposit/entries/", {"kind": "bogus"}).status_code == 400


def test_r1_ratings_api_returns_components(api, merchant, merchant2, world, shop_a):
    ratings_compute(day=sh(2026, 3, 6, 12, 0).date())
    rows = api(merchant).get("/api/v1/ratings/", {"shop": shop_a.pk}).json()["results"]
    assert len(rows) == 1
    comps = rows[0]["components"]
    assert comps["overdue_shipment"]["numerator"] == 2 and comps["overdue_shipment"]["denominator"] == 2
    assert comps["overdue_shipment"]["counted"].startswith("/api/v1/violations/?shop=")
    assert rows[0]["score"] == "60.00"
    assert "score = 100" in rows[0]["formula"]
    assert {r["shop"] for r in api(merchant2).get("/api/v1/ratings/").json()["results"]} == {merchant2.shops.get().pk}


def test_penalties_api_needs_authentication(api):
    for url in ("/api/v1/violations/", "/api/v1/deposit/entries/", "/api/v1/ratings/"):
        assert api().get(url).status_code == 401
