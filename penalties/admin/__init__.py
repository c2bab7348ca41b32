"""Reviewer admin of the penalties app, a package by sub-domain. Everything is
read-only; money and shop status move only through actions with a reason on
an intermediate page, which call the same services as the jobs.

For the shop page (``orders.admin.ShopAdmin``, owned by the orders app) the
``panel`` module offers ``ShopPenaltiesAdminMixin`` (a read-only "penalties"
panel: balance, recent ledger, bans, sanctions, rating trend); the
``top_up_deposit`` (``topups``) and ``suspend_shops`` / ``clear_shops`` /
``lift_shops`` (``sanctions``) actions are usable on any admin whose rows are
shops; ``shops`` registers the shop page with both.

Modules: ``common``, ``violations``, ``ledger``, ``topups``, ``sanctions``,
``panel``, ``ratings``, ``jobs``, ``shops``, ``appeals`` (V2). Importing the
package registers every admin; the names other modules use are re-exported.
"""

from . import appeals  # noqa: F401  (V2: the appeals admin)
from .common import ReadOnlyAdmin, four_eyes_warning, money_confirm, top_up_facts
from .jobs import JobRunAdmin
from .ledger import DepositEntryAdmin
from .panel import ShopPenaltiesAdminMixin, shop_penalties_panel
from .ratings import ShopRatingAdmin
from .sanctions import (
    ProductBanAdmin,
    SanctionCandidateAdmin,
    ShopSanctionAdmin,
    clear_shops,
    lift_shops,
    suspend_shops,
)
from .shops import ShopAdmin
from .topups import TopUpApprovalAdmin, top_up_deposit
from .violations import ViolationAdmin

__all__ = [
    "DepositEntryAdmin",
    "JobRunAdmin",
    "ProductBanAdmin",
    "ReadOnlyAdmin",
    "SanctionCandidateAdmin",
    "ShopAdmin",
    "ShopPenaltiesAdminMixin",
    "ShopRatingAdmin",
    "ShopSanctionAdmin",
    "TopUpApprovalAdmin",
    "ViolationAdmin",
    "clear_shops",
    "four_eyes_warning",
    "lift_shops",
    "money_confirm",
    "shop_penalties_panel",
    "suspend_shops",
    "top_up_deposit",
    "top_up_facts",
]
