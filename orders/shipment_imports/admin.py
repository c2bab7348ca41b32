"""W3 in the admin: imports, their refused rows, and an upload for reviewers
acting on a merchant's behalf (the same service as the API)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from ..errors import OrderError
from ..models import Shop
from . import services
from .models import ShipmentImport, ShipmentImportRow


class UploadForm(forms.Form):
    shop = forms.ModelChoiceField(label=gettext_lazy("shop"), queryset=Shop.objects.order_by("name"))
    file = forms.FileField(label=gettext_lazy("file (.csv or .xlsx)"))
    dry_run = forms.BooleanField(label=gettext_lazy("dry run"), required=False, initial=True)


class RefusedRowInline(TabularInline):
    model = ShipmentImportRow
    fields = ["row", "order_no", "code", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(ShipmentImport)
class ShipmentImportAdmin(ModelAdmin):
    list_display = ["id", "shop", "status", "dry_run", "total_rows", "shipped", "unchanged", "refused", "created_at"]
    list_filter = ["status", "dry_run"]
    list_select_related = ["shop"]
    search_fields = ["=shop__name", "filename"]
    show_full_result_count = False
    list_per_page = 100
    exclude = ["rows_data"]
    readonly_fields = [
        "shop",
        "created_by",
        "status",
        "dry_run",
        "filename",
        "sha256",
        "total_rows",
        "shipped",
        "unchanged",
        "refused",
        "created_at",
        "started_at",
        "finished_at",
        "error",
        "result_file",
    ]
    inlines = [RefusedRowInline]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="orders_shipmentimport_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        """W3 on a merchant's behalf: upload a file for a shop (dry run first)."""
        if not request.user.has_perm("orders.add_shipmentimport"):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imp = services.shipment_import_create(
                    shop=form.cleaned_data["shop"],
                    user=request.user,
                    name=upload.name,
                    content=upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                    now=timezone.now(),
                )
            except OrderError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, _("Import %(id)s queued: %(n)s rows.") % {"id": imp.pk, "n": imp.total_rows})
                return redirect("admin:orders_shipmentimport_change", imp.pk)
        return TemplateResponse(
            request,
            "admin/orders/shipment_import_upload.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Ship orders from a file"),
                "form": form,
                "opts": self.model._meta,
            },
        )
