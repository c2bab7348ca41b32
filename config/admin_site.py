"""The admin site: django-unfold's (the theme, README "Admin theme"), with the
workbench panels on its home page and the staff second factor (K2,
``config.otp``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from .otp import StaffTwoFactorSiteMixin
from .workbench import ERROR_TEXT, collect_panels


class BackofficeAdminSite(StaffTwoFactorSiteMixin, UnfoldAdminSite):
    site_header = _("Shop back office")
    site_title = _("Shop back office")
    index_title = _("Workbench")
    # No public site: the header link goes back to the workbench.
    site_url = "/admin/"

    def index(self, request, extra_context=None):
        context = {
            "workbench_panels": collect_panels(request, timezone.now()),
            "workbench_error_text": ERROR_TEXT,
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
