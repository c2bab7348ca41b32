"""Issue 9: API docs a merchant can start from: every operation has a
description and its error answers with examples; the first calls have
request and response examples."""

import pytest
import yaml

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method in METHODS:
                yield path, method, op


def test_every_operation_has_a_description_and_documented_errors(schema):
    """Each operation says what it does and which errors it answers, each
    error with the shared shape and an example per machine code."""
    for path, method, op in _operations(schema):
        where = f"{method.upper()} {path}"
        assert op.get("description", "").strip(), where
        assert "**Errors:**" in op["description"], where
        errors = {int(s): r for s, r in op["responses"].items() if s.isdigit() and int(s) >= 400}
        if op["operationId"] != "v1_auth_token_create":
            assert 401 in errors, where
        if "{" in path:
            assert 404 in errors, where
        for status, response in errors.items():
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (where, status)
            assert content["examples"], (where, status)
            for example in content["examples"].values():
                assert set(example["value"]) >= {"code", "detail"}, (where, status)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/orders/{order_no}/ship/", "post"),
        ("/api/v1/orders/{order_no}/cancel/", "post"),
        ("/api/v1/tickets/{ticket_no}/reply/", "post"),
        ("/api/v1/exports/", "post"),
    ],
)
def test_first_calls_have_request_and_response_examples(schema, path, method):
    op = schema["paths"][path][method]
    request_examples = [c.get("examples") for c in op["requestBody"]["content"].values()]
    assert all(request_examples), path
    ok = next(r for s, r in op["responses"].items() if s.startswith("2"))
    assert all(c.get("examples") for c in ok["content"].values()), path


def test_domain_error_codes_are_listed_where_they_happen(schema):
    ship = schema["paths"]["/api/v1/orders/{order_no}/ship/"]["post"]
    assert "already_shipped" in ship["responses"]["409"]["content"]["application/json"]["examples"]
    export = schema["paths"]["/api/v1/exports/"]["post"]
    assert "export_rate_limited" in export["responses"]["429"]["content"]["application/json"]["examples"]
    assert "Retry-After" in export["responses"]["429"]["headers"]
    assert "too_many_rows" in export["responses"]["400"]["content"]["application/json"]["examples"]


def test_schema_is_served_and_valid(client, reviewer):
    """The served schema (what /api/docs/ renders, offline) carries the same docs."""
    client.force_login(reviewer)
    body = yaml.safe_load(client.get("/api/schema/").content)
    assert body["components"]["schemas"]["Error"]["required"] == ["code", "detail"]
