"""django-import-export resources built from :class:`~.columns.Column` lists.

One resource class serves the API job, the admin job and (for comparison in
``bench/exports.py``) django-import-export's own ``Resource.export``."""

from __future__ import annotations

from django.db.models import QuerySet
from import_export import resources
from import_export.fields import Field

from .columns import Column, ColumnWidget


class ColumnResource(resources.ModelResource):
    """A resource whose fields are the columns of :meth:`build_columns`,
    read from annotations (so the database does the joins and formatting)."""

    def __init__(self, *, user=None, excel_text: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        # A CSV for Excel: identifier columns' all-digit values as ="…" (``Export.excel_text``).
        self.excel_text = excel_text
        self.columns: list[Column] = self.build_columns(user)
        self.fields = {
            c.key: Field(attribute=c.key, column_name=str(c.header), widget=ColumnWidget(c), readonly=True)
            for c in self.columns
        }

    def build_columns(self, user) -> list[Column]:
        raise NotImplementedError

    # -- what the writers use -------------------------------------------------
    @property
    def headers(self) -> list[str]:
        return [str(c.header) for c in self.columns]

    @property
    def needs_python(self) -> bool:
        """True when a column needs Python (decryption): no COPY then."""
        return any(c.convert is not None for c in self.columns)

    def annotate(self, queryset: QuerySet) -> QuerySet:
        return queryset.annotate(**{c.key: c.expression() for c in self.columns})

    def values(self, queryset: QuerySet) -> QuerySet:
        """The rows as tuples, one value per column (the Python path)."""
        return self.annotate(queryset).values_list(*[c.key for c in self.columns])

    # -- django-import-export hooks ------------------------------------------
    def get_export_order(self):
        return tuple(c.key for c in self.columns)

    def filter_export(self, queryset, **kwargs):
        return self.annotate(queryset)
