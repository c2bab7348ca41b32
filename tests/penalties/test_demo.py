"""seed_demo gains the penalties world (issue 5, point 8)."""

import pytest
from django.core.management import call_command
from django.db.models import Max

from orders.models import Product
from penalties.models import DepositEntry, ProductBan, ShopRating, ShopSanction, Violation
from penalties.selectors import sanction_list

pytestmark = pytest.mark.django_db


def test_seed_demo_has_violations_bans_sanctions_ledger_and_ratings(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = dict(Violation.objects.values("order").annotate(n=Max("judgement_no")).values_list("order", "n"))
    assert {1, 2, 3} <= set(counts.values())
    ban = ProductBan.objects.get()
    assert ban.product.status == Product.Status.BANNED
    assert sanction_list().filter(status="active").exists()
    assert {"top_up", "deduction", "reversal"} <= set(DepositEntry.objects.values_list("kind", flat=True))
    assert set(ShopSanction.objects.values_list("action", flat=True)) == {"suspend", "lift"}
    assert ShopRating.objects.values("day").distinct().count() == 7
