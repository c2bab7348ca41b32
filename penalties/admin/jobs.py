"""Runs of the penalties jobs."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.labels import counts_summary, job_label, labelled_values_filter

from ..models import JobRun
from .common import ReadOnlyAdmin


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job_name", "business_day", "started_at", "finished_at", "counts_text", "error"]
    list_filter = [("job", labelled_values_filter(job_label)), "business_day"]
    fields = ["job_name", "business_day", "daily", "started_at", "finished_at", "attempts", "counts_text", "error"]
    readonly_fields = fields

    @admin.display(description=_("job"), ordering="job")
    def job_name(self, obj):
        return job_label(obj.job)

    @admin.display(description=_("counts"))
    def counts_text(self, obj):
        return counts_summary(obj.counts)
