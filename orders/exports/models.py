"""The export job record (X3). Imported by ``orders.models`` so Django sees it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Source(models.TextChoices):
        API = "api", _("API")
        ADMIN = "admin", _("Admin")

    kind = models.CharField(_("kind"), max_length=32)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # CSV only: identifiers (order, ticket, tracking numbers) written as ="…"
    # so Excel keeps them as text (README, "Workbench decisions").
    excel_text = models.BooleanField(_("CSV for Excel"), default=False, db_default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.API)
    # X3: the job keeps the filters as sent (re-validated and re-scoped by the
    # worker), never a list of primary keys.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name=_("created by")
    )
    row_count = models.PositiveIntegerField(_("rows selected"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.CharField(_("file"), max_length=255, blank=True, default="")  # relative to MEDIA_ROOT
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    enqueue_attempts = models.PositiveSmallIntegerField(_("enqueue attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("last queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        app_label = "orders"
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed", "expired"]), name="export_status_valid"
            ),
            models.CheckConstraint(condition=Q(format__in=["csv", "xlsx"]), name="export_format_valid"),
        ]
        indexes = [
            # X2: "this user's latest export" and the user's list, newest first.
            models.Index(fields=["created_by", "-created_at"], name="export_user_created"),
            # The sweeper and the expiry job.
            models.Index(fields=["status", "enqueued_at"], name="export_status_enqueued"),
            models.Index(fields=["created_at"], name="export_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} #{self.pk} ({self.status})"

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.pk}.{self.format}"
