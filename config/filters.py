"""The API's filter types, in one place, and the FilterSet every list uses.

Each filter type refuses what the database cannot take and publishes in the
OpenAPI schema exactly what it accepts:

- ``IdFilter``: a whole number 1 … 2⁶³−1 (no decimals, no huge integers);
- ``TextFilter`` / ``CodeFilter``: bounded length, no NUL or control
  characters (PostgreSQL refuses NUL in text); a code also has a pattern;
- ``DateTimeFilter``: ISO 8601; any UTC offset Python reads (RFC 3339 allows
  up to ±23:59, PostgreSQL only ±15:59) is converted to UTC before it reaches
  the database, and an instant past the calendar's ends is clamped to it;
- ``DateFilter``, ``ChoiceFilter``, ``BooleanFilter``, ``NumberFilter``
  (bounded, finite).

``BaseFilterSet`` refuses, for every filter: a filter given twice (``?a=1&a=2``
would otherwise silently keep the last), an empty value (``?status=``), and at
class creation any filter that is not one of these types, so a new list cannot
bring back an unchecked one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from .limits import CODE_MAX_LENGTH, CODE_PATTERN, MAX_ID, TEXT_FILTER_MAX_LENGTH, TEXT_PATTERN, has_control_chars

_LEAP_SECOND = re.compile(r"(T\d\d:\d\d):60")
_MIN_UTC = datetime.min.replace(tzinfo=UTC)
_MAX_UTC = datetime.max.replace(tzinfo=UTC)


def _annotate(filter_, schema: dict) -> None:
    """What drf-spectacular publishes for this filter (its ``extend_schema_field``)."""
    filter_._spectacular_annotation = {"field": schema}


# --- form fields -------------------------------------------------------------------
class SafeTextField(forms.CharField):
    def validate(self, value):
        super().validate(value)
        if value and has_control_chars(value):
            raise ValidationError(_("Control characters are not allowed."), code="control_characters")


class UtcDateTimeField(forms.Field):
    """ISO 8601 date-time → an aware UTC datetime (naive = Asia/Shanghai)."""

    default_error_messages = {"invalid": _("Enter a valid date/time (ISO 8601).")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            parsed = value
        else:
            text = _LEAP_SECOND.sub(r"\1:59", str(value).strip())  # RFC 3339 allows second 60
            try:
                # fromisoformat (under parse_datetime) accepts a trailing NUL
                parsed = None if has_control_chars(text) or len(text) > 64 else parse_datetime(text)
            except ValueError:
                parsed = None
            if parsed is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            try:
                parsed = timezone.make_aware(parsed)
            except (OverflowError, ValueError):
                parsed = parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            # Year 1 at +23:00 or year 9999 at −23:00: past the calendar's end.
            return _MIN_UTC if parsed.year == 1 else _MAX_UTC


class StrictDateField(forms.Field):
    default_error_messages = {"invalid": _("Enter a valid date (YYYY-MM-DD).")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            parsed = None if has_control_chars(text) or len(text) > 32 else parse_date(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class StrictBooleanField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, ``True``/``False``); anything else is an error."""

    default_error_messages = {"invalid": _("Enter true or false.")}
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, bool):
            return value
        try:
            return self._VALUES[str(value).strip().lower()]
        except KeyError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# --- filters ---------------------------------------------------------------------
class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        _annotate(self, {"type": "integer", "minimum": kwargs["min_value"], "maximum": kwargs["max_value"]})


class NumberFilter(django_filters.NumberFilter):
    """A bounded decimal number (``min_value`` and ``max_value`` are required)."""

    def __init__(self, *args, min_value, max_value, **kwargs):
        super().__init__(*args, min_value=Decimal(min_value), max_value=Decimal(max_value), **kwargs)
        _annotate(self, {"type": "number", "minimum": min_value, "maximum": max_value})


class TextFilter(django_filters.CharFilter):
    field_class = SafeTextField

    def __init__(self, *args, max_length: int = TEXT_FILTER_MAX_LENGTH, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        _annotate(self, {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": TEXT_PATTERN})


class CodeFilter(django_filters.CharFilter):
    """An identifier (order number, ticket number, service type code)."""

    field_class = forms.RegexField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, regex=f"^{CODE_PATTERN}$", max_length=CODE_MAX_LENGTH, **kwargs)
        _annotate(self, {"type": "string", "pattern": f"^{CODE_PATTERN}$", "maxLength": CODE_MAX_LENGTH})


class DateTimeFilter(django_filters.Filter):
    field_class = UtcDateTimeField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _annotate(self, {"type": "string", "format": "date-time"})


class DateFilter(django_filters.Filter):
    field_class = StrictDateField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _annotate(self, {"type": "string", "format": "date"})


class BooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _annotate(self, {"type": "boolean"})


class ChoiceFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, choices=choices, **kwargs)
        _annotate(self, {"type": "string", "enum": [value for value, _label in choices]})


SAFE_FILTERS = (IdFilter, NumberFilter, TextFilter, CodeFilter, DateTimeFilter, DateFilter, BooleanFilter, ChoiceFilter)


class BaseFilterSet(django_filters.FilterSet):
    """Every API list's FilterSet (see the module docstring)."""

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        for name, filter_ in filters.items():
            if not isinstance(filter_, SAFE_FILTERS):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name}: use a filter type from config.filters, not {type(filter_).__name__}"
                )
        return filters

    def _values(self, name: str) -> list:
        data = self.data
        if hasattr(data, "getlist"):
            return data.getlist(name)
        return [data[name]] if name in data else []

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            values = self._values(name)
            if len(values) > 1:
                self.form.add_error(name, ValidationError(_("Give this filter once."), code="repeated"))
            elif values and (values[0] is None or str(values[0]).strip() == ""):
                self.form.add_error(name, ValidationError(_("This filter cannot be empty."), code="empty"))
        return valid and not self.form.errors
