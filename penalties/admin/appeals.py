"""Reviewer admin of appeals (V2): the queue oldest first with its 48 h
target, and the appeal's page with the order, its timeline, the evidence and
the deduction in view. Approve (with a note) and reject (with a reason):
list actions and buttons on the appeal's page, one confirmation page each
(``penalties.confirmations``), the same services as the API.

A module of the ``penalties.admin`` package.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.enums import ActionVariant

from config.admin_confirm import Button, DetailButtonsMixin
from config.labels import event_label, local_time, money
from orders.timeline import order_timeline

from .. import confirmations
from ..models import Appeal, AppealEvidence

DECIDE_PERM = "penalties.decide_appeal"


def _pending(appeal: Appeal) -> bool:
    return appeal.status == Appeal.Status.PENDING_REVIEW


class ReviewDueFilter(admin.SimpleListFilter):
    """V2: appeals still pending past their 48 h review target."""

    title = _("review target")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", _("past the review target")), ("in_time", _("within the review target"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        pending = queryset.filter(status=Appeal.Status.PENDING_REVIEW)
        if self.value() == "overdue":
            return pending.filter(review_due_at__lt=now)
        if self.value() == "in_time":
            return pending.filter(review_due_at__gte=now)
        return queryset


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@admin.register(Appeal)
class AppealAdmin(DetailButtonsMixin, ModelAdmin):
    list_display = ["id", "order_no", "shop", "reason", "status", "created_at", "review_due", "decided_at"]
    list_filter = ["status", ReviewDueFilter, "reason"]
    search_fields = ["=order__order_no"]
    list_select_related = ["order", "shop"]
    ordering = ["created_at", "id"]  # V2: oldest first
    list_per_page = 100
    show_full_result_count = False
    actions = ["approve_appeal", "reject_appeal"]
    detail_buttons = [
        Button(confirmations.approve_appeal, DECIDE_PERM, _pending, label=_("Grant"), variant=ActionVariant.PRIMARY),
        Button(confirmations.reject_appeal, DECIDE_PERM, _pending, label=_("Reject…"), variant=ActionVariant.DANGER),
    ]
    fields = [
        "decision_context",
        "case",
        "reason",
        "detail",
        "status",
        "filed_by",
        "created_at",
        "review_due_at",
        "decision",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"), ordering="order__order_no")
    def order_no(self, obj):
        return obj.order.order_no

    @admin.display(description=_("review due"), ordering="review_due_at")
    def review_due(self, obj):
        if obj.status == Appeal.Status.PENDING_REVIEW and obj.review_due_at < timezone.now():
            return format_html(
                '<strong style="color:#ba2121">{} ({})</strong>', local_time(obj.review_due_at), _("overdue")
            )
        return local_time(obj.review_due_at)

    @admin.display(description=_("decision"))
    def decision(self, obj):
        if obj.status == Appeal.Status.PENDING_REVIEW:
            return "—"
        return format_html(
            "{} · {} · {}<br>{}",
            obj.get_status_display(),
            obj.decided_by,
            local_time(obj.decided_at),
            obj.decision_note,
        )

    @admin.display(description=_("case"))
    def case(self, obj):
        """The order, its timeline, the evidence and the deduction, on one page."""
        order, violation = obj.order, obj.violation
        events = order_timeline(order, limit=50)
        entries = violation.deposit_entries.order_by("id")
        images = obj.images.all()
        return format_html(
            "<p><a href='{}'>{}</a> · {} · {}: {} · {}: {}</p>"
            "<p>{} #{} · {} · {}: {} ({} {})</p>"
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>"
            "<p>{}: {}</p><p>{}</p>",
            _url("admin:orders_order_change", order.pk) or "#",
            order.order_no,
            order.get_status_display(),
            _("paid at"),
            local_time(order.paid_at),
            _("ship by"),
            local_time(order.ship_by),
            _("judgement"),
            violation.judgement_no,
            local_time(violation.judged_at),
            _("deduction"),
            violation.get_charge_status_display(),
            money(violation.charged_amount),
            violation.get_waive_reason_display() if violation.waive_reason else "",
            _("at"),
            _("event"),
            _("actor"),
            _("note"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((local_time(e.created_at), event_label(e.kind), e.get_actor_role_display(), e.note) for e in events),
            ),
            _("ledger"),
            format_html_join(
                ", ", "{} {} ({})", ((e.get_kind_display(), money(e.amount), local_time(e.created_at)) for e in entries)
            )
            or "—",
            format_html_join(
                " ",
                "<a href='{}'><img src='{}' alt='{}' style='max-height:160px'></a>",
                ((self._evidence_url(obj, i), self._evidence_url(obj, i), _("evidence")) for i in images),
            )
            or _("No evidence images."),
        )

    def _evidence_url(self, obj, image) -> str:
        return reverse("admin:penalties_appeal_evidence", args=[obj.pk, image.pk])

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/evidence/<int:evidence_id>/", wrap(self.evidence_view), name="penalties_appeal_evidence"),
            *super().get_urls(),
        ]

    def evidence_view(self, request, pk: int, evidence_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        image = AppealEvidence.objects.filter(pk=evidence_id, appeal_id=pk).first()
        if image is None or not image.image.storage.exists(image.image.name):
            raise Http404
        return FileResponse(image.image.open("rb"), filename=image.image.name.rsplit("/", 1)[-1])

    # --- V2 decisions (issue 15: one confirmation page, from the list or the appeal's page) ---

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm(DECIDE_PERM)

    @admin.action(description=_("Grant (with a note)"), permissions=["decide"])
    def approve_appeal(self, request, queryset):
        return confirmations.approve_appeal.list_action(self, request, queryset)

    @admin.action(description=_("Reject (asks for a reason)"), permissions=["decide"])
    def reject_appeal(self, request, queryset):
        return confirmations.reject_appeal.list_action(self, request, queryset)

    @admin.display(description=_("Decision"))
    def decision_context(self, obj):
        """The order, the deduction it would give back, the review target's time left."""
        return self.detail_context(obj, confirmations.approve_appeal)
