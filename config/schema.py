"""OpenAPI post-processing: declare the error answers every operation can give.

The exception handler (``config.api.exception_handler``) answers every error
in one shape; this hook writes that shape into the schema once, so clients
(and the schema fuzzer, tests/reliability/test_schema_fuzz.py) see every
status a view can return: 400 (bad input, on operations that take any), 401
and 403 (every authenticated operation), 404 (path parameters: another shop's
row or a missing one; lists: an invalid cursor), 429 (throttled operations).
Answers a view declares itself are kept.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "detail"],
}

DESCRIPTIONS = {
    "400": "invalid input (`errors` holds the field errors)",
    "401": "no or invalid credentials",
    "403": "not allowed for this role",
    "404": "not found, or not one of your shops' rows",
    "409": "not allowed in the current state",
    "429": "rate limited (see `Retry-After`)",
}

# Operations that are throttled (path prefix → statuses they add).
THROTTLED = ("/api/v1/auth/token/", "/api/v1/exports/")
PUBLIC = ("/api/v1/auth/token/",)


def _error(status: str) -> dict:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def declare_error_responses(result, generator, request, public):
    """Add the error answers an operation can give and does not declare."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters", [])
            for param in params:
                if param.get("in") == "header" and param.get("name", "").lower() == "idempotency-key":
                    param["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
            wanted = set()
            if params or "requestBody" in operation:
                wanted.add("400")
            if not path.startswith(PUBLIC):
                wanted |= {"401", "403"}
            if any(p.get("in") == "path" for p in params) or any(p.get("name") == "cursor" for p in params):
                wanted.add("404")
            if path.startswith(THROTTLED) and method == "post":
                wanted.add("429")
            for status in sorted(wanted):
                if status not in responses:
                    responses[status] = _error(status)
                elif "content" not in responses[status]:
                    responses[status]["content"] = _error(status)["content"]
    return result
