"""Reviewer admin for orders (O2, O5, C3, F1), a package by sub-domain.

Money and status are read-only here: they change only through actions that
call ``orders.services``. The order list is built for millions of rows: no
full count, an estimated count for the unfiltered list, 100 rows in a
constant number of queries, and a search box that routes what is typed to an
index (order number → unique index, phone → keyed hash, anything else →
product names, a trigram index on PostgreSQL). A product search counts up to
``search_count_cap`` ("5,000+") and reads its page with that count.

Modules: ``common`` (search router, paginators, change list, filters, inlines,
confirmation page), ``orders``, ``cancellations``, ``refunds``, ``shops``
(shops and products), ``after_sales``, ``notifications``. The order list's
compiled rows stay in ``orders.admin_list`` (outside the package: the
``orders_admin`` template tags import it while the admin is not loaded yet).
Importing the package registers every admin; the names other modules use are
re-exported here.
"""

from ..verification import admin as verification_admin  # noqa: F401  (K1: registered phones)
from .after_sales import AfterSaleAdmin
from .cancellations import CancellationRequestAdmin
from .common import EstimatedCountPaginator, OrderChangeList, ProductSearchPaginator, SearchPaginator, search_route
from .notifications import NotificationAdmin
from .orders import ContactRevealAdmin, OrderAdmin
from .refunds import AlternativeRouteRefundAdmin, RefundAdmin, RefundAdminBase
from .shops import ProductAdmin, ShopAdmin

__all__ = [
    "AfterSaleAdmin",
    "AlternativeRouteRefundAdmin",
    "CancellationRequestAdmin",
    "ContactRevealAdmin",
    "EstimatedCountPaginator",
    "NotificationAdmin",
    "OrderAdmin",
    "OrderChangeList",
    "ProductAdmin",
    "ProductSearchPaginator",
    "RefundAdmin",
    "RefundAdminBase",
    "SearchPaginator",
    "ShopAdmin",
    "search_route",
]
