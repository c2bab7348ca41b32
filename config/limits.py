"""The edge's limits, in one place: what any id, code or text the API reads
may be. Shared by the path converters, the filters, the pagination and the
serializers, and published in the OpenAPI schema from the same numbers."""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # PostgreSQL bigint; a bigger id cannot exist (and overflows the driver)
CODE_MAX_LENGTH = 32  # order_no, ticket_no, service type codes (the model fields' max_length)
CODE_PATTERN = rf"[0-9A-Za-z][0-9A-Za-z_-]{{0,{CODE_MAX_LENGTH - 1}}}"
TEXT_FILTER_MAX_LENGTH = 100

# C0 controls but tab/newline/CR, DEL, and the surrogates PostgreSQL cannot store.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


# The same set as a JSON Schema pattern, published for every free-text input.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def has_control_chars(value: str) -> bool:
    """NUL (PostgreSQL refuses it in text), other C0 controls, DEL, lone surrogates."""
    return bool(_CONTROL.search(value))


def id_schema() -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def code_schema() -> dict:
    return {"type": "string", "pattern": f"^{CODE_PATTERN}$", "minLength": 1, "maxLength": CODE_MAX_LENGTH}
