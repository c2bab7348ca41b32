"""The admin site: django-unfold's (the theme, README "Admin theme"), with the
workbench panels on its home page and the staff second factor (K2,
``config.otp``)."""

from __future__ import annotations

from contextvars import ContextVar
from functools import update_wrapper

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from .otp import StaffTwoFactorSiteMixin
from .workbench import ERROR_TEXT, collect_panels

# The request an admin page is being drawn for: read where Django gives no
# request (a read-only foreign key's link, a display method) to show only
# links the user can open. Set on entry to every admin view; the page renders
# after the view returns, so it is not reset there.
current_request: ContextVar = ContextVar("admin_request", default=None)


def user_may_open(model, obj=None) -> bool:
    """Whether the user of the current admin request may open ``model``'s
    (or ``obj``'s) admin page; False outside an admin request."""
    from django.contrib import admin

    request = current_request.get()
    model_admin = admin.site._registry.get(model)
    return bool(request and model_admin and model_admin.has_view_permission(request, obj))


class BackofficeAdminSite(StaffTwoFactorSiteMixin, UnfoldAdminSite):
    site_header = _("Shop back office")
    site_title = _("Shop back office")
    index_title = _("Workbench")
    # No public site: the header link goes back to the workbench.
    site_url = "/admin/"

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def remember_request(request, *args, **kwargs):
            current_request.set(request)
            return wrapped(request, *args, **kwargs)

        return update_wrapper(remember_request, wrapped)

    def index(self, request, extra_context=None):
        context = {
            "workbench_panels": collect_panels(request, timezone.now()),
            "workbench_error_text": ERROR_TEXT,
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
