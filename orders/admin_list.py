"""Change-list rows for lists of millions (O2): the theme's table, built faster.

The admin theme's ``items_for_result`` (django-unfold's, Django's with the
theme's cell classes and a ``data-label`` per cell, which is how a row turns
into a card at phone width) re-derives everything for every cell: which
field the column is, its empty value, whether it links, the change URL
(``reverse()`` per row), the preserved filters (a URL parse per row), the
choice labels (a dict per cell), the boolean icons (a static-files lookup per
cell) and the checkbox (a widget template per row). At 100 rows × 11 columns
that was most of the order list's server time.

Here each column is *compiled once per page* into a function ``obj → HTML``
that does only the per-row part; the output is the same HTML, cell for cell
(``tests/orders/test_admin_list.py`` compares them). Anything this module does
not know how to compile (a list-editable formset, a popup, a ``to_field``, a
file/URL/JSON field, a ``__`` lookup, the theme's label/header/dropdown
columns) falls back to the theme's own ``items_for_result`` for the whole page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import _coerce_field_name
from django.contrib.admin.utils import FieldIsAForeignKeyColumnName, _get_non_gfk_field, quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, formats, timezone
from django.utils.dateformat import re_escaped, re_formatchars
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from unfold.templatetags.unfold_list import (
    CHECKBOX_CLASSES,
    LINK_CLASSES,
    ROW_CLASSES,
    UnfoldResultList,
    items_for_result,
    result_headers,
)
from unfold.utils import _boolean_icon, display_for_value

Cell = Callable[[models.Model], str]
PK_MARK = "__orders_admin_pk__"


class NotCompilable(Exception):
    """A column this module leaves to Django."""


def _text(value) -> str:
    return str(conditional_escape(value))


def _field_formatter(field, empty: str) -> tuple[Callable[[object], str], bool]:
    """``display_for_field`` specialised to one field: (value → escaped HTML, nowrap)."""
    nowrap = isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
    if getattr(field, "flatchoices", None):
        try:
            labels = {key: _text(label) for key, label in field.flatchoices}
        except TypeError as exc:  # list-like choices: leave to Django
            raise NotCompilable(field.name) from exc
        empty_html = _text(empty)

        def choice(value):
            try:
                return labels.get(value, empty_html)
            except TypeError:
                return empty_html

        return choice, nowrap
    if isinstance(field, models.BooleanField):
        icons = {v: _text(_boolean_icon(v)) for v in (True, False, None)}
        return (lambda value: icons[value]), nowrap
    if isinstance(field, (models.FileField, models.URLField, models.JSONField)):
        raise NotCompilable(field.name)
    # the theme's display_for_field: None and "" are empty (a blank "  " is shown as is)
    empty_values = (None, "")
    empty_html = _text(empty)
    if isinstance(field, models.DateTimeField):
        local_format = datetime_formatter(formats.get_format("DATETIME_FORMAT"))
        return (lambda value: empty_html if value in empty_values else escape(local_format(value))), nowrap
    if isinstance(field, (models.DateField, models.TimeField)):
        return (lambda value: empty_html if value in empty_values else escape(formats.localize(value))), nowrap
    if isinstance(field, models.DecimalField):
        places = field.decimal_places
        return (
            lambda value: empty_html if value in empty_values else escape(formats.number_format(value, places))
        ), nowrap
    if isinstance(field, (models.IntegerField, models.FloatField)):
        return (lambda value: empty_html if value in empty_values else escape(formats.number_format(value))), nowrap
    return (lambda value: empty_html if value in empty_values else _text(display_for_value(value, empty))), nowrap


# What each date-format character depends on (django.utils.dateformat), so a
# page formats each day, hour and minute once instead of once per cell.
_BY_DATE = set("bdDEFjlLmMnNoStwWyYz")
_PIECE_KEY = {
    **{c: lambda d: (d.year, d.month, d.day) for c in _BY_DATE},
    **{c: lambda d: d.hour for c in "aAgGhH"},
    "i": lambda d: d.minute,
    "s": lambda d: d.second,
    "u": lambda d: d.microsecond,
    "f": lambda d: (d.hour, d.minute),
    "P": lambda d: (d.hour, d.minute),
}


def datetime_formatter(fmt: str) -> Callable[[datetime.datetime], str]:
    """``formats.localize(timezone.template_localtime(value))`` for aware or
    naive datetimes, with the format parsed once and each piece memoised on
    what it depends on (time-zone pieces such as ``e``/``O``/``T``/``c`` are
    computed per value). Built per page: the language and time zone are fixed."""
    tz = timezone.get_current_timezone() if settings.USE_TZ else None
    pieces: list[tuple[str, str, Callable | None]] = []  # (literal, format char, key)
    for i, piece in enumerate(re_formatchars.split(str(fmt))):
        if i % 2:
            pieces.append(("", piece, _PIECE_KEY.get(piece)))
        elif piece:
            pieces.append((re_escaped.sub(r"\1", piece), "", None))
    memo: dict = {}

    def format_datetime(value: datetime.datetime) -> str:
        if tz is not None and not timezone.is_naive(value) and getattr(value, "convert_to_local_time", True):
            value = value.astimezone(tz)
        df = None
        out = []
        for literal, char, key_of in pieces:
            if not char:
                out.append(literal)
                continue
            key = (char, key_of(value)) if key_of is not None else None
            text = memo.get(key) if key is not None else None
            if text is None:
                if df is None:
                    df = dateformat.DateFormat(value)
                text = str(getattr(df, char)())
                if key is not None:
                    memo[key] = text
            out.append(text)
        return "".join(out)

    return format_datetime


def _column(cl: ChangeList, field_name, index: int, empty: str) -> tuple[Cell, list[str]]:
    """(obj → escaped cell content, the cell's classes) for one column."""
    classes = [f"field-{_coerce_field_name(field_name, index)}", *ROW_CLASSES]
    model_admin = cl.model_admin
    if callable(field_name):
        raise NotCompilable(field_name)
    try:
        field = _get_non_gfk_field(cl.lookup_opts, field_name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        field = None
    if field is not None and not field.auto_created:
        name = field.name
        if isinstance(field.remote_field, models.ManyToOneRel):
            empty_html = _text(empty)
            classes.append("nowrap")

            def related(obj):
                try:
                    target = getattr(obj, name)
                except ObjectDoesNotExist:
                    return empty_html
                return empty_html if target is None else _text(target)

            return related, classes
        formatter, nowrap = _field_formatter(field, empty)
        if nowrap:
            classes.append("nowrap")

        def plain(obj):
            return formatter(getattr(obj, name))

        return plain, classes
    if field is not None or "__" in field_name or not hasattr(model_admin, field_name) or field_name == "__str__":
        raise NotCompilable(field_name)
    attr = getattr(model_admin, field_name)
    if any(getattr(attr, kind, False) for kind in ("label", "header", "dropdown")):
        raise NotCompilable(field_name)  # the theme's badge, header and dropdown columns
    if field_name == "action_checkbox":
        from unfold.admin import ModelAdmin as UnfoldModelAdmin  # not at import: unfold.admin loads template tags

        classes = list(CHECKBOX_CLASSES)
        if type(model_admin).action_checkbox is UnfoldModelAdmin.action_checkbox:
            return _action_checkbox(), classes
    cell_empty = getattr(attr, "empty_value_display", empty)
    boolean = getattr(attr, "boolean", False)

    base_classes = " ".join(classes)

    # The theme adds "nowrap" when the value is a date or time: decided per row.
    def computed_cell(obj):
        value = attr(obj)
        cls = base_classes + " nowrap" if isinstance(value, (datetime.date, datetime.time)) else base_classes
        return cls, _text(display_for_value(value, cell_empty, boolean))

    computed_cell.dynamic_class = True
    return computed_cell, classes


def _action_checkbox() -> Cell:
    """The theme's action checkbox, its widget rendered once per page."""
    from unfold.admin import checkbox

    head, tail = checkbox.render(ACTION_CHECKBOX_NAME, PK_MARK).split(PK_MARK)

    def action_box(obj):
        return f"{head}{escape(str(obj.pk))}{tail}"

    return action_box


def compile_row(cl: ChangeList) -> Callable[[models.Model], str] | None:
    """One function building a row's cells, or None when Django must do it."""
    if cl.formset or cl.is_popup or cl.to_field or getattr(cl.model_admin, "ordering_field", None):
        return None
    from django.contrib.admin.templatetags.admin_urls import add_preserved_filters

    opts = cl.opts
    try:
        marked = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(PK_MARK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    marked = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, marked)
    if marked.count(PK_MARK) != 1:
        return None
    url_head, url_tail = (escape(part) for part in marked.split(PK_MARK))
    pk_attname = cl.lookup_opts.pk.attname
    empty = cl.model_admin.get_empty_value_display()
    links = cl.list_display_links
    labels = [header["text"] for header in result_headers(cl)]
    link_classes = " ".join(LINK_CLASSES)
    cells = []
    first = True
    try:
        for index, field_name in enumerate(cl.list_display):
            fn, classes = _column(cl, field_name, index, empty)
            if links is None:
                link = False
            elif first and not links:
                link = True
            else:
                link = field_name in links
            tag = "td"
            label = labels[index]
            if link:
                tag = "th" if first else "td"
                first = False
            elif index == 0:
                label = gettext("Select record")
            cells.append((fn, " ".join(classes), tag, link, _text(label)))
    except NotCompilable:
        return None

    def row(obj) -> str:
        out = []
        for fn, cls, tag, link, label in cells:
            if getattr(fn, "dynamic_class", False):
                cls, html = fn(obj)
            else:
                html = fn(obj)
            if link:
                url = f"{url_head}{escape(quote(getattr(obj, pk_attname)))}{url_tail}"
                html = f'<a href="{url}" class="{link_classes}" >{html}</a>'
            out.append(f'<{tag} class="{cls}" data-label="{label}">{html}</{tag}>')
        return mark_safe("".join(out))

    return row


def fast_results(cl: ChangeList) -> Iterator[UnfoldResultList]:
    """What the theme's ``results(cl)`` yields, one joined cell string per row."""
    row = compile_row(cl)
    if row is None:
        for obj in cl.result_list:
            yield UnfoldResultList(obj, None, items_for_result(cl, obj, None))
        return
    for obj in cl.result_list:
        yield UnfoldResultList(obj, None, [row(obj)])
