"""Penalties tests: the clock helper and the ledger invariant (P8), checked
after every test."""

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from orders.models import Order, Shop
from orders.policy import PLATFORM_TZ


def sh(*args) -> datetime:
    """An aware Asia/Shanghai datetime: ``sh(2026, 3, 2, 10, 0)``."""
    return datetime(*args, tzinfo=PLATFORM_TZ)


@contextmanager
def at(moment: datetime):
    """Freeze the clock at ``moment`` (tasks read it)."""
    with time_machine.travel(moment, tick=False):
        yield


def ship(order: Order, now: datetime) -> None:
    """Ship through the orders service (O3), as the merchant's API would."""
    from orders.services import order_ship

    order_ship(order=order, carrier="SF", tracking_no=f"SF{order.pk:010d}", by=None, now=now)


@pytest.fixture(autouse=True)
def _ledger_invariant(request):
    """P8: after every test, each shop's balance equals the sum of its entries."""
    uses_db = request.node.get_closest_marker("django_db") or "db" in request.fixturenames
    if uses_db:
        # Set the database up first so this check runs before its rollback.
        request.getfixturevalue("_django_db_helper")
    yield
    if not uses_db:
        return
    from penalties.models import DepositEntry

    sums = dict(DepositEntry.objects.values("shop_id").annotate(s=Sum("amount")).values_list("shop_id", "s"))
    for shop_id, balance in Shop.objects.values_list("pk", "deposit_balance"):
        assert balance == (sums.get(shop_id) or Decimal("0.00")), f"shop {shop_id}: balance {balance} != ledger"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users made by fixtures hash passwords; PBKDF2 costs seconds on a busy machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
