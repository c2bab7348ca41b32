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
    """Only the ticket reply and the appeal (images) accept multipart besides JSON; every
    other operation declares exactly ``application/json``."""
    schema = _schema(client)
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = list(op.get("requestBody", {}).get("content", {}))
            if path.endswith(("/reply/", "/appeal/")):
                assert set(content) == {"application/json", "multipart/form-data"}
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


def test_schema_publishes_text_money_list_and_export_filter_limits(client):
    """Issue 14 point 2 (the fuzz run's findings): what the server refuses is
    in the schema, so schema-valid input is never refused with a 400:
    control characters in text filters, NUL in body text, money beyond 12
    digits / 2 decimals or negative, an intake order without items or with
    more than 100, an export filter the kind does not have."""
    from config.limits import has_control_chars

    schema = _schema(client)
    components = schema["components"]["schemas"]
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    text = re.compile(params["product"]["pattern"])
    assert text.match("绿茶 green-tea") and not text.match("tea\x05") and not has_control_chars("绿茶 green-tea")
    ship = components["ShipInputRequest"]["properties"]["tracking_no"]
    assert re.compile(ship["pattern"]).match("SF123") and not re.compile(ship["pattern"]).match("SF\x00")
    money = re.compile(components["IntakeAfterSaleInputRequest"]["properties"]["amount"]["pattern"])
    assert [bool(money.match(v)) for v in ("0", "99.5", ".5", "9999999999.99", "", "-1", ".", "1.234", "1" * 11)] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    items = components["IntakeOrderInputRequest"]["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 100)
    body = schema["paths"]["/api/v1/exports/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    variants = [ref["$ref"].rsplit("/", 1)[1] for ref in components[body["$ref"].rsplit("/", 1)[1]]["oneOf"]]
    assert variants == ["OrdersExportRequest", "TicketsExportRequest"]
    orders = components["OrdersExportRequest"]
    assert orders["additionalProperties"] is False
    assert orders["properties"]["filters"]["additionalProperties"] is False
    assert {"shop", "phone", "status", "placed_after"} <= set(orders["properties"]["filters"]["properties"])
    assert "ticket_no" in components["TicketsExportRequest"]["properties"]["filters"]["properties"]


@pytest.mark.parametrize(
    "body",
    [
        {"shop": 1, "buyer_name": "张三", "buyer_phone": "13812345678", "address": "上海", "items": []},
        {"order_no": "x", "type": "refund_only", "reason": "other", "amount": "-1"},
    ],
)
def test_what_the_schema_refuses_the_server_refuses(api, storefront, shop_a, body):
    """The published limits are the server's: an empty item list, a negative amount → 400."""
    path = "/api/v1/intake/orders/" if "items" in body else "/api/v1/intake/after-sales/"
    response = api(storefront).post(path, body, format="json")
    assert response.status_code == 400, response.json()
