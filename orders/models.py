"""Shops, products, orders and everything that happens to an order.

Money is ``Decimal`` with 2 places; times are aware (UTC stored, judged in
Asia/Shanghai). Status and money change only through ``orders.services``.
"""

from __future__ import annotations

import functools
import operator
from contextvars import ContextVar
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .transitions import EDGES

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class Shop(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")  # 停业
        CLEARED = "cleared", _("Cleared")  # 清退

    name = models.CharField(_("name"), max_length=120, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # O3: a shop may promise a different ship time than the platform's 48 h.
    ship_hours = models.PositiveSmallIntegerField(_("promised ship hours"), null=True, blank=True)
    # C4: a shop may narrow the cancel window (never beyond the platform's) and cap cancellations per day.
    cancel_window_minutes = models.PositiveSmallIntegerField(_("cancel window (minutes)"), null=True, blank=True)
    daily_cancel_cap = models.PositiveIntegerField(_("daily cancellation cap"), null=True, blank=True)
    # Kept by the penalties app in the same transaction as each ledger entry (P8).
    deposit_balance = models.DecimalField(_("deposit balance"), default=ZERO, **MONEY)
    rating_score = models.DecimalField(_("rating"), max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ShopMembership", related_name="shops", blank=True, verbose_name=_("Members")
    )

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended", "cleared"]), name="shop_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(cancel_window_minutes__isnull=True) | Q(cancel_window_minutes__lte=120),
                name="shop_cancel_window_within_platform",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ShopMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("User")
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("Shop"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OWNER)

    class Meta:
        verbose_name = _("shop membership")
        verbose_name_plural = _("shop memberships")
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"


class Product(models.Model):
    class Status(models.TextChoices):
        ON_SALE = "on_sale", _("On sale")
        BANNED = "banned", _("Banned")  # 封禁 (P4)

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="products", verbose_name=_("Shop"))
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64)
    price = models.DecimalField(_("price"), **MONEY)
    stock = models.PositiveIntegerField(_("stock"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ON_SALE)
    ship_hours = models.PositiveSmallIntegerField(_("promised ship hours"), null=True, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "sku"], name="product_sku_unique_per_shop"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(condition=Q(status__in=["on_sale", "banned"]), name="product_status_valid"),
        ]
        indexes = [models.Index(fields=["shop", "status"], name="product_shop_status")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


# O1: set only by ``orders.transitions.orders_move`` around its set-based UPDATE.
ORDER_STATUS_MOVE: ContextVar[bool] = ContextVar("order_status_move", default=False)


class StatusWriteOutsideTable(RuntimeError):
    """An order's status was written without ``orders.transitions`` (O1): a bug."""


class OrderQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if "status" in kwargs and not ORDER_STATUS_MOVE.get():
            raise StatusWriteOutsideTable("Order.status is changed only through orders.transitions.orders_move")
        return super().update(**kwargs)


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")  # 备货中
        SHIPPED = "shipped", _("Shipped")  # 已发货
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")  # 已取消
        CLOSED = "closed", _("Closed")  # 已关闭

    order_no = models.CharField(_("order number"), max_length=32, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders", verbose_name=_("Shop"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    buyer_name = models.CharField(_("buyer name"), max_length=100)
    # O5: the phone is stored encrypted, found by a keyed hash, shown masked.
    buyer_phone_encrypted = models.TextField(_("buyer phone (encrypted)"))
    buyer_phone_hash = models.CharField(_("buyer phone hash"), max_length=64, db_index=True)
    buyer_phone_masked = models.CharField(_("buyer phone"), max_length=32)
    address = models.TextField(_("address"))
    total_amount = models.DecimalField(_("total amount"), **MONEY)
    refunded_amount = models.DecimalField(_("refunded amount"), default=ZERO, **MONEY)
    # Names of the products on the order, for substring search (O2) without a join.
    product_names = models.TextField(_("products"), blank=True, default="")
    # "name × quantity; …" of the items, written with them (an order's items
    # never change): an export reads it with the order instead of aggregating
    # the items of 50,000 orders one order at a time (~⅓ of the export's time).
    items_summary = models.TextField(_("products × quantity"), blank=True, default="")
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    ship_by = models.DateTimeField(_("ship by"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=64, blank=True, default="")
    tracking_no = models.CharField(_("tracking number"), max_length=64, blank=True, default="")
    last_tracking_at = models.DateTimeField(_("last tracking update"), null=True, blank=True)
    logistics_abnormal = models.BooleanField(_("logistics abnormal"), default=False)
    # O6: the carrier's delivery confirmation; completed after the buyer's window.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    in_after_sale = models.BooleanField(_("in after-sale"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            ("view_buyer_contact", _("Can view buyer contact")),
            ("review_cancellation", _("Can review cancellation requests")),
            ("settle_refund", _("Can settle refunds on an alternative route")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="order_total_non_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("total_amount")),
                name="order_refund_within_total",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["pending_payment", "awaiting_shipment", "shipped", "completed", "cancelled", "closed"]
                ),
                name="order_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-placed_at", "-id"], name="order_shop_placed"),
            models.Index(fields=["-placed_at", "-id"], name="order_placed"),
            models.Index(fields=["status", "-placed_at"], name="order_status_placed"),
            # P1 judgement and the "ship within 24 h" board scan only unshipped paid orders.
            models.Index(fields=["ship_by"], name="order_awaiting_ship_by", condition=Q(status="awaiting_shipment")),
            # A merchant's overdue / due-soon list, newest first: the shop's unshipped orders
            # only (at 10M orders the walk of ``order_shop_placed`` skipped ~19k shipped ones),
            # and ``ship_by`` as the last key, so the not-yet-late ones on top are skipped in
            # the index, without reading their rows (12.6 ms → 0.3 ms for a page at 10M).
            models.Index(
                fields=["shop", "-placed_at", "-id", "ship_by"],
                name="order_awaiting_shop_placed",
                condition=Q(status="awaiting_shipment"),
            ),
            # O4: shipped orders by their last tracking update.
            models.Index(fields=["last_tracking_at"], name="order_shipped_tracking", condition=Q(status="shipped")),
            models.Index(fields=["shop", "-placed_at"], name="order_in_after_sale", condition=Q(in_after_sale=True)),
            # O6: delivered orders waiting for the end of the buyer's confirmation window.
            models.Index(fields=["delivered_at"], name="order_delivered_shipped", condition=Q(status="shipped")),
            models.Index(
                fields=["shop", "-placed_at"], name="order_logistics_abnormal", condition=Q(logistics_abnormal=True)
            ),
            # W2: ``?updated_after=`` walks (updated_at, id) in order.
            models.Index(fields=["updated_at", "id"], name="order_sync"),
        ]
        triggers = [
            # O1: the database refuses a status move outside orders.transitions.ALLOWED, whoever writes it.
            pgtrigger.Trigger(
                name="order_status_transition",
                when=pgtrigger.Before,
                operation=pgtrigger.UpdateOf("status"),
                condition=pgtrigger.Q(old__status__df=pgtrigger.F("new__status"))
                & ~functools.reduce(
                    operator.or_,
                    (pgtrigger.Q(old__status=a, new__status=b) for a, b in sorted(EDGES)),
                ),
                func=(
                    "RAISE EXCEPTION 'order status % -> % is not in orders.transitions.ALLOWED',"
                    " OLD.status, NEW.status USING ERRCODE = 'check_violation';"
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.order_no

    def save(self, *args, **kwargs):
        loaded = self.__dict__.get("_status_loaded")
        update_fields = kwargs.get("update_fields")
        writes_status = update_fields is None or "status" in update_fields
        if not self._state.adding and writes_status and loaded is not None and self.status != loaded:
            if self.__dict__.get("_status_move") != (loaded, self.status):
                raise StatusWriteOutsideTable(
                    f"Order {self.pk}: {loaded} -> {self.status} without orders.transitions.order_move"
                )
        super().save(*args, **kwargs)
        self._status_loaded = self.status
        self._status_move = None

    # O1: a loaded order remembers its status; saving a different one needs the
    # move declared by ``orders.transitions.order_move`` (checked against the table).
    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._status_loaded = instance.__dict__.get("status")
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._status_loaded = self.__dict__.get("status")
        self._status_move = None


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("Order"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_items", verbose_name=_("Product")
    )
    name = models.CharField(_("name as sold"), max_length=200)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"))
    # The order's placement time, copied (placement never changes): the
    # product search reads the newest orders of a name from one index
    # (``item_name_placed``) instead of a trigram scan of every order.
    placed_at = models.DateTimeField(_("placed at"))

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="item_price_non_negative"),
        ]
        indexes = [models.Index(fields=["name", "-placed_at", "-order"], name="item_name_placed")]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class SoldName(models.Model):
    """Every distinct product name an order item was sold under (a few per
    product, however many orders): the product search finds the names
    containing what was typed here (trigram index on PostgreSQL, migration
    ``0025``), then the orders through ``OrderItem``'s ``(name, placed_at)``
    index. Written by placement, never updated."""

    name = models.CharField(_("name as sold"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("sold product name")
        verbose_name_plural = _("sold product names")

    def __str__(self) -> str:
        return self.name


class Actor(models.TextChoices):
    MERCHANT = "merchant", _("Merchant")
    REVIEWER = "reviewer", _("Platform reviewer")
    SUPPORT = "support", _("Support staff")
    INTAKE = "intake", _("Storefront / carrier")
    SYSTEM = "system", _("System")


class OrderEvent(models.Model):
    """The order's timeline: one row per state change (who, when, what, before → after)."""

    # No database FK check and no single-column index (the ``order_event_order``
    # index leads with the order): the overdue judgement writes 100k events in
    # one statement, and the per-row FK check (which also locks each order row)
    # cost as much as writing them. Integrity holds without it: events are
    # written only by services, for an order they have in hand (or selected in
    # the same statement), and orders are never deleted (``PROTECT`` still
    # guards ORM deletes).
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
        verbose_name=_("Order"),
    )
    kind = models.CharField(_("event"), max_length=40)
    # The same for the actor (users are deactivated, never deleted; ``PROTECT``
    # guards ORM deletes); system events (most of them: 100k a judgement run)
    # have none, so the index holds only the events a person made.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("Actor"),
    )
    actor_role = models.CharField(_("actor"), max_length=16, choices=Actor.choices, default=Actor.SYSTEM)
    from_status = models.CharField(_("from"), max_length=20, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=20, blank=True, default="")
    note = models.TextField(_("note"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at"], name="order_event_order"),
            models.Index(fields=["actor"], name="order_event_actor", condition=Q(actor__isnull=False)),
        ]

    def __str__(self) -> str:
        from config.labels import event_label

        return f"{self.order.order_no} · {event_label(self.kind)}"


class CancellationRequest(models.Model):
    """C1–C5: a merchant's request to cancel, decided by a platform reviewer."""

    class Reason(models.TextChoices):
        OUT_OF_STOCK = "out_of_stock", _("Out of stock")  # 商品缺货
        QUALITY_ISSUE = "quality_issue", _("Quality issue")  # 商品质量问题
        LOGISTICS_EXCEPTION = "logistics_exception", _("Logistics exception")  # 物流异常
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed with the order")  # P7: the order was closed while it waited

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="cancellations", verbose_name=_("Order"))
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="cancellations", verbose_name=_("Shop"))
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING_REVIEW)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True, default="")

    class Meta:
        verbose_name = _("cancellation request")
        verbose_name_plural = _("cancellation requests")
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="pending_review"), name="one_pending_cancellation_per_order"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending_review", "approved", "rejected", "closed"]),
                name="cancellation_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["out_of_stock", "quality_issue", "logistics_exception", "other"]),
                name="cancellation_reason_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-requested_at"], name="cancellation_status"),
            models.Index(fields=["shop", "-requested_at"], name="cancellation_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.order.order_no} · {self.get_reason_display()} · {self.get_status_display()}"


class Refund(models.Model):
    """F1–F2: one refund per cause (``cause`` is unique), original route first."""

    class Route(models.TextChoices):
        ORIGINAL = "original", _("Original payment route")
        ALTERNATIVE = "alternative", _("Alternative route")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("Order"))
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("Shop"))
    cause = models.CharField(_("cause"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    route = models.CharField(_("route"), max_length=16, choices=Route.choices, default=Route.ORIGINAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # F1 backoff: when the sweeper may next call the gateway (pushed forward by
    # every claim and every unanswered attempt, never rolled back), and when
    # the first call was made (24 h without an answer: alternative route).
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True, blank=True)
    gateway_ref = models.CharField(_("gateway reference"), max_length=64, blank=True, default="")
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Settled by"),
    )
    settlement_note = models.TextField(_("settlement note"), blank=True, default="")

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(route__in=["original", "alternative"]), name="refund_route_valid"),
            models.CheckConstraint(condition=Q(status__in=["pending", "succeeded"]), name="refund_status_valid"),
        ]
        indexes = [
            # The reviewer queue: refunds waiting for an alternative route (F1).
            models.Index(
                fields=["created_at"],
                name="refund_alternative_queue",
                condition=Q(route="alternative", status="pending"),
            ),
            # The sweeper's queue: original-route refunds due for a call (F1).
            models.Index(
                fields=["next_attempt_at", "id"],
                name="refund_due_queue",
                condition=Q(route="original", status="pending"),
            ),
        ]

    def __str__(self) -> str:
        from config.labels import money

        return f"{self.order.order_no} · {self.get_status_display()} · {money(self.amount)}"


class AfterSale(models.Model):
    """A1–A2: the buyer's after-sale request, decided by the merchant."""

    class Type(models.TextChoices):
        REFUND_ONLY = "refund_only", _("Refund only")  # 仅退款
        RETURN_REFUND = "return_refund", _("Return and refund")  # 退货退款
        EXCHANGE = "exchange", _("Exchange")  # 换货

    class Reason(models.TextChoices):
        NO_REASON_7D = "no_reason_7d", _("7-day no-reason return")  # 7天无理由
        WRONG_ITEM = "wrong_item", _("Wrong item")
        QUALITY_ISSUE = "quality_issue", _("Quality issue")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed with the order")  # P7: the order was closed while it waited

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="after_sales", verbose_name=_("Order"))
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="after_sales", verbose_name=_("Shop"))
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    description = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, default="")
    # W2: moved by every change; a database default for raw INSERTs.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("after-sale")
        verbose_name_plural = _("after-sales")
        # Issue 15: a reviewer may decide in the merchant's stead (platform intervention, 平台介入).
        permissions = [("decide_aftersale", _("Can decide an after-sale in the merchant's stead"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="after_sale_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "closed"]), name="after_sale_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(type__in=["refund_only", "return_refund", "exchange"]), name="after_sale_type_valid"
            ),
            # A1: one open request per order at a time (the service says so; the database enforces it).
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="pending"), name="one_pending_after_sale_per_order"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="after_sale_shop"),
            models.Index(fields=["reason", "created_at"], name="after_sale_reason"),
            models.Index(fields=["updated_at", "id"], name="after_sale_sync"),
        ]

    def __str__(self) -> str:
        return f"{self.order.order_no} · {self.get_type_display()} · {self.get_status_display()}"


class Notification(models.Model):
    """In-site notification to a shop's members (T5, P6, C3, F1).

    Written in the same transaction as the change it announces. ``dedupe_key``
    makes "notify once" a database fact (a rerun inserts nothing).
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("Shop"))
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True, verbose_name=_("Dedupe key"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["shop", "-id"], name="notification_shop"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationRead(models.Model):
    """Who has read a notification, and when: read state is per user, so one
    member marking a shop's notification read never hides it from colleagues."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("notification read")
        verbose_name_plural = _("notification reads")
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="notification_read_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.user_id}"


class IdempotencyKey(models.Model):
    """A state-changing API call made with an ``Idempotency-Key`` header: the
    first successful answer is stored and replayed for a retry with the same
    key (see ``orders.idempotency``). Shared by every app's action views."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response_body = models.JSONField(_("response body"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "method", "path"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"


class ContactReveal(models.Model):
    """O5: one row each time a person is shown a buyer's full phone: who, when,
    which order (the API and the admin, one row per order shown) or which
    export file (one row per download, with the number of phones it holds).
    Written only by ``orders.privacy.record_reveal``; read-only in the admin."""

    class Channel(models.TextChoices):
        API = "api", _("API")
        ADMIN = "admin", _("Admin")
        EXPORT = "export", _("Export file")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("shown to")
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    export = models.ForeignKey(
        "orders.Export", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("export")
    )
    rows = models.PositiveIntegerField(_("phones shown"), default=1)
    channel = models.CharField(_("where"), max_length=8, choices=Channel.choices)
    revealed_at = models.DateTimeField(_("shown at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("buyer phone shown")
        verbose_name_plural = _("buyer phones shown")
        ordering = ["-revealed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel} {self.order_id or self.export_id} {self.revealed_at:%Y-%m-%d %H:%M}"


class AlternativeRouteRefund(Refund):
    """The reviewers' queue of refunds whose original route failed (F1)."""

    class Meta:
        proxy = True
        verbose_name = _("refund waiting for an alternative route")
        verbose_name_plural = _("refunds waiting for an alternative route")


from .exports.models import Export  # noqa: E402,F401  (the export job record lives with its framework)
from .shipment_imports.models import ShipmentImport, ShipmentImportRow  # noqa: E402,F401  (W3)
from .verification.models import LoginVerification, PhoneVerificationDevice, UserPhone  # noqa: E402,F401  (K1)
from .webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSequence  # noqa: E402,F401  (W1)
