"""Shop ratings."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config.labels import COUNT_LABELS, local_time

from ..models import ShopRating
from .common import ReadOnlyAdmin


@admin.register(ShopRating)
class ShopRatingAdmin(ReadOnlyAdmin):
    list_display = ["shop", "day", "score", "overdue", "cancellation", "quality", "tickets"]
    list_filter = ["day", "shop"]
    list_select_related = ["shop"]
    fields = ["shop", "day", "score", "components_table", "computed_at"]
    readonly_fields = fields

    def _rate(self, obj, name):
        c = obj.components.get(name) or {}
        return f"{c.get('numerator', 0)}/{c.get('denominator', 0)}"

    @admin.display(description=_("overdue shipment"))
    def overdue(self, obj):
        return self._rate(obj, "overdue_shipment")

    @admin.display(description=_("merchant cancellation"))
    def cancellation(self, obj):
        return self._rate(obj, "merchant_cancellation")

    @admin.display(description=_("quality returns"))
    def quality(self, obj):
        return self._rate(obj, "quality_return")

    @admin.display(description=_("ticket timeouts"))
    def tickets(self, obj):
        return self._rate(obj, "ticket_timeout")

    @admin.display(description=_("components"))
    def components_table(self, obj):
        window = obj.components.get("window") or {}
        rows = [(name, c) for name, c in obj.components.items() if name != "window"]
        violations = reverse("admin:penalties_violation_changelist")
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>"
            "<p>{} {} – {} · <a href='{}?shop__id__exact={}&judgement_no__exact=1'>{}</a></p>",
            _("component"),
            _("numerator"),
            _("denominator"),
            _("rate"),
            _("weight"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (COUNT_LABELS.get(n, n), c.get("numerator"), c.get("denominator"), c.get("rate"), c.get("weight"))
                    for n, c in rows
                ),
            ),
            _("Window:"),
            local_time(window.get("since")),
            local_time(window.get("until")),
            violations,
            obj.shop_id,
            _("the shop's judged orders"),
        )
