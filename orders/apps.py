from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Export kinds: ours, then each app's ``exports`` module (tickets registers "tickets").
        from .exports import admin as _exports_admin  # noqa: F401  (the "exports" admin page)
        from .exports import orders_kind as _orders_kind  # noqa: F401
        from .exports import tasks as _exports_tasks  # noqa: F401
        from .webhooks import admin as _webhooks_admin  # noqa: F401  (W1)
        from .webhooks import tasks as _webhooks_tasks  # noqa: F401  (W1)

        autodiscover_modules("exports")
