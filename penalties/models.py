"""Overdue-shipment violations, the deposit ledger, product bans, shop
sanctions, daily shop ratings and the record of every batch-job run
(rules P1–P8, R1).

Rows change only through ``penalties.services``; the ledger is append-only.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Order, Product, Shop
from tickets.validators import validate_evidence_image  # V1: evidence validated like ticket evidence

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


# W2: each change of a violation into its change log (``ViolationChange``), by
# row triggers, whoever writes. A set-based statement adds its rows' entries
# itself (one range of ids) and turns the triggers off for its rows
# (``services._sql.CHANGE_LOG_WRITTEN``): one entry per row, by trigger or by
# statement, cost the judgement of a million orders 1.5 s.
CHANGE_LOG_SKIP = "current_setting('penalties.change_log', true) IS DISTINCT FROM 'written'"
CHANGE_LOG_FUNC = """
    INSERT INTO penalties_violationchange (changed_at, first_id, last_id) VALUES (NEW.updated_at, NEW.id, NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
"""


class Violation(models.Model):
    """P1/P2: one row per judgement of an overdue order (at most 3 per order)."""

    class ChargeStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        CHARGED = "charged", _("Charged")
        WAIVED = "waived", _("Waived")
        REVERSED = "reversed", _("Reversed")

    class WaiveReason(models.TextChoices):
        NONE = "", _("—")
        DAILY_CAP = "daily_cap", _("Beyond the shop's daily cap")
        ORDER_LIMIT = "order_limit", _("Beyond the deductions allowed per order")
        APPEAL_GRANTED = "appeal_granted", _("Appeal granted before it was charged")

    # No database FK check and no single-column index on these two (see
    # "Performance" in the README): the judgement inserts 100k rows in one
    # statement, and a FK check per row (which also locks each order row) cost
    # more than the insert itself. Integrity holds without it: the rows are
    # written only by the judgement, from ``orders_order`` rows selected in the
    # same statement (shop copied from the order); orders and shops are never
    # deleted (``PROTECT`` still guards ORM deletes). The unique
    # ``(order, judgement_no)`` and ``(shop, -judged_at)`` indexes serve the
    # lookups the single-column indexes served.
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="violations",
        db_index=False,
        db_constraint=False,
        verbose_name=_("Order"),
    )
    shop = models.ForeignKey(
        Shop,
        on_delete=models.PROTECT,
        related_name="violations",
        db_index=False,
        db_constraint=False,
        verbose_name=_("Shop"),
    )
    judgement_no = models.PositiveSmallIntegerField(_("judgement number"))
    judged_at = models.DateTimeField(_("judged at"))
    # The Asia/Shanghai day of ``judged_at``. P3: its deduction belongs to the
    # next day (the business day, recorded on the ledger entry), whose cap it counts under.
    judgement_day = models.DateField(_("judgement day"))
    # P2: when the next judgement falls if the order is still overdue; NULL on
    # the last judgement, cleared when the successor is made. Whether the order
    # is still overdue is read from the order (``selectors.next_judgement_at``).
    # Not indexed: the judgement finds due orders through the orders.
    next_judgement_at = models.DateTimeField(_("next judgement at"), null=True, blank=True)
    charge_status = models.CharField(
        _("charge status"), max_length=16, choices=ChargeStatus.choices, default=ChargeStatus.PENDING
    )
    charged_amount = models.DecimalField(_("charged amount"), default=ZERO, **MONEY)
    waive_reason = models.CharField(
        _("waived because"), max_length=16, choices=WaiveReason.choices, blank=True, default=""
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    # V3: set (once, with the appeal's approval) when a reviewer granted the
    # merchant's appeal: the judgement no longer counts in R1 or for a P4 ban.
    # A database default, so the judgement's INSERT … SELECT need not name it.
    appeal_granted = models.BooleanField(_("appeal granted"), default=False, db_default=False)
    # W2: moved by every change (charge, appeal); a database default for the
    # judgement's INSERT … SELECT, which also sets it explicitly.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        ordering = ["-judged_at", "-id"]
        permissions = [("preview_deductions", _("Can preview tomorrow's deductions"))]
        constraints = [
            models.UniqueConstraint(fields=["order", "judgement_no"], name="violation_once_per_judgement"),
            models.CheckConstraint(
                condition=Q(judgement_no__gte=1) & Q(judgement_no__lte=3), name="violation_judgement_no_1_to_3"
            ),
            models.CheckConstraint(
                condition=Q(charge_status__in=["pending", "charged", "waived", "reversed"]),
                name="violation_charge_status_valid",
            ),
            models.CheckConstraint(condition=Q(charged_amount__gte=0), name="violation_charge_non_negative"),
        ]
        indexes = [
            models.Index(fields=["shop", "-judged_at"], name="violation_shop_judged"),
        ]
        # W2: no index on ``updated_at`` (see ``ViolationChange``): the nightly
        # batch settles a whole day of judgements, and with no changed column
        # indexed each row's update is HOT (its new version on the same page, no
        # index entry). The table leaves half of each page free for that
        # (``fillfactor`` 50, migration 0015).
        triggers = [
            pgtrigger.Trigger(
                name="violation_change_log_insert",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                condition=pgtrigger.Condition(CHANGE_LOG_SKIP),
                func=CHANGE_LOG_FUNC,
            ),
            pgtrigger.Trigger(
                name="violation_change_log_update",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(f"NEW.updated_at IS DISTINCT FROM OLD.updated_at AND {CHANGE_LOG_SKIP}"),
                func=CHANGE_LOG_FUNC,
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(order_no)s · judgement %(no)s") % {"order_no": self.order.order_no, "no": self.judgement_no}


class ViolationChange(models.Model):
    """W2: where violations changed, as id ranges per change time: the W2
    walk's index in place of one on ``updated_at`` (``config.sync_log``).

    Written in the database: a row trigger on ``Violation`` adds
    ``(updated_at, id, id)`` after every insert and update; the judgement's
    and the deduction batch's set-based statements add one entry for their
    rows, ``(now, lowest id, highest id)`` (a re-judgement's sparse closed
    turns: one per 10,000 ids, ``services._sql.change_log_entries``), and the
    triggers skip those rows. A row is listed at an entry's time only while its ``updated_at``
    still equals it. So a night's batch over a million judgements writes one
    entry here and none in any index of the violation table (its updates
    are HOT)."""

    pk = models.CompositePrimaryKey("changed_at", "first_id", "last_id")
    changed_at = models.DateTimeField(_("changed at"))
    first_id = models.BigIntegerField(_("first violation id"))
    last_id = models.BigIntegerField(_("last violation id"))

    class Meta:
        verbose_name = _("violation change")
        verbose_name_plural = _("violation changes")

    def __str__(self) -> str:
        return f"{self.changed_at.isoformat()} {self.first_id}–{self.last_id}"


def appeal_evidence_path(instance: AppealEvidence, filename: str) -> str:
    now = timezone.now()
    return f"appeals/evidence/{now:%Y/%m}/{filename}"


class Appeal(models.Model):
    """V1/V2: a merchant's appeal of one violation (at most one per violation),
    decided by a platform reviewer. The record used in disputes: who asked,
    why, when, who decided, how and why."""

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        COURIER_DELAY = "courier_delay", _("Courier picked up late")  # 快递揽收延误
        PLATFORM_ERROR = "platform_error", _("Platform error")  # 平台原因
        BUYER_REQUEST = "buyer_request", _("Buyer asked to ship later")  # 买家要求延迟发货
        FORCE_MAJEURE = "force_majeure", _("Force majeure")  # 不可抗力
        OTHER = "other", _("Other")

    # V1 "once per violation" is this unique one-to-one.
    violation = models.OneToOneField(
        Violation, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("violation")
    )
    # Copied from the violation: the merchant's list is scoped by shop.
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("shop"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("order"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING_REVIEW)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    # V2: the reviewers' target (APPEAL_REVIEW_HOURS after filing).
    review_due_at = models.DateTimeField(_("review due at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, default="")

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["created_at", "id"]  # V2: the queue, oldest first
        permissions = [("decide_appeal", _("Can approve or reject an appeal"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending_review", "approved", "rejected"]), name="appeal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["courier_delay", "platform_error", "buyer_request", "force_majeure", "other"]),
                name="appeal_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="pending_review") | Q(decided_at__isnull=False), name="appeal_decided_has_time"
            ),
        ]
        indexes = [
            # V2: the reviewers' queue (pending, oldest first) and its count on the workbench.
            models.Index(
                fields=["created_at", "id"], name="appeal_pending_queue", condition=Q(status="pending_review")
            ),
            models.Index(fields=["shop", "-id"], name="appeal_shop"),
            models.Index(fields=["status", "-id"], name="appeal_status"),
        ]

    def __str__(self) -> str:
        return f"{self.violation.order.order_no} · {self.get_status_display()}"


class AppealEvidence(models.Model):
    """An evidence image of an appeal (validated like ticket evidence)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="images", verbose_name=_("Appeal"))
    image = models.ImageField(_("image"), upload_to=appeal_evidence_path, validators=[validate_evidence_image])
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("appeal evidence image")
        verbose_name_plural = _("appeal evidence images")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class BatchMark(models.Model):
    """How far a batch job has got through an append-only table: every row
    below ``position`` is done. The deduction batch keeps the lowest violation
    id still unsettled, so each night reads the recent judgements through the
    primary key however long the table grows (an index on the charge status
    would cost every judgement run one more index write per row)."""

    name = models.CharField(_("name"), max_length=64, primary_key=True)
    position = models.BigIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("batch mark")
        verbose_name_plural = _("batch marks")

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"


class DepositEntry(models.Model):
    """P8: the append-only deposit ledger. ``Shop.deposit_balance`` is updated
    in the same transaction as every entry, so it always equals the sum
    (``penalties.services.ledger.ledger_mismatches`` checks it). On PostgreSQL
    a trigger refuses every UPDATE and DELETE of an entry: a wrong entry is
    answered by a new one (a reversal or an adjustment), never an edit."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        DEDUCTION = "deduction", _("Deduction")
        REVERSAL = "reversal", _("Reversal of a deduction")
        ADJUSTMENT = "adjustment", _("Adjustment")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="deposit_entries", verbose_name=_("Shop"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)  # signed: deductions are negative
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    violation = models.ForeignKey(
        Violation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposit_entries",
        verbose_name=_("Violation"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("By"),
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    # P3: the business day (Asia/Shanghai) a deduction belongs to, i.e. its
    # judgement's day + 1, the day whose cap it counts under. Deductions only.
    business_day = models.DateField(_("business day"), null=True, blank=True)

    class Meta:
        verbose_name = _("deposit entry")
        verbose_name_plural = _("deposit ledger")
        ordering = ["-id"]
        permissions = [
            ("top_up_deposit", _("Can top up a shop's deposit")),
            ("reverse_deduction", _("Can reverse a deduction (appeal granted)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["top_up", "deduction", "reversal", "adjustment"]), name="deposit_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(kind="top_up") | Q(amount__gt=0), name="deposit_top_up_positive"),
            models.CheckConstraint(
                condition=~Q(kind="deduction") | (Q(amount__lt=0) & Q(violation__isnull=False)),
                name="deposit_deduction_negative_with_violation",
            ),
            models.CheckConstraint(
                condition=~Q(kind="deduction") | Q(business_day__isnull=False),
                name="deposit_deduction_has_business_day",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | (Q(amount__gt=0) & Q(violation__isnull=False)),
                name="deposit_reversal_positive_with_violation",
            ),
            # P3: a violation is charged once and reversed at most once.
            models.UniqueConstraint(
                fields=["violation"], condition=Q(kind="deduction"), name="deposit_one_deduction_per_violation"
            ),
            models.UniqueConstraint(
                fields=["violation"], condition=Q(kind="reversal"), name="deposit_one_reversal_per_violation"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-id"], name="deposit_shop"),
            # W2: the ledger is append-only, so an entry's change time is its
            # creation time: ``?updated_after=`` walks (created_at, id).
            models.Index(fields=["created_at", "id"], name="deposit_sync"),
        ]
        triggers = [
            # P8: append-only in the database itself, whoever connects.
            pgtrigger.Protect(name="deposit_entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        from config.labels import money

        return f"{self.shop} · {self.get_kind_display()} · {money(self.amount)}"


class ProductBan(models.Model):
    """P4: a product banned after an order of it was judged a third time."""

    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="ban", verbose_name=_("Product"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", verbose_name=_("Order"))
    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="bans", verbose_name=_("Violation"))
    created_at = models.DateTimeField(_("banned at"), default=timezone.now)

    class Meta:
        verbose_name = _("product ban")
        verbose_name_plural = _("product bans")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.product.name} · {gettext('Banned')}"


class ShopSanction(models.Model):
    """P5: a reviewer's decision on a shop (never automatic), with the reason."""

    class Action(models.TextChoices):
        SUSPEND = "suspend", _("Suspend")  # 停业
        CLEAR = "clear", _("Clear")  # 清退
        LIFT = "lift", _("Lift suspension")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("Shop"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("By"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("shop sanction")
        verbose_name_plural = _("shop sanctions")
        ordering = ["-id"]
        permissions = [("sanction_shop", _("Can suspend, clear or lift a shop"))]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["suspend", "clear", "lift"]), name="sanction_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} · {self.get_action_display()}"


class SanctionCandidate(Shop):
    """The reviewers' sanction list (P5) in the admin: shops with an order
    judged the maximum number of times and still overdue, and shops already
    sanctioned. A proxy: no table of its own."""

    class Meta:
        proxy = True
        verbose_name = _("sanction list entry")
        verbose_name_plural = _("sanction list")


class ShopRating(models.Model):
    """R1: the shop's score for one Asia/Shanghai day and its components
    (``{name: {"numerator", "denominator", "rate", "weight"}}``)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("Shop"))
    day = models.DateField(_("day"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    components = models.JSONField(_("components"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("shop rating")
        verbose_name_plural = _("shop ratings")
        ordering = ["-day", "shop_id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "day"], name="rating_once_per_shop_day"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="rating_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} · {self.day} · {self.score}"


class JobRun(models.Model):
    """One run of a batch job. For daily jobs (``daily``) the pair (job,
    business day) is unique: a second run for the same day is a no-op. While
    it runs, the runner holds a PostgreSQL advisory lock on the pair (see
    ``penalties.services.jobs``); ``attempts`` counts take-overs of a dead run."""

    job = models.CharField(_("job"), max_length=64)
    business_day = models.DateField(_("business day"))
    daily = models.BooleanField(_("daily"), default=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "business_day"], condition=Q(daily=True), name="job_run_once_per_business_day"
            ),
        ]
        indexes = [models.Index(fields=["job", "-started_at"], name="job_run_job")]

    def __str__(self) -> str:
        from config.labels import job_label

        return f"{job_label(self.job)} · {self.business_day}"


class TopUpApproval(models.Model):
    """Issue 15 (four eyes): a top-up above ``settings.TOPUP_FOUR_EYES_LIMIT``
    waits here, with its reference number, until a second reviewer (not the
    one who asked) approves it; only then is it posted to the ledger."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second reviewer")
        APPROVED = "approved", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+", verbose_name=_("Shop"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"))
    reference = models.CharField(_("reference number"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Requested by")
    )
    requested_at = models.DateTimeField(_("requested at"))
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
    entry = models.OneToOneField(
        DepositEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval",
        verbose_name=_("deposit entry"),
    )

    class Meta:
        verbose_name = _("large top-up")
        verbose_name_plural = _("large top-ups (four eyes)")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_approval_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]), name="topup_approval_status_valid"
            ),
        ]

    def __str__(self) -> str:
        from config.labels import money

        return f"{self.shop} · {money(self.amount)} · {self.reference}"
