"""Reviewer admin of appeals (V2): the queue oldest first with its 48 h
target, and the appeal's page with the order, its timeline, the evidence and
the deduction in view. Approve (with a note) and reject (with a reason) are
small forms on their own pages calling the same services as the API.

A module of the ``penalties.admin`` package.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from orders.models import OrderEvent

from .. import services
from ..errors import PenaltyError
from ..models import Appeal, AppealEvidence

DECIDE_PERM = "penalties.decide_appeal"


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=True)


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
class AppealAdmin(ModelAdmin):
    list_display = ["id", "order_no", "shop", "reason", "status", "created_at", "review_due", "decided_at"]
    list_filter = ["status", ReviewDueFilter, "reason"]
    search_fields = ["=order__order_no"]
    list_select_related = ["order", "shop"]
    ordering = ["created_at", "id"]  # V2: oldest first
    list_per_page = 100
    show_full_result_count = False
    change_form_template = "admin/penalties/appeal/change_form.html"
    fields = ["case", "reason", "detail", "status", "filed_by", "created_at", "review_due_at", "decision"]
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
            return format_html('<strong style="color:#ba2121">{} ({})</strong>', obj.review_due_at, _("overdue"))
        return obj.review_due_at

    @admin.display(description=_("decision"))
    def decision(self, obj):
        if obj.status == Appeal.Status.PENDING_REVIEW:
            return "—"
        return format_html(
            "{} · {} · {}<br>{}", obj.get_status_display(), obj.decided_by, obj.decided_at, obj.decision_note
        )

    @admin.display(description=_("case"))
    def case(self, obj):
        """The order, its timeline, the evidence and the deduction, on one page."""
        order, violation = obj.order, obj.violation
        events = OrderEvent.objects.filter(order=order).order_by("created_at", "id")[:50]
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
            order.paid_at,
            _("ship by"),
            order.ship_by,
            _("judgement"),
            violation.judgement_no,
            violation.judged_at,
            _("deduction"),
            violation.get_charge_status_display(),
            violation.charged_amount,
            violation.get_waive_reason_display() if violation.waive_reason else "",
            _("at"),
            _("event"),
            _("actor"),
            _("note"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((e.created_at, e.kind, e.get_actor_role_display(), e.note) for e in events),
            ),
            _("ledger"),
            format_html_join(", ", "{} {} ({})", ((e.get_kind_display(), e.amount, e.created_at) for e in entries))
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
            path("<int:pk>/approve/", wrap(self.approve_view), name="penalties_appeal_approve"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="penalties_appeal_reject"),
            path("<int:pk>/evidence/<int:evidence_id>/", wrap(self.evidence_view), name="penalties_appeal_evidence"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_decide": request.user.has_perm(DECIDE_PERM), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def evidence_view(self, request, pk: int, evidence_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        image = AppealEvidence.objects.filter(pk=evidence_id, appeal_id=pk).first()
        if image is None or not image.image.storage.exists(image.image.name):
            raise Http404
        return FileResponse(image.image.open("rb"), filename=image.image.name.rsplit("/", 1)[-1])

    def approve_view(self, request, pk: int):
        return self._decide(request, pk, ApproveForm, approve=True)

    def reject_view(self, request, pk: int):
        return self._decide(request, pk, RejectForm, approve=False)

    def _decide(self, request, pk: int, form_class, *, approve: bool):
        if not request.user.has_perm(DECIDE_PERM):
            raise PermissionDenied
        appeal = get_object_or_404(Appeal.objects.select_related("order"), pk=pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            now = timezone.now()
            try:
                if approve:
                    services.appeal_approve(appeal=appeal, by=request.user, note=form.cleaned_data["note"], now=now)
                else:
                    services.appeal_reject(appeal=appeal, by=request.user, reason=form.cleaned_data["reason"], now=now)
            except PenaltyError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                done = _("Appeal #%(id)d approved.") if approve else _("Appeal #%(id)d rejected.")
                self.message_user(request, done % {"id": appeal.pk}, messages.SUCCESS)
            return redirect("admin:penalties_appeal_change", appeal.pk)
        title = (
            _("Approve appeal #%(id)d (order %(order)s)") if approve else _("Reject appeal #%(id)d (order %(order)s)")
        )
        return TemplateResponse(
            request,
            "admin/penalties/appeal/decide.html",
            {
                **self.admin_site.each_context(request),
                "title": title % {"id": appeal.pk, "order": appeal.order.order_no},
                "form": form,
                "appeal": appeal,
                "approve": approve,
                "opts": self.model._meta,
            },
        )
