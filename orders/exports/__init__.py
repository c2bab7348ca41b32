"""Bulk exports (rules X1–X3, T4): one framework, several kinds.

Each kind (``orders`` here, ``tickets`` from the tickets app) registers an
:class:`~orders.exports.registry.ExportKind` naming its FilterSet, its scoped
queryset and its django-import-export resource (whose columns are defined
once, as SQL expressions with human headers). ``services`` records and runs
jobs; ``writers`` stream CSV (PostgreSQL ``COPY`` or a Python loop) and XLSX
(openpyxl write-only); ``apis`` and ``admin`` are thin callers.

Kinds are discovered from every installed app's ``exports`` module
(``OrdersConfig.ready`` calls ``autodiscover_modules("exports")``).
"""
