"""Support admin for tickets (T2–T4): the list support works from, with the
countdown, and approve / reject actions calling the same services as the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.enums import ActionVariant

from config.admin_confirm import Button, DetailButtonsMixin
from config.admin_filters import DayRangeFilter
from config.errors import DomainError
from config.labels import TimelineInlineMixin
from orders.exports.admin import BackgroundExportMixin
from orders.models import Order

from . import confirmations, services
from .dashboard import deadline_buckets, in_bucket
from .models import ServiceType, Ticket, TicketEvent, TicketReply


@admin.register(ServiceType)
class ServiceTypeAdmin(ModelAdmin):
    list_display = ["name", "sla_hours", "allows_agreed_close", "evidence_required", "active", "api_code"]
    list_editable = ["sla_hours", "allows_agreed_close", "evidence_required", "active"]
    search_fields = ["=code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what the API and stored filters use; it never changes.
        return ["api_code"] if obj else []

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [name for name in fields if name != "code"] if obj else fields

    @admin.display(description=_("API code"), ordering="code")
    def api_code(self, obj):
        # An identifier for integrators, shown as such (not UI text).
        return format_html("<code>{}</code>", obj.code)

    def has_delete_permission(self, request, obj=None):
        return False  # tickets reference types (PROTECT); retire a type with "active" instead


class _ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the ticket's history is never edited (superusers too)


class TicketReplyInline(_ReadOnlyInline):
    model = TicketReply
    fields = ["created_at", "author", "message", "agreed", "evidence"]
    readonly_fields = fields

    @admin.display(description=_("evidence"))
    def evidence(self, obj):
        images = list(obj.images.all())
        if not images:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({} KB)',
            (
                (
                    reverse("ticket-evidence", args=[obj.ticket.ticket_no, img.pk]),
                    img.image.name.rsplit("/", 1)[-1],
                    img.size // 1024,
                )
                for img in images
            ),
        )


class TicketEventInline(TimelineInlineMixin, _ReadOnlyInline):
    """The ticket's event log as a timeline (who, what, from → to, note)."""

    model = TicketEvent
    verbose_name_plural = _("Timeline")
    status_choices = dict(Ticket.Status.choices)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class OpenTicketForm(forms.Form):
    order_no = forms.CharField(label=_("Order number"), max_length=32)
    service_type = forms.ModelChoiceField(label=_("Service type"), queryset=ServiceType.objects.filter(active=True))
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5, "cols": 60}), max_length=2000
    )

    def warnings(self) -> list[str]:
        """What support should know before opening: the order is closed, or
        it already has an open ticket (a second one is usually a mistake)."""
        order = getattr(self, "order", None)
        if order is None:
            return []
        found = []
        if order.status in {Order.Status.CANCELLED, Order.Status.CLOSED, Order.Status.COMPLETED}:
            found.append(
                gettext("Order %(no)s is %(status)s: a ticket on it may not be actionable for the merchant.")
                % {"no": order.order_no, "status": order.get_status_display()}
            )
        open_tickets = list(
            Ticket.objects.filter(order=order).exclude(status=Ticket.Status.CLOSED).values_list("ticket_no", flat=True)
        )
        if open_tickets:
            found.append(
                gettext("Order %(no)s already has an open ticket: %(tickets)s.")
                % {"no": order.order_no, "tickets": ", ".join(open_tickets)}
            )
        return found

    def clean_order_no(self):
        order = Order.objects.filter(order_no=self.cleaned_data["order_no"].strip()).first()
        if order is None:
            raise forms.ValidationError(_("No such order."))
        self.order = order
        return order.order_no


URGENCY_STYLE = {
    "overdue": "color:#b91c1c;font-weight:600",  # red
    "soon": "color:#b91c1c;font-weight:600",  # red: within the reminder window
    "today": "color:#b45309;font-weight:600",  # amber: later today
    "later": "color:#15803d",  # green
}


def _countdown(ticket: Ticket, now) -> str:
    """Time left with its urgency colour (the workbench's buckets)."""
    seconds = ticket.remaining_seconds(now)
    if seconds is None:
        return "—"
    bucket = next(
        (name for name, bounds in deadline_buckets(now).items() if in_bounds(ticket.handle_deadline, bounds)),
        "later",
    )
    if seconds == 0:
        text = gettext("overdue")
    else:
        hours, rest = divmod(seconds, 3600)
        text = f"{hours}h {rest // 60:02d}m"
    return format_html('<span data-urgency="{}" style="{}">{}</span>', bucket, URGENCY_STYLE[bucket], text)


def in_bounds(value, bounds) -> bool:
    since, until = bounds
    return (since is None or value >= since) and (until is None or value < until)


class TimeLeftFilter(admin.SimpleListFilter):
    """Issue 15: the workbench's exclusive deadline buckets as a list filter
    (pending tickets only)."""

    title = _("time left")
    parameter_name = "time_left"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("past the deadline")),
            ("soon", _("due within the reminder window")),
            ("today", _("due later today")),
            ("later", _("due after today")),
        ]

    def queryset(self, request, queryset):
        bounds = deadline_buckets(timezone.now()).get(self.value() or "")
        if bounds is None:
            return queryset
        return in_bucket(queryset.filter(status=Ticket.Status.PENDING), bounds)


@admin.register(Ticket)
class TicketAdmin(DetailButtonsMixin, BackgroundExportMixin, ModelAdmin):
    export_kind = "tickets"  # X1–X3: background export of the filtered list
    list_display = [
        "ticket_no",
        "order_link",
        "shop",
        "service_type",
        "status",
        "outcome",
        "countdown",
        "created_at",
    ]
    list_filter = ["status", TimeLeftFilter, "outcome", "service_type", ("created_at", DayRangeFilter)]
    search_fields = ["=ticket_no", "=order__order_no"]
    search_help_text = _("Exact ticket number or order number.")
    list_select_related = ["order", "shop", "service_type"]
    show_full_result_count = False
    list_per_page = 100
    date_hierarchy = None
    ordering = ["-id"]
    actions = ["approve_handling", "reject_handling"]
    detail_buttons = [
        Button(
            confirmations.approve_ticket,
            "tickets.review_ticket",
            lambda t: t.status == Ticket.Status.IN_REVIEW,
            label=_("Approve"),
            variant=ActionVariant.PRIMARY,
        ),
        Button(
            confirmations.reject_ticket,
            "tickets.review_ticket",
            lambda t: t.status == Ticket.Status.IN_REVIEW,
            label=_("Reject…"),
            variant=ActionVariant.DANGER,
        ),
    ]
    inlines = [TicketReplyInline, TicketEventInline]
    fields = [
        "decision_context",
        "ticket_no",
        "order_link",
        "shop",
        "service_type",
        "description",
        "status",
        "outcome",
        "handle_deadline",
        "countdown",
        "first_reply_at",
        "last_rejection_reason",
        "last_rejected_at",
        "opened_by",
        "created_at",
        "closed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return request.user.has_perm("tickets.add_ticket")

    def add_view(self, request, form_url="", extra_context=None):
        """T1 from the admin: a small form calling ``ticket_open`` (the same
        service as the API). ``?order_no=`` pre-fills the order, so the order
        page can link here."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OpenTicketForm(
            request.POST if request.method == "POST" else None, initial={"order_no": request.GET.get("order_no", "")}
        )
        warnings = []
        if request.method == "POST" and form.is_valid():
            # issue 15: warn first (closed order, open ticket); the second post opens it
            warnings = [] if request.POST.get("confirm_warnings") == "on" else form.warnings()
        if request.method == "POST" and form.is_valid() and not warnings:
            try:
                ticket = services.ticket_open(
                    order=form.order,
                    service_type=form.cleaned_data["service_type"],
                    description=form.cleaned_data["description"],
                    by=request.user,
                    now=timezone.now(),
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                self.message_user(request, gettext("Ticket %(no)s opened.") % {"no": ticket.ticket_no})
                return redirect("admin:tickets_ticket_change", ticket.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Open a ticket"),
            "opts": self.model._meta,
            "form": form,
            "warnings": warnings,
        }
        return TemplateResponse(request, "admin/tickets/ticket/open.html", context)

    def has_change_permission(self, request, obj=None):
        return False  # status changes only through the actions below

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("tickets.review_ticket")

    @admin.display(description=_("order"), ordering="order__order_no")
    def order_link(self, obj):
        try:
            url = reverse("admin:orders_order_change", args=[obj.order_id])
        except NoReverseMatch:  # the orders admin is not registered
            return obj.order.order_no
        return format_html('<a href="{}">{}</a>', url, obj.order.order_no)

    @admin.display(description=_("time left"), ordering="handle_deadline")
    def countdown(self, obj):
        """T3: remaining handling time; red under 2 h."""
        return _countdown(obj, timezone.now())

    # --- T2 decisions: list actions and buttons on the ticket's page, one confirmation page
    # each (config.admin_confirm), the same services as the API ---------------------------

    @admin.action(description=_("Approve the handling (close)"), permissions=["review"])
    def approve_handling(self, request, queryset):
        return confirmations.approve_ticket.list_action(self, request, queryset)

    @admin.action(description=_("Reject the handling (back to pending)…"), permissions=["review"])
    def reject_handling(self, request, queryset):
        return confirmations.reject_ticket.list_action(self, request, queryset)

    @admin.display(description=_("Decision"))
    def decision_context(self, obj):
        """What support needs to decide: order, time left, the merchant's reply, evidence."""
        return self.detail_context(obj, confirmations.approve_ticket)
