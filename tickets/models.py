"""Service tickets (服务单, rules T1–T5).

Support staff open a ticket for an order; the shop's merchant handles it
against a deadline; support approves or rejects the handling; beat closes the
tickets left pending past their deadline. Status changes only through
``tickets.services``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_evidence_image


def default_sla_hours() -> int:
    """T1: the platform default (24 h), editable per service type."""
    return settings.PLATFORM["TICKET_DEFAULT_SLA_HOURS"]


class ServiceType(models.Model):
    """T1: what the buyer wants; decides the handling time and how a ticket may close."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sla_hours = models.PositiveSmallIntegerField(
        _("handling time (hours)"), default=default_sla_hours, help_text=_("Hours the merchant has to handle it.")
    )
    allows_agreed_close = models.BooleanField(
        _("agreement closes directly"),
        default=False,
        help_text=_("A merchant reply recording an agreement with the buyer closes the ticket without review."),
    )
    evidence_required = models.BooleanField(
        _("evidence required"), default=False, help_text=_("A reply must carry at least one image.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(sla_hours__gt=0), name="service_type_sla_positive")]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # 待处理
        IN_REVIEW = "in_review", _("In review")  # 审核中
        CLOSED = "closed", _("Closed")  # 已关闭

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        AGREED = "agreed", _("Agreed with the buyer")  # 已达成一致
        TIMED_OUT = "timed_out", _("Timed out")  # T3
        ORDER_CLOSED = "order_closed", _("Order closed")  # P7: the order was closed while it was open

    ticket_no = models.CharField(_("ticket number"), max_length=32, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("Order"))
    # Denormalised from the order: every merchant query is scoped by shop.
    shop = models.ForeignKey("orders.Shop", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("Shop"))
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("Service type")
    )
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, null=True, blank=True)
    handle_deadline = models.DateTimeField(_("handle by"))
    first_reply_at = models.DateTimeField(_("first reply at"), null=True, blank=True)
    # The reminder (≤ 2 h left) for the current deadline was sent; reset by a rejection.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    last_rejection_reason = models.TextField(_("last rejection reason"), blank=True, default="")
    last_rejected_at = models.DateTimeField(_("last rejected at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Opened by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # W2: moved by every change; a database default for raw INSERTs.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")
        permissions = [("review_ticket", _("Can approve or reject a ticket's handling"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "in_review", "closed"]), name="ticket_status_valid"
            ),
            # An outcome exactly when closed, and only a known one.
            models.CheckConstraint(
                condition=(
                    Q(
                        status="closed",
                        outcome__in=["approved", "agreed", "timed_out", "order_closed"],
                        closed_at__isnull=False,
                    )
                    | (~Q(status="closed") & Q(outcome__isnull=True, closed_at__isnull=True))
                ),
                name="ticket_outcome_iff_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="ticket_shop_created"),
            models.Index(fields=["-created_at"], name="ticket_created"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_created"),
            # T3 timeout job and reminders scan only pending tickets by deadline.
            models.Index(fields=["handle_deadline"], name="ticket_pending_deadline", condition=Q(status="pending")),
            models.Index(fields=["updated_at", "id"], name="ticket_sync"),
        ]

    def __str__(self) -> str:
        return self.ticket_no

    def remaining_seconds(self, now: datetime) -> int | None:
        """T3: handling time left while pending (0 once past), else ``None``."""
        if self.status != self.Status.PENDING:
            return None
        return max(0, int((self.handle_deadline - now).total_seconds()))


class TicketReply(models.Model):
    """The merchant's handling: a message, whether it records an agreement, evidence images."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="replies", verbose_name=_("Ticket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Author")
    )
    message = models.TextField(_("message"))
    agreed = models.BooleanField(_("agreed with the buyer"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket reply")
        verbose_name_plural = _("ticket replies")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_reply_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket.ticket_no} · {self.author}"


def evidence_path(instance: TicketEvidence, filename: str) -> str:
    now = timezone.now()
    return f"tickets/evidence/{now:%Y/%m}/{filename}"


class TicketEvidence(models.Model):
    """An evidence image of a reply (at most 4 per reply, each size-capped)."""

    reply = models.ForeignKey(TicketReply, on_delete=models.CASCADE, related_name="images", verbose_name=_("Reply"))
    image = models.ImageField(_("image"), upload_to=evidence_path, validators=[validate_evidence_image])
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence image")
        verbose_name_plural = _("evidence images")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class TicketEvent(models.Model):
    """The ticket's timeline: one row per change, naming the actor."""

    class ActorRole(models.TextChoices):
        SUPPORT = "support", _("Support staff")
        MERCHANT = "merchant", _("Merchant")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", verbose_name=_("Ticket"))
    kind = models.CharField(_("event"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Actor"),
    )
    actor_role = models.CharField(_("actor"), max_length=16, choices=ActorRole.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=16, blank=True, default="")
    note = models.TextField(_("note"), blank=True, default="")
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_event_ticket")]

    def __str__(self) -> str:
        from config.labels import event_label

        return f"{self.ticket.ticket_no} · {event_label(self.kind)}"
