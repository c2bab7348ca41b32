from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PenaltiesConfig(AppConfig):
    name = "penalties"
    verbose_name = _("Penalties")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders.timeline import timeline_source_register

        from . import receivers, selectors

        receivers.connect()
        timeline_source_register(selectors.judgement_timeline_entries)
