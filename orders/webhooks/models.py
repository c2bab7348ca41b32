"""Rule W1: merchant webhook endpoints, the event outbox and its deliveries.

An event is written to the outbox (``WebhookEvent``, with one
``WebhookDelivery`` per subscribed endpoint) in the same transaction as the
change it describes; Celery delivers it after commit and a beat sweeper
delivers whatever a lost message or a killed process left behind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The contract's event types (API.md, "Event push").
EVENT_TYPES = (
    "order.paid",
    "order.shipped",
    "order.cancelled",
    "order.closed",
    "order.completed",
    "refund.succeeded",
    "refund.alternative",
    "cancellation.decided",
    "after_sale.opened",
    "after_sale.decided",
    "ticket.opened",
    "ticket.rejected",
    "ticket.closed",
    "violation.judged",
    "deduction.charged",
    "deduction.reversed",
    "appeal.decided",
)


class WebhookEndpoint(models.Model):
    shop = models.ForeignKey("orders.Shop", on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    # Event types, or ["*"] for all of them.
    events = models.JSONField(_("events"), default=list)
    # The ``whsec_…`` secret, encrypted at rest like the buyer phone (O5).
    secret_encrypted = models.TextField(_("secret (encrypted)"))
    active = models.BooleanField(_("active"), default=True)
    # Set when repeated dead deliveries paused the endpoint (WEBHOOK_PAUSE_AFTER_DEAD).
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    dead_streak = models.PositiveIntegerField(_("dead deliveries in a row"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["shop", "active"], name="webhook_endpoint_shop")]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.url}"

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class WebhookSequence(models.Model):
    """The last ``sequence`` given to an event of the shop (W1). Incremented
    under its row lock in the event's transaction: no gaps, commit order."""

    shop = models.OneToOneField("orders.Shop", on_delete=models.CASCADE, primary_key=True, related_name="+")
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("webhook sequence")
        verbose_name_plural = _("webhook sequences")

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.last}"


class WebhookEvent(models.Model):
    """The outbox: the exact body every delivery of the event sends."""

    msg_id = models.CharField(_("webhook-id"), max_length=64, unique=True)
    shop = models.ForeignKey("orders.Shop", on_delete=models.PROTECT, related_name="+")
    type = models.CharField(_("type"), max_length=40)
    sequence = models.PositiveBigIntegerField(_("sequence"))
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The id of the row a batch job's event is about (the violation judged,
    # the ledger entry charged, the order closed): unique per type, so a rerun
    # of the job writes no event twice (``outbox_sql``). NULL for the events
    # of single changes, which their own transaction makes once.
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["shop", "sequence"], name="webhook_event_sequence"),
            models.UniqueConstraint(
                fields=["type", "source_id"], condition=Q(source_id__isnull=False), name="webhook_event_source_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.msg_id} {self.type}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed (will retry)")
        DEAD = "dead", _("Dead")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")
    # Only a small excerpt of the receiver's answer is kept.
    response_excerpt = models.CharField(_("response excerpt"), max_length=200, blank=True, default="")
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # Retries stop here (24 h after the event, or after a manual retry).
    give_up_at = models.DateTimeField(_("give up at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed", "dead"]), name="webhook_delivery_status"
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
            # The sweeper scans only deliveries still to make, by due time.
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status__in=["pending", "failed"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
