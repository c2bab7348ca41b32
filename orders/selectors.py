"""Reads. Every merchant-facing queryset starts from ``shops_visible_to``."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from .models import Shop


def shops_visible_to(user) -> QuerySet[Shop]:
    """The one place that decides which shops a user may see as a merchant:
    the shops they are a member of. Staff see no shop here; they work in the
    admin or through the reviewer/support endpoints."""
    if not user or not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(memberships__user=user)


def shop_ids_visible_to(user) -> list[int]:
    cached = getattr(user, "_visible_shop_ids", None)
    if cached is None:
        cached = list(shops_visible_to(user).values_list("id", flat=True))
        if user is not None and user.is_authenticated:
            user._visible_shop_ids = cached
    return cached


def scoped(queryset: QuerySet, user, *, shop_field: str = "shop") -> QuerySet:
    """``queryset`` narrowed to the rows of the user's shops."""
    return queryset.filter(**{f"{shop_field}__in": shop_ids_visible_to(user)})


# --- merchant reads -----------------------------------------------------------


MAX_ID = 2**63 - 1


def _not_found(what: str):
    from django.utils.translation import gettext as _

    from .errors import OrderError

    return OrderError("not_found", _("%(what)s not found.") % {"what": what}, status=404)


def orders_for(user) -> QuerySet:
    from .models import Order

    return scoped(Order.objects.all(), user)


def order_detail_queryset(queryset: QuerySet) -> QuerySet:
    """Everything the order page shows, in a constant number of queries."""
    from django.db.models import Prefetch

    from .models import Order, OrderEvent

    lookups = [
        "items",
        "cancellations__order",
        "refunds",
        "after_sales__order",
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
    ]
    # Added by the penalties app (a reverse relation: no import of penalties here).
    if any(rel.get_accessor_name() == "violations" for rel in Order._meta.related_objects):
        lookups.append("violations")
    from .overdue import with_hold

    return with_hold(queryset.select_related("shop")).prefetch_related(*lookups)


def order_get_for(user, order_no: str):
    """The user's order by number; another shop's order is "not found" too."""
    from .models import Order

    try:
        return orders_for(user).get(order_no=order_no)
    except Order.DoesNotExist:
        raise _not_found("Order")


def order_detail_for(user, order_no: str):
    """The user's order with everything its page shows, found and loaded in
    one pass (the lookup is the detail query itself); "not found" as
    ``order_get_for``."""
    from .models import Order

    try:
        return order_detail_queryset(orders_for(user)).get(order_no=order_no)
    except Order.DoesNotExist:
        raise _not_found("Order")


def order_get_any(order_no: str):
    """Intake and reviewers address any order by number."""
    from .models import Order

    try:
        return Order.objects.get(order_no=order_no)
    except Order.DoesNotExist:
        raise _not_found("Order")


def products_for(user) -> QuerySet:
    from .models import Product

    return scoped(Product.objects.all(), user)


def after_sales_for(user) -> QuerySet:
    from .models import AfterSale

    return scoped(AfterSale.objects.select_related("order"), user)


def after_sale_get_for(user, pk: int):
    from .models import AfterSale

    try:
        if not 0 < pk <= MAX_ID:
            raise _not_found("After-sale")
        return after_sales_for(user).get(pk=pk)
    except AfterSale.DoesNotExist:
        raise _not_found("After-sale")


def notifications_for(user) -> QuerySet:
    """The user's shops' notifications, each with ``read_at``: when *this*
    user read it (``None`` if not yet; read state is per user)."""
    from django.db.models import OuterRef, Subquery

    from .models import Notification, NotificationRead

    read_at = NotificationRead.objects.filter(notification=OuterRef("pk"), user_id=user.pk).values("read_at")[:1]
    return scoped(Notification.objects.annotate(read_at=Subquery(read_at)), user)


def notification_get_for(user, pk: int):
    from .models import Notification

    try:
        if not 0 < pk <= MAX_ID:
            raise _not_found("Notification")
        return notifications_for(user).get(pk=pk)
    except Notification.DoesNotExist:
        raise _not_found("Notification")


def cancellations_all() -> QuerySet:
    from .models import CancellationRequest

    return CancellationRequest.objects.select_related("order")


def cancellation_get(pk: int):
    from .models import CancellationRequest

    try:
        if not 0 < pk <= MAX_ID:
            raise _not_found("Cancellation request")
        return cancellations_all().get(pk=pk)
    except CancellationRequest.DoesNotExist:
        raise _not_found("Cancellation request")


# --- reviewer admin: product search ------------------------------------------------


def order_search_ordering(queryset: QuerySet) -> list[tuple[str, bool]] | None:
    """``queryset``'s ordering as (field name, descending) pairs, or None when
    it is not a list of the model's own plain columns (a related model's
    ordering, an expression): ``order_search_page_ids`` then does not apply."""
    meta = queryset.model._meta
    names = queryset.query.order_by or (meta.ordering if queryset.query.default_ordering else ())
    ordering = []
    for name in names:
        if not isinstance(name, str) or name == "?":
            return None
        descending = name.startswith("-")
        name = name.lstrip("-")
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:  # a "__" lookup, an annotation
            return None
        if field.is_relation or not field.concrete:
            return None
        name = "pk" if field.primary_key else field.name
        if all(name != seen for seen, _desc in ordering):  # a repeated key sorts nothing more
            ordering.append((name, descending))
    return ordering or None


def order_search_page_ids(
    *, queryset: QuerySet, ordering: list[tuple[str, bool]], cap: int, offset: int, limit: int
) -> tuple[int, list]:
    """(number of matches counted up to ``cap + 1``, ids of the page
    ``[offset:offset + limit]`` in ``ordering``) of a filtered list, in one
    statement that reads each match once and at most ``cap + 1`` of them.

    Made for a product-name search: the trigram index finds the matches in
    no particular order, so PostgreSQL either sorts all of them (cost ∝
    matches) or walks the (placed_at, id) index until ``limit`` of them
    passed the filter (cost ∝ rows ÷ matches, the whole table for a rare
    term). Here the matches are read once, unordered, into a materialised
    CTE that stops at ``cap + 1`` rows; the page and the count come from it.
    When the count is ``cap + 1`` the page is not the right one (only
    ``cap + 1`` matches were read): the caller reads the page the ordinary
    way, cheap then because matches are plentiful.
    """
    from django.db import connections

    if not ordering:
        raise ValueError("order_search_page_ids needs an ordering (order_search_ordering)")
    keys = [f"k{i}" for i in range(len(ordering))]
    inner = queryset.order_by().values_list("pk", *(name for name, _desc in ordering))[: cap + 1]
    connection = connections[queryset.db]
    inner_sql, inner_params = inner.query.get_compiler(connection=connection).as_sql()
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    order_sql = ", ".join(f"{k} {'DESC' if desc else 'ASC'}" for k, (_name, desc) in zip(keys, ordering, strict=True))
    sql = (
        f"WITH m (id, {', '.join(keys)}) AS {materialized}({inner_sql}), "
        f"p AS (SELECT id, {', '.join(keys)} FROM m ORDER BY {order_sql} LIMIT %s OFFSET %s) "
        f"SELECT (SELECT COUNT(*) FROM m), p.id FROM (SELECT 1 AS one) AS x LEFT JOIN p ON 1 = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, limit, offset])
        rows = cursor.fetchall()
    return rows[0][0], [row[1] for row in rows if row[1] is not None]


def sold_names_containing(term: str, *, using: str | None = None) -> QuerySet:
    """O2: the names items were sold under that contain ``term``
    (case-insensitive; trigram index on PostgreSQL), as ``name`` values."""
    from .models import SoldName

    names = SoldName.objects.using(using) if using else SoldName.objects
    return names.filter(name__icontains=term).values_list("name", flat=True)


def orders_with_product_named(term: str) -> QuerySet:
    """O2: the ids of the orders with an item sold under a name containing
    ``term`` (case-insensitive), and of the order numbered ``term`` (intake's
    alphanumeric numbers): the names from ``SoldName`` (a few thousand rows,
    trigram index on PostgreSQL), the orders through the items' ``(name,
    placed_at)`` index. A subquery, for ``pk__in`` (one ``IN``, not an
    ``OR`` of two, which would make PostgreSQL scan every order)."""
    from .models import Order, OrderItem

    by_name = OrderItem.objects.filter(name__in=sold_names_containing(term)).values("order_id")
    return by_name.union(Order.objects.filter(order_no=term).values("id"))


# The newest-first page of a product search straight from the items' index
# (``order_product_search_page``): at most this many names, and this many
# index entries read in all (names × (offset + page size)); beyond, the
# generic count-and-sort (a term matching hundreds of names has plentiful
# matches, where the generic walk is cheap).
PRODUCT_SEARCH_MAX_NAMES = 200
PRODUCT_SEARCH_MAX_ENTRIES = 20_000

_ITEMS_COUNT = """
SELECT COUNT(DISTINCT x.order_id), COUNT(*)
  FROM (SELECT i.order_id FROM orders_orderitem i WHERE i.name = ANY(%s) LIMIT %s) x
"""
_ITEMS_NEWEST = """
SELECT t.order_id, t.placed_at
  FROM unnest(%s::text[]) AS n(name)
 CROSS JOIN LATERAL (
       SELECT i.order_id, i.placed_at FROM orders_orderitem i
        WHERE i.name = n.name ORDER BY i.placed_at DESC, i.order_id DESC LIMIT %s
       ) t
 GROUP BY t.order_id, t.placed_at
 ORDER BY t.placed_at DESC, t.order_id DESC
 LIMIT %s
"""


def order_product_search_page(
    *, term: str, offset: int, limit: int, cap: int, using: str = "default"
) -> tuple[int, list[int]] | None:
    """(matches counted up to ``cap + 1``, the order ids of the page
    ``[offset:offset + limit]`` newest first) of an unfiltered product search
    (``search_route``'s product route), on PostgreSQL; None when the term
    matches too many names (the caller uses ``order_search_page_ids``).

    Its cost does not grow with the table: the names come from ``SoldName``;
    the page is, per name, the first ``offset + limit`` entries of the items'
    ``(name, placed_at DESC, order_id DESC)`` index merged (the newest
    ``offset + limit`` orders of all names are among them); the count reads
    at most ``cap + 1`` item entries (more only when orders hold several
    matching items), index only. An order whose number is the term (intake's
    alphanumeric numbers) is merged in. Every read goes to ``using`` (the
    list's database: the replica when the router sends the page there)."""
    from django.db import connections

    from .models import Order, OrderItem

    names = list(sold_names_containing(term, using=using)[: PRODUCT_SEARCH_MAX_NAMES + 1])
    if len(names) > PRODUCT_SEARCH_MAX_NAMES or len(names) * (offset + limit) > PRODUCT_SEARCH_MAX_ENTRIES:
        return None
    exact = [
        (placed_at, pk)
        for pk, placed_at in Order.objects.using(using).filter(order_no=term).values_list("pk", "placed_at")
        if not OrderItem.objects.using(using).filter(order_id=pk, name__in=names).exists()
    ]
    matches, rows = len(exact), []
    if names:
        read = cap + 1
        with connections[using].cursor() as cur:
            while True:
                cur.execute(_ITEMS_COUNT, [names, read])
                distinct, entries = cur.fetchone()
                if entries < read or distinct > cap:
                    break
                read *= 8  # orders with several matching items: read on
            matches += distinct
            if limit and offset <= cap:
                cur.execute(_ITEMS_NEWEST, [names, offset + limit, offset + limit])
                rows = [(placed_at, pk) for pk, placed_at in cur.fetchall()]
    page = sorted(rows + exact, reverse=True)[offset : offset + limit]
    return min(matches, cap + 1), [pk for _placed_at, pk in page]


def order_search_page_walk(*, queryset: QuerySet, offset: int, limit: int) -> list:
    """One page of a search with many matches (more than the cap of
    ``order_search_page_ids``), read by walking ``queryset``'s ordering index
    and filtering until the page is full: about ``(offset + limit) × rows ÷
    matches`` rows, so cheap when matches are plentiful and the page is near
    the top. PostgreSQL's planner does not know that (a trigram estimate is
    ~100 rows whatever the term) and sorts every match instead: bitmap and
    sequential scans are switched off for this one statement, and so are JIT
    compilation and parallel workers, which the walk's (pessimistic) cost
    estimate would otherwise buy (measured: 30 ms of JIT for an 11 ms walk)."""
    from django.db import connections, transaction

    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset[offset : offset + limit])
    with transaction.atomic(using=queryset.db):
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off;"
                " SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
            )
        return list(queryset[offset : offset + limit])


# --- issue 15: refunds as the order page shows them -------------------------------
REFUND_SUCCEEDED, REFUND_SETTLED, REFUND_PENDING, REFUND_FAILED = "succeeded", "settled", "pending", "failed"


def refund_state(refund) -> str:
    """F1 as a person reads it: paid on the original route (``succeeded``),
    paid on an alternative route (``settled``), still being tried on the
    original route (``pending``), or refused by it and waiting for a reviewer
    to pay it another way (``failed``)."""
    from .models import Refund

    if refund.status == Refund.Status.SUCCEEDED:
        return REFUND_SETTLED if refund.route == Refund.Route.ALTERNATIVE else REFUND_SUCCEEDED
    return REFUND_FAILED if refund.route == Refund.Route.ALTERNATIVE else REFUND_PENDING


def order_refunds_paid_and_open(order) -> tuple[Decimal, list]:
    """(the amount actually paid back to the buyer, the refunds not paid yet,
    oldest first). ``order.refunded_amount`` counts every refund *issued*
    (what is left to refund); the amount paid counts only refunds that
    succeeded, on either route."""
    from .models import Refund

    paid, open_refunds = Decimal("0.00"), []
    for refund in Refund.objects.filter(order=order).order_by("created_at", "id"):
        if refund.status == Refund.Status.SUCCEEDED:
            paid += refund.amount
        else:
            open_refunds.append(refund)
    return paid, open_refunds


# What the provider's answer means, for a person: the call's outcome in the
# user's language, then the provider's own words (a refusal's reason is the
# bank's text, shown as is). ``last_error`` keeps the raw record for operators
# ("TimeoutError: …" for a call that got no answer).
_NO_ANSWER_IN_TIME = _lazy("The payment provider did not answer in time")
_NOT_REACHED = _lazy("The payment provider could not be reached")


def refund_failure_text(refund) -> str:
    """``""`` for a refund that never failed; else e.g. 「支付渠道未在时限内应答」
    or 「原路退款被拒：银行卡已注销」."""
    error = (refund.last_error or "").strip()
    if not error:
        return ""
    kind = error.partition(": ")[0]
    if kind == "TimeoutError":
        return str(_NO_ANSWER_IN_TIME)
    if kind == "GatewayUnreachable" or (kind.startswith("Connection") and kind.endswith("Error")):
        return str(_NOT_REACHED)  # ConnectionError, ConnectionRefusedError, ConnectionResetError…
    return gettext("Refused by the original route: %(reason)s") % {"reason": error}
