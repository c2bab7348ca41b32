from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """``config`` as an app only for its management commands
    (``compile_catalogue``) and templates; it has no models."""

    default = True
    name = "config"
    verbose_name = _("Platform")


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """The admin with the workbench home (``config.admin_site``); ``admin.site``
    is that site, so every app's ``@admin.register`` works unchanged."""

    default = False
    default_site = "config.admin_site.BackofficeAdminSite"
