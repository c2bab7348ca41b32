"""Rule W3: bulk shipping by file (批量发货). One record per upload; the
refused rows are kept for the API and the result file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ShipmentImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    shop = models.ForeignKey("orders.Shop", on_delete=models.PROTECT, related_name="shipment_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    dry_run = models.BooleanField(_("dry run"), default=False)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("file SHA-256"), max_length=64)
    # The rows as read at upload: [[order_no, carrier, tracking_no], …] (no buyer data).
    rows_data = models.JSONField(_("rows"), default=list)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    shipped = models.PositiveIntegerField(_("shipped"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    result_file = models.FileField(_("result file"), upload_to="shipment-imports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("shipment import")
        verbose_name_plural = _("shipment imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="shipment_import_status"
            )
        ]
        indexes = [
            models.Index(fields=["shop", "-id"], name="shipment_import_shop"),
            models.Index(fields=["status", "created_at"], name="shipment_import_status_at"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.filename} ({self.status})"


class ShipmentImportRow(models.Model):
    """A refused (or, in a dry run, would-be-refused) row of an import."""

    shipment_import = models.ForeignKey(ShipmentImport, on_delete=models.CASCADE, related_name="refused_rows")
    row = models.PositiveIntegerField(_("row"))
    order_no = models.CharField(_("order number"), max_length=64, blank=True, default="")
    code = models.CharField(_("code"), max_length=40)
    detail = models.CharField(_("detail"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("refused import row")
        verbose_name_plural = _("refused import rows")
        constraints = [models.UniqueConstraint(fields=["shipment_import", "row"], name="shipment_import_row_once")]

    def __str__(self) -> str:
        return f"{self.shipment_import_id}#{self.row} {self.code}"
