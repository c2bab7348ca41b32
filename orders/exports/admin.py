"""Admin side of exports (issue 6 point 5).

- :class:`BackgroundExportMixin`: django-import-export's ``ExportMixin`` whose
  form, instead of building the file in the request, records a background job
  for the change list as filtered (its query string is the job's filters) under
  the same 50,000-row cap and per-user minute as the API. A ModelAdmin adopts
  it with one line: ``class OrderAdmin(BackgroundExportMixin, ModelAdmin):
  export_kind = "orders"``.
- :class:`ExportAdmin`: the "exports" page: a reviewer's own export records,
  with progress and a download link.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import ExportForm

from config.errors import DomainError

from ..verification.admin_views import is_verified, verify_view
from . import services
from .apis import export_file_response
from .models import Export
from .registry import get_kind


class ExcelCSV(CSV):
    """The admin's "CSV for Excel": a CSV whose order, ticket and tracking
    numbers are written as ="…" (``Export.excel_text``)."""

    def get_title(self):
        return gettext_lazy("csv for Excel (numbers as text)")


# format → (Export.format, Export.excel_text)
FORMAT_NAMES = {CSV: ("csv", False), ExcelCSV: ("csv", True), XLSX: ("xlsx", False)}


class BackgroundExportMixin(ExportMixin):
    """Export the filtered change list as a background job (X1–X3, T4)."""

    export_kind: str = ""
    export_form_class = ExportForm
    formats = [CSV, XLSX, ExcelCSV]

    def get_export_formats(self):
        return [CSV, XLSX, ExcelCSV]

    def get_export_resource_classes(self, request):
        return [get_kind(self.export_kind).resource_class]

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def export_action(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return super().export_action(request)
        formats = self.get_export_formats()
        form = self.get_export_form_class()(formats, self.get_export_resource_classes(request), data=request.POST)
        if not form.is_valid():
            return super().export_action(request)
        fmt, excel_text = FORMAT_NAMES[formats[int(form.cleaned_data["format"])]]
        kind = get_kind(self.export_kind)
        query = request.GET.urlencode()
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        try:
            selection = services.admin_selection(kind=kind, query=query, user=request.user)
            export = services.export_request(
                user=request.user,
                kind=kind,
                fmt=fmt,
                filters=services.admin_filters_at_rest(kind=kind, query=query),
                selection=selection,
                now=timezone.now(),
                source=Export.Source.ADMIN,
                excel_text=excel_text,
            )
        except services.ExportError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return HttpResponseRedirect(changelist + (f"?{query}" if query else ""))
        except IncorrectLookupParameters:
            self.message_user(request, _("These filters cannot be exported."), messages.ERROR)
            return HttpResponseRedirect(changelist)
        self.message_user(
            request,
            _("Export #%(id)s of %(rows)s rows is being prepared; download it from the exports page.")
            % {"id": export.pk, "rows": export.row_count},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:orders_export_changelist"))


@admin.register(Export)
class ExportAdmin(ModelAdmin):
    """Exports page: my export records (newest first) and their files."""

    list_display = ["id", "kind", "format", "status", "row_count", "rows_written", "created_at", "finished_at", "link"]
    list_filter = ["status", "kind", "format"]
    readonly_fields = [
        "kind",
        "format",
        "status",
        "source",
        "filters",
        "row_count",
        "rows_written",
        "size_bytes",
        "duration_ms",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "link",
    ]
    fields = readonly_fields
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(created_by=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="orders_export_download",
            ),
            path("<int:pk>/verify/", self.admin_site.admin_view(self.verify_view), name="orders_export_verify"),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("file"))
    def link(self, obj: Export):
        if obj.status != Export.Status.DONE:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_export_download", args=[obj.pk]), obj.filename)

    def download_view(self, request, pk: int):
        export = self.get_queryset(request).filter(pk=pk).first()
        if export is None:
            from django.http import Http404

            raise Http404
        if not is_verified(request):  # K1: the same check as the API's download
            return HttpResponseRedirect(reverse("admin:orders_export_verify", args=[pk]))
        try:
            return export_file_response(export, now=timezone.now())
        except DomainError as refusal:  # X3: expired (or not ready) at the moment of the download
            messages.error(request, str(refusal))
            return HttpResponseRedirect(reverse("admin:orders_export_changelist"))

    def verify_view(self, request, pk: int):
        """K1: the small form before a download (send a code, type it in)."""
        next_url = reverse("admin:orders_export_download", args=[pk])
        return verify_view(request, admin_site=self.admin_site, next_url=next_url)
