"""Path converters of the API: an id is 1 … 2⁶³−1, a code (order or ticket
number) is 1–32 letters, digits, ``-`` or ``_``. Anything else (NUL bytes,
control characters, over-long or huge values) does not match the route, so
it answers 404 in the API's error shape before any view or query runs.

Every API route uses these (``tests/reliability/test_edge_input.py`` walks the
URL conf); drf-spectacular publishes the same limits
(``SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]``)."""

from __future__ import annotations

from django.urls import register_converter

from .limits import CODE_PATTERN, MAX_ID, code_schema, id_schema


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError("id out of range")  # Django: the route does not match
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class CodeConverter:
    regex = CODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


CONVERTERS = {"id": IdConverter, "code": CodeConverter}
OPENAPI = {"id": id_schema(), "code": code_schema()}


def register() -> None:
    for name, converter in CONVERTERS.items():
        register_converter(converter, name)


register()
