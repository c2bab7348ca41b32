"""Issue 14 point 5: an honest schema. English and stable whatever the
request language, one request content type per JSON-only operation, nullable
fields declared nullable, server limits published."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def _schema(client, **headers) -> dict:
    response = client.get("/api/schema/?format=json", **headers)
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_english_and_identical_in_every_language(client):
    """The schema asked in zh-hans (header or ?lang=) is byte-for-byte the
    English one, and no component name holds a non-ASCII character."""
    english = _schema(client, HTTP_ACCEPT_LANGUAGE="en")
    chinese = _schema(client, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese == english
    names = list(english["components"]["schemas"])
    assert all(re.fullmatch(r"[A-Za-z0-9_.]+", n) for n in names), [n for n in names if not n.isascii()]
    assert not re.search(r"[\u4e00-\u9fff]", json.dumps(chinese["components"]["schemas"], ensure_ascii=False))


def test_one_request_content_type_per_json_operation(client):
    """Only the ticket reply and the appeal (images) accept multipart besides JSON, the shipment
    import (W3) is a multipart file upload; every
    other operation declares exactly ``application/json``."""
    schema = _schema(client)
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = list(op.get("requestBody", {}).get("content", {}))
            if path.endswith(("/reply/", "/appeal/")):
                assert set(content) == {"application/json", "multipart/form-data"}
            elif path == "/api/v1/shipment-imports/" and content:  # W3: a file upload, multipart by contract
                assert content == ["multipart/form-data"], (method, path, content)
            elif content:
                assert content == ["application/json"], (method, path, content)


def test_deposit_entry_order_no_is_nullable_and_limits_are_published(client):
    """``DepositEntry.order_no`` is null for a top-up, and says so; ids,
    codes, page sizes and text filters carry the limits the server enforces."""
    schema = _schema(client)
    order_no = schema["components"]["schemas"]["DepositEntry"]["properties"]["order_no"]
    assert order_no.get("nullable") is True
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert params["shop"]["maximum"] == 2**63 - 1 and params["shop"]["type"] == "integer"
    assert params["page_size"]["maximum"] == 100
    assert params["product"]["maxLength"] == 100
    assert "pattern" in params["order_no"]
    detail = schema["paths"]["/api/v1/orders/{order_no}/"]["get"]["parameters"]
    assert next(p for p in detail if p["name"] == "order_no")["schema"]["maxLength"] == 32
