"""The admin site: Django's, with the workbench panels on its home page."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .workbench import ERROR_TEXT, collect_panels


class BackofficeAdminSite(admin.AdminSite):
    site_header = _("Shop back office")
    site_title = _("Shop back office")
    index_title = _("Workbench")

    def index(self, request, extra_context=None):
        context = {
            "workbench_panels": collect_panels(request, timezone.now()),
            "workbench_error_text": ERROR_TEXT,
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
