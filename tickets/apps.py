from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Service tickets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders.webhooks.outbox_sql import payload_register

        from .services import tickets_push_payloads

        payload_register("ticket", tickets_push_payloads)  # W1: tickets closed by an order's jobs
